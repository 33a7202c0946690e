package eventlog

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

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

// bindColumns checks the schema and binds the columns the decoder reads.
func (d *fileDecoder) bindColumns() error {
	byName := map[string]*parquet.Column{}
	for _, c := range d.pf.Root().Columns() {
		if _, dup := byName[c.Name()]; !dup {
			byName[c.Name()] = c
		}
	}
	var missing []string
	for _, name := range []string{ColTime, ColKind, ColContextKey} {
		if byName[name] == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fileError(d.path, fmt.Errorf("missing required columns: %s", strings.Join(missing, ", ")))
	}
	nchunks := len(d.pf.Metadata().Schema)
	bind := func(name string, mode numMode, check func(parquet.Kind, format.LogicalTypeValue) error) (*colReader, error) {
		c := byName[name]
		if c == nil {
			return nil, nil
		}
		if !c.Leaf() {
			return nil, columnError(d.path, name, errors.New("is a group; want a primitive column"))
		}
		if c.Repeated() {
			return nil, columnError(d.path, name, errors.New("is repeated; want a single value per row"))
		}
		if c.Index() < 0 || c.Index() >= nchunks {
			return nil, columnError(d.path, name, errors.New("bad column index"))
		}
		typ := c.Type()
		var lt format.LogicalTypeValue
		if l := typ.LogicalType(); l != nil {
			lt = l.Value
		}
		if err := check(typ.Kind(), lt); err != nil {
			return nil, columnError(d.path, name, err)
		}
		cr := &colReader{name: name, leaf: c.Index(), kind: typ.Kind(), optional: c.Optional(), mode: mode}
		d.cols = append(d.cols, cr)
		return cr, nil
	}
	var err error
	if d.time, err = bind(ColTime, numInt64, d.checkTime); err != nil {
		return err
	}
	if d.kind, err = bind(ColKind, numNone, checkString); err != nil {
		return err
	}
	if d.ckind, err = bind(ColContextKind, numNone, checkString); err != nil {
		return err
	}
	if d.ckey, err = bind(ColContextKey, numNone, checkString); err != nil {
		return err
	}
	if d.flag, err = bind(ColFlagKey, numNone, checkString); err != nil {
		return err
	}
	if c := byName[ColVariation]; c != nil && c.Leaf() && c.Type().Kind() != parquet.ByteArray {
		d.variation, err = bind(ColVariation, numInt64, checkInteger)
	} else {
		d.variation, err = bind(ColVariation, numNone, checkString)
	}
	if err != nil {
		return err
	}
	if d.metric, err = bind(ColMetricKey, numNone, checkString); err != nil {
		return err
	}
	if d.value, err = bind(ColValue, numFloat64, checkNumber); err != nil {
		return err
	}
	return nil
}

func wrongType(k parquet.Kind, lt format.LogicalTypeValue, want string) error {
	got := k.String()
	if lt != nil {
		got += " " + lt.String()
	}
	return fmt.Errorf("wrong type %s, want %s", got, want)
}

func (d *fileDecoder) checkTime(k parquet.Kind, lt format.LogicalTypeValue) error {
	const want = "TIMESTAMP(MILLIS|MICROS|NANOS), INT64 or INT96"
	switch k {
	case parquet.Int96:
		if lt != nil {
			return wrongType(k, lt, want)
		}
		d.timeMult = 1
		return nil
	case parquet.Int64:
	default:
		return wrongType(k, lt, want)
	}
	switch t := lt.(type) {
	case *format.TimestampType:
		switch t.Unit.Value.(type) {
		case *format.NanoSeconds:
			d.timeMult = 1
		case *format.MicroSeconds:
			d.timeMult = 1e3
		case *format.MilliSeconds:
			d.timeMult = 1e6
		default:
			return wrongType(k, lt, want)
		}
	case nil, *format.IntType:
		if u := d.opts.IntTimeUnit; u > 0 {
			d.timeMult = int64(u)
		} else {
			d.autoTime = true
		}
	default:
		return wrongType(k, lt, want)
	}
	return nil
}

func checkString(k parquet.Kind, lt format.LogicalTypeValue) error {
	if k != parquet.ByteArray {
		return wrongType(k, lt, "BYTE_ARRAY (string)")
	}
	switch lt.(type) {
	case nil, *format.StringType, *format.EnumType:
		return nil
	}
	return wrongType(k, lt, "BYTE_ARRAY (string)")
}

func checkInteger(k parquet.Kind, lt format.LogicalTypeValue) error {
	if k != parquet.Int32 && k != parquet.Int64 {
		return wrongType(k, lt, "BYTE_ARRAY (string), INT32 or INT64")
	}
	if _, ok := lt.(*format.IntType); !ok && lt != nil {
		return wrongType(k, lt, "BYTE_ARRAY (string), INT32 or INT64")
	}
	return nil
}

func checkNumber(k parquet.Kind, lt format.LogicalTypeValue) error {
	const want = "DOUBLE, FLOAT, INT32 or INT64"
	switch k {
	case parquet.Double, parquet.Float:
		if lt != nil {
			return wrongType(k, lt, want)
		}
		return nil
	case parquet.Int32, parquet.Int64:
		if _, ok := lt.(*format.IntType); !ok && lt != nil {
			return wrongType(k, lt, want)
		}
		return nil
	}
	return wrongType(k, lt, want)
}

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

