package eventlog

import (
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/guardsim/guardsim/engine"
)

// dictMap caches the mapping of one dictionary's entries.
type dictMap[T any] struct {
	dict parquet.Dictionary
	vals []T
	errs []error
	bad  bool // some entry has an error
}

// decodeStrings decodes a byte-array column through f, which maps a value
// to T or an error. Nulls become null, or the error nullErr if it is set.
func decodeStrings[T any](c *colReader, m *dictMap[T], f func([]byte) (T, error), null T, nullErr error, out []T) (int, error) {
	return c.spans(len(out), func(i, k int) (int, error) {
		return stringSpan(c, m, f, null, nullErr, out[i:i+k])
	})
}

// stringSpan is decodeStrings for one span of the column (len(dst) rows
// from c.row): it returns the first bad row and its error, if any.
func stringSpan[T any](c *colReader, m *dictMap[T], f func([]byte) (T, error), null T, nullErr error, dst []T) (int, error) {
	if c.dict != nil {
		if m.dict != c.dict {
			m.build(c.dict, f)
		}
		if c.def == nil && !m.bad {
			for j, x := range c.idx[c.vi : c.vi+len(dst)] {
				dst[j] = m.vals[x]
			}
			c.vi += len(dst)
			return 0, nil
		}
		if nullErr == nil && !m.bad && c.nn > 0 {
			// Nulls and values interleaved (a column that only one kind
			// of event sets): without a branch on each row's definition
			// level, which no predictor guesses for events in random
			// order. Every row reads a checked index (the next value's,
			// or the last one's past the end) and keeps null where the
			// level is 0; a level is 0 or 1 (load checks), so it also
			// counts the values read.
			idx, vals := c.idx[:c.nn], m.vals
			vi, last := c.vi, c.nn-1
			for j, d := range c.def[c.row : c.row+len(dst)] {
				v := vals[idx[min(vi, last)]]
				if d == 0 {
					v = null
				}
				dst[j] = v
				vi += int(d)
			}
			c.vi = vi
			return 0, nil
		}
	}
	// Nulls, dictionary entries that failed to map, or plain values.
	for j := range dst {
		if !c.present(c.row + j) {
			if nullErr != nil {
				return j, nullErr
			}
			dst[j] = null
			continue
		}
		var v T
		var err error
		if c.dict != nil {
			x := c.idx[c.vi]
			v = m.vals[x]
			if m.errs != nil {
				err = m.errs[x]
			}
		} else {
			v, err = f(c.bytesAt(c.vi))
		}
		c.vi++
		if err != nil {
			return j, err
		}
		dst[j] = v
	}
	return 0, nil
}

func (m *dictMap[T]) build(d parquet.Dictionary, f func([]byte) (T, error)) {
	dv := d.Page().Data()
	data, offs := dv.ByteArray()
	n := d.Len()
	m.dict = d
	m.vals = make([]T, n)
	m.errs = nil
	m.bad = false
	for i := 0; i < n && i+1 < len(offs); i++ {
		v, err := f(data[offs[i]:offs[i+1]])
		if err != nil {
			if m.errs == nil {
				m.errs = make([]error, n)
			}
			m.errs[i] = err
			m.bad = true
			continue
		}
		m.vals[i] = v
	}
}

func (d *fileDecoder) mapKind(b []byte) (engine.EventKind, error) {
	switch string(b) {
	case KindExposure:
		return engine.KindExposure, nil
	case KindMetric:
		return engine.KindMetric, nil
	}
	return 0, fmt.Errorf("unknown kind %q (want exposure or metric)", clip(b))
}

func (d *fileDecoder) mapContextKind(b []byte) (string, error) {
	if len(b) == 0 {
		return DefaultContextKind, nil
	}
	if s, ok := d.ckindIntern[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if len(d.ckindIntern) < 256 {
		d.ckindIntern[s] = s
	}
	return s, nil
}

func (d *fileDecoder) mapFlag(b []byte) (bool, error) {
	return string(b) == string(d.flagKey), nil
}

func (d *fileDecoder) mapVariation(b []byte) (engine.Variation, error) {
	if v, ok := d.varCache[string(b)]; ok {
		return v, nil
	}
	v, err := engine.ParseVariation(string(b))
	if err != nil {
		return 0, fmt.Errorf("unknown variation %q (want original, new, outside, a synonym or null)", clip(b))
	}
	if len(d.varCache) < 64 {
		d.varCache[string(b)] = v
	}
	return v, nil
}

func (d *fileDecoder) mapMetric(b []byte) (int32, error) {
	if len(b) == 0 {
		return metricNull, nil
	}
	if i, ok := d.metricIndex[string(b)]; ok {
		return i, nil
	}
	d.stats.noteUnknownMetric(b)
	return metricUnknown, nil
}

// clip shortens a bad value for an error message.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}
