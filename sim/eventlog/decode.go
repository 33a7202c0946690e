package eventlog

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/guardsim/guardsim/engine"
)

var (
	errNull = errors.New("null value in a required column")
)

// fileDecoder decodes the rows of one file, row group by row group, into
// events. It checks every row and filters the events ReadOptions excludes.
type fileDecoder struct {
	path string
	f    *os.File
	pf   *parquet.File
	opts *ReadOptions

	// Columns; nil when absent from the file (optional columns only).
	time, kind, ckind, ckey, flag, variation, metric, value *colReader
	cols                                                    []*colReader

	timeMult int64 // multiplier to nanoseconds; 0 = choose from the first value
	autoTime bool

	rg     int   // current row group (-1 before the first)
	rgRows int64 // rows in the current row group
	row    int64 // next row within the current row group

	// Time order checking.
	started bool
	maxSeen int64

	// Per-batch column buffers.
	kinds  []engine.EventKind
	ckinds []string
	keys   []string
	flagOK []bool
	vars   []engine.Variation
	mks    []int32
	vals   []float64

	// Dictionary mappings.
	kindDict  dictMap[engine.EventKind]
	ckindDict dictMap[string]
	keyDict   dictMap[string]
	flagDict  dictMap[bool]
	varDict   dictMap[engine.Variation]
	mkDict    dictMap[int32]

	// Caches for plain-encoded pages.
	ckindIntern map[string]string
	varCache    map[string]engine.Variation
	metricIndex map[string]int32
	flagKey     []byte

	stats *FileStats
}

const (
	metricUnknown int32 = -1
	metricNull    int32 = -2
)

// init prepares the per-file caches.
func (d *fileDecoder) init(batch int) {
	d.rg = -1
	d.kinds = make([]engine.EventKind, batch)
	d.ckinds = make([]string, batch)
	d.keys = make([]string, batch)
	d.flagOK = make([]bool, batch)
	d.vars = make([]engine.Variation, batch)
	d.mks = make([]int32, batch)
	d.vals = make([]float64, batch)
	d.ckindIntern = map[string]string{DefaultContextKind: DefaultContextKind}
	d.varCache = map[string]engine.Variation{}
	d.metricIndex = make(map[string]int32, len(d.opts.MetricKeys))
	for i, k := range d.opts.MetricKeys {
		if _, dup := d.metricIndex[k]; !dup {
			d.metricIndex[k] = int32(i)
		}
	}
	d.flagKey = []byte(d.opts.FlagKey)
}

func (d *fileDecoder) close() {
	for _, c := range d.cols {
		c.close()
	}
	if d.f != nil {
		_ = d.f.Close()
		d.f = nil
	}
}

// nextRowGroup moves to the next non-empty row group; it reports false at
// the end of the file.
func (d *fileDecoder) nextRowGroup() (bool, error) {
	rgs := d.pf.RowGroups()
	for {
		d.rg++
		if d.rg >= len(rgs) {
			for _, c := range d.cols {
				c.close()
			}
			return false, nil
		}
		rg := rgs[d.rg]
		n := rg.NumRows()
		if n < 0 {
			return false, &RowError{File: d.path, RowGroup: d.rg, Row: -1, Err: fmt.Errorf("corrupt row group: %d rows", n)}
		}
		if n == 0 {
			continue
		}
		if err := d.checkRowGroup(d.rg, n); err != nil {
			var ce *columnErr
			if errors.As(err, &ce) {
				return false, &RowError{File: d.path, RowGroup: d.rg, Row: -1, Column: ce.column, Err: ce.err}
			}
			return false, &RowError{File: d.path, RowGroup: d.rg, Row: -1, Err: err}
		}
		chunks := rg.ColumnChunks()
		for _, c := range d.cols {
			if c.leaf >= len(chunks) {
				return false, &RowError{File: d.path, RowGroup: d.rg, Row: -1, Column: c.name, Err: errors.New("column chunk missing")}
			}
			c.start(chunks[c.leaf])
		}
		d.rgRows, d.row = n, 0
		return true, nil
	}
}