func outOfOrder(t, maxSeen, tol int64) error {
	return fmt.Errorf("time %s is %v before an earlier row's %s (out-of-order tolerance %v)",
		time.Unix(0, t).UTC().Format(time.RFC3339Nano), time.Duration(maxSeen-t),
		time.Unix(0, maxSeen).UTC().Format(time.RFC3339Nano), time.Duration(tol))
}

// decodeTime decodes the time column into evs[i].Time.
func (d *fileDecoder) decodeTime(evs []engine.Event) (int, error) {
	c := d.time
	i := 0
	for i < len(evs) {
		k, err := c.span(len(evs) - i)
		if err != nil {
			return i, err
		}
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
						return i + j, fmt.Errorf("time %d out of range", v)
					}
					out[j].Time = v * mult
				}
			}
			c.vi += k
		} else {
			def := c.def[c.row : c.row+k]
			for j := range out {
				if def[j] == 0 {
					c.row += j
					return i + j, errNull
				}
				v := c.i64[c.vi]
				c.vi++
				if v > lim || v < -lim {
					c.row += j
					return i + j, fmt.Errorf("time %d out of range", v)
				}
				out[j].Time = v * mult
			}
		}
		c.row += k
		i += k
	}
	return i, nil
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
	i := 0
	for i < len(out) {
		k, err := c.span(len(out) - i)
		if err != nil {
			return i, err
		}
		dst := out[i : i+k]
		if c.def == nil {
			copy(dst, c.f64[c.vi:c.vi+k])
			c.vi += k
		} else {
			def := c.def[c.row : c.row+k]
			for j := range dst {
				if def[j] == 0 {
					dst[j] = 1
					continue
				}
				dst[j] = c.f64[c.vi]
				c.vi++
			}
		}
		c.row += k
		i += k
	}
	return i, nil
}

// decodeIntVariation decodes an integer variation column.
func (d *fileDecoder) decodeIntVariation(out []engine.Variation) (int, error) {
	c := d.variation
	i := 0
	for i < len(out) {
		k, err := c.span(len(out) - i)
		if err != nil {
			return i, err
		}
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
				c.row += j
				return i + j, fmt.Errorf("unknown variation %d (want 0=original, 1=new, 2=outside or null)", v)
			}
		}
		c.row += k
		i += k
	}
	return i, nil
}

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
	i := 0
	for i < len(out) {
		k, err := c.span(len(out) - i)
		if err != nil {
			return i, err
		}
		dst := out[i : i+k]
		if c.dict != nil {
			if m.dict != c.dict {
				m.build(c.dict, f)
			}
			if c.def == nil && !m.bad {
				for j, x := range c.idx[c.vi : c.vi+k] {
					dst[j] = m.vals[x]
				}
				c.vi += k
			} else {
				for j := range dst {
					if !c.present(c.row + j) {
						if nullErr != nil {
							c.row += j
							return i + j, nullErr
						}
						dst[j] = null
						continue
					}
					x := c.idx[c.vi]
					c.vi++
					if m.errs != nil && m.errs[x] != nil {
						c.row += j
						return i + j, m.errs[x]
					}
					dst[j] = m.vals[x]
				}
			}
		} else {
			for j := range dst {
				if !c.present(c.row + j) {
					if nullErr != nil {
						c.row += j
						return i + j, nullErr
					}
					dst[j] = null
					continue
				}
				v, err := f(c.bytesAt(c.vi))
				c.vi++
				if err != nil {
					c.row += j
					return i + j, err
				}
				dst[j] = v
			}
		}
		c.row += k
		i += k
	}
	return i, nil
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

func (d *fileDecoder) mapKey(b []byte) (string, error) {
	if len(b) == 0 {
		return "", errors.New("empty context key")
	}
	return string(b), nil
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

// decodeKeysShared decodes plain context keys with one string allocation
// per page span; the keys of a span share its memory.
func (d *fileDecoder) decodeKeysShared(out []string) (int, error) {
	c := d.ckey
	i := 0
	for i < len(out) {
		k, err := c.span(len(out) - i)
		if err != nil {
			return i, err
		}
		if c.dict != nil || c.def != nil {
			// Dictionary pages already share one string per entry; nulls
			// take the general path.
			if j, err := decodeStrings(c, &d.keyDict, d.mapKey, "", errNull, out[i:i+k]); err != nil {
				return i + j, err
			}
			i += k
			continue
		}
		base := c.offs[c.vi]
		all := string(c.data[base:c.offs[c.vi+k]])
		dst := out[i : i+k]
		for j := range dst {
			lo, hi := c.offs[c.vi+j]-base, c.offs[c.vi+j+1]-base
			if lo == hi {
				c.vi += j
				c.row += j
				return i + j, errors.New("empty context key")
			}
			dst[j] = all[lo:hi]
		}
		c.vi += k
		c.row += k
		i += k
	}
	return i, nil
}
