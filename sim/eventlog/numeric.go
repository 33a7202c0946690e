package eventlog

import (
	"fmt"
	"math"
	"time"

	"github.com/guardsim/guardsim/engine"
)

func outOfOrder(t, maxSeen, tol int64) error {
	return fmt.Errorf("time %s is %v before an earlier row's %s (out-of-order tolerance %v)",
		time.Unix(0, t).UTC().Format(time.RFC3339Nano), time.Duration(maxSeen-t),
		time.Unix(0, maxSeen).UTC().Format(time.RFC3339Nano), time.Duration(tol))
}

// decodeTime decodes the time column into evs[i].Time.
func (d *fileDecoder) decodeTime(evs []engine.Event) (int, error) {
	c := d.time
	return c.spans(len(evs), func(i, k int) (int, error) {
		if d.autoTime && d.timeMult == 0 && c.present(c.row) {
			d.timeMult = autoTimeMult(c.i64[c.vi])
		}
		mult := d.timeMult
		if mult == 0 { // a null: reported below
			mult = 1
		}
		lim := int64(math.MaxInt64) / mult
		out := evs[i : i+k]
		if c.def == nil {
			src := c.i64[c.vi : c.vi+k]
			if mult == 1 {
				for j, v := range src {
					out[j].Time = v
				}
			} else {
				for j, v := range src {
					if v > lim || v < -lim {
						return j, fmt.Errorf("time %d out of range", v)
					}
					out[j].Time = v * mult
				}
			}
			c.vi += k
			return 0, nil
		}
		def := c.def[c.row : c.row+k]
		for j := range out {
			if def[j] == 0 {
				return j, errNull
			}
			v := c.i64[c.vi]
			c.vi++
			if v > lim || v < -lim {
				return j, fmt.Errorf("time %d out of range", v)
			}
			out[j].Time = v * mult
		}
		return 0, nil
	})
}

// autoTimeMult picks the unit of INT64 times without a logical type from
// the magnitude of the first value: ≥ 1e17 nanoseconds, ≥ 1e14
// microseconds, otherwise milliseconds.
func autoTimeMult(v int64) int64 {
	if v < 0 {
		v = -v
	}
	switch {
	case v >= 1e17:
		return 1
	case v >= 1e14:
		return 1e3
	}
	return 1e6
}

// decodeValue decodes the value column (null means 1).
func (d *fileDecoder) decodeValue(out []float64) (int, error) {
	c := d.value
	return c.spans(len(out), func(i, k int) (int, error) {
		dst := out[i : i+k]
		if c.def == nil {
			copy(dst, c.f64[c.vi:c.vi+k])
			c.vi += k
			return 0, nil
		}
		if c.nn == 0 {
			for j := range dst {
				dst[j] = 1
			}
			return 0, nil
		}
		// Without a branch on each row's definition level (see
		// stringSpan): every row reads a value (the next, or the last
		// past the end) and keeps 1 where the level is 0, selecting
		// bits so that the compiler can use a conditional move.
		f, vi, last := c.f64[:c.nn], c.vi, c.nn-1
		one := math.Float64bits(1)
		for j, d := range c.def[c.row : c.row+k] {
			b := math.Float64bits(f[min(vi, last)])
			if d == 0 {
				b = one
			}
			dst[j] = math.Float64frombits(b)
			vi += int(d)
		}
		c.vi = vi
		return 0, nil
	})
}

// decodeIntVariation decodes an integer variation column.
func (d *fileDecoder) decodeIntVariation(out []engine.Variation) (int, error) {
	c := d.variation
	return c.spans(len(out), func(i, k int) (int, error) {
		dst := out[i : i+k]
		for j := range dst {
			if !c.present(c.row + j) {
				dst[j] = engine.Unassigned
				continue
			}
			v := c.i64[c.vi]
			c.vi++
			switch v {
			case -1, 0, 1, 2:
				dst[j] = engine.Variation(v)
			default:
				return j, fmt.Errorf("unknown variation %d (want 0=original, 1=new, 2=outside or null)", v)
			}
		}
		return 0, nil
	})
}