// decode decodes the next rows of the file into evs (at most len(evs) rows,
// never across row groups) and compacts the events to keep at the front.
// It returns how many events it kept; rows == 0 means the end of the file.
func (d *fileDecoder) decode(evs []engine.Event) (kept, rows int, err error) {
	if d.rg < 0 || d.row >= d.rgRows {
		ok, err := d.nextRowGroup()
		if err != nil || !ok {
			return 0, 0, err
		}
	}
	n := int(min(int64(len(evs)), d.rgRows-d.row))
	evs = evs[:n]

	// Decode column by column; on an error, keep the rows before it.
	var firstErr *RowError
	fail := func(c *colReader, bad int, err error) {
		if err == nil {
			return
		}
		n = bad
		firstErr = &RowError{File: d.path, RowGroup: d.rg, Row: d.row + int64(bad), Column: c.name, Err: err}
	}
	var bad int
	bad, err = d.decodeTime(evs[:n])
	fail(d.time, bad, err)
	bad, err = decodeStrings(d.kind, &d.kindDict, d.mapKind, 0, errNull, d.kinds[:n])
	fail(d.kind, bad, err)
	if d.opts.SharedKeyStorage {
		bad, err = d.decodeKeysShared(d.keys[:n])
	} else {
		bad, err = decodeStrings(d.ckey, &d.keyDict, d.mapKey, "", errNull, d.keys[:n])
	}
	fail(d.ckey, bad, err)
	if d.ckind != nil {
		bad, err = decodeStrings(d.ckind, &d.ckindDict, d.mapContextKind, DefaultContextKind, nil, d.ckinds[:n])
		fail(d.ckind, bad, err)
	}
	if d.flag != nil && len(d.flagKey) > 0 {
		bad, err = decodeStrings(d.flag, &d.flagDict, d.mapFlag, true, nil, d.flagOK[:n])
		fail(d.flag, bad, err)
	}
	if d.variation != nil {
		if d.variation.mode == numInt64 {
			bad, err = d.decodeIntVariation(d.vars[:n])
		} else {
			bad, err = decodeStrings(d.variation, &d.varDict, d.mapVariation, engine.Unassigned, nil, d.vars[:n])
		}
		fail(d.variation, bad, err)
	}
	if d.metric != nil {
		bad, err = decodeStrings(d.metric, &d.mkDict, d.mapMetric, metricNull, nil, d.mks[:n])
		fail(d.metric, bad, err)
	}
	if d.value != nil {
		bad, err = d.decodeValue(d.vals[:n])
		fail(d.value, bad, err)
	}

	// Check and filter the rows in order.
	st := d.stats
	tol := int64(d.opts.OutOfOrderTolerance)
	w := 0
	for i := 0; i < n; i++ {
		ev := &evs[i]
		t := ev.Time
		if !d.started {
			d.started, d.maxSeen = true, t
		} else if t < d.maxSeen {
			if d.maxSeen-t > tol {
				firstErr = &RowError{File: d.path, RowGroup: d.rg, Row: d.row + int64(i), Column: ColTime, Err: outOfOrder(t, d.maxSeen, tol)}
				n = i
				break
			}
		} else {
			d.maxSeen = t
		}
		switch d.kinds[i] {
		case engine.KindExposure:
			if d.flag != nil && len(d.flagKey) > 0 && !d.flagOK[i] {
				st.SkippedOtherFlag++
				continue
			}
			ev.Kind = engine.KindExposure
			ev.Metric, ev.Value = 0, 0
			ev.Variation = engine.Unassigned
			if d.variation != nil {
				ev.Variation = d.vars[i]
			}
		case engine.KindMetric:
			mk := metricNull
			if d.metric != nil {
				mk = d.mks[i]
			}
			if mk == metricNull {
				firstErr = &RowError{File: d.path, RowGroup: d.rg, Row: d.row + int64(i), Column: ColMetricKey, Err: errors.New("metric event without a metric_key")}
				n = i
			} else if d.value != nil && (math.IsNaN(d.vals[i]) || math.IsInf(d.vals[i], 0)) {
				firstErr = &RowError{File: d.path, RowGroup: d.rg, Row: d.row + int64(i), Column: ColValue, Err: fmt.Errorf("%v", d.vals[i])}
				n = i
			}
			if i == n {
				break
			}
			if mk == metricUnknown {
				st.SkippedUnknownMetric++
				continue
			}
			ev.Kind = engine.KindMetric
			ev.Metric = mk
			ev.Value = 1
			if d.value != nil {
				ev.Value = d.vals[i]
			}
			ev.Variation = engine.Unassigned
		}
		if i == n {
			break
		}
		ev.ContextKey = d.keys[i]
		ev.ContextKind = DefaultContextKind
		if d.ckind != nil {
			ev.ContextKind = d.ckinds[i]
		}
		if w != i {
			evs[w] = *ev
		}
		w++
	}
	st.Rows += int64(n)
	st.Events += int64(w)
	d.row += int64(n)
	if firstErr != nil {
		return w, n, firstErr
	}
	return w, n, nil
}
