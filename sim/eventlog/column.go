package eventlog

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
)

// numMode says how a numeric column's page values are normalised.
type numMode uint8

const (
	numNone    numMode = iota // byte arrays
	numInt64                  // to []int64 (time, integer variation)
	numFloat64                // to []float64 (value)
)

// errColumnShort is returned when a column chunk holds fewer rows than its
// row group says.
var errColumnShort = errors.New("column chunk ended before the end of the row group")

// colReader walks the values of one top-level, non-repeated leaf column
// through a row group, one page at a time. Only the current page is held in
// memory.
type colReader struct {
	name     string
	leaf     int
	kind     parquet.Kind
	optional bool
	mode     numMode

	pages   parquet.Pages
	page    parquet.Page
	pageRow int64 // row (within the row group) of the current page's first row

	def   []byte // definition levels (nil for required columns)
	row   int    // next row in the page
	nrows int
	vi    int // next non-null value in the page
	nvals int
	nn    int // non-null rows in the page (their dictionary indexes are checked)

	// Byte array pages: either dictionary indexes or plain values.
	dict parquet.Dictionary
	idx  []int32
	data []byte
	offs []uint32

	// Numeric pages, normalised.
	i64 []int64
	f64 []float64
	// Reused buffers for normalisation.
	bi64 []int64
	bf64 []float64
}

// start begins reading the column chunk of a new row group.
func (c *colReader) start(chunk parquet.ColumnChunk) {
	c.close()
	c.pages = chunk.Pages()
	c.pageRow = 0
	c.row, c.nrows, c.vi, c.nvals = 0, 0, 0, 0
}

func (c *colReader) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		_ = c.pages.Close()
		c.pages = nil
	}
	c.dict, c.idx, c.data, c.offs, c.i64, c.f64, c.def = nil, nil, nil, nil, nil, nil, nil
}

// span makes sure the current page has rows left and returns how many of
// them (at most max) may be consumed now.
func (c *colReader) span(max int) (int, error) {
	if c.row >= c.nrows {
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	return min(max, c.nrows-c.row), nil
}

// spans walks the next n rows of the column span by span (a span never
// crosses a page): f decodes the k rows of the span that starts at the
// page's row c.row into the output from offset i, advancing c.vi over the
// values it reads, and returns the span's first bad row and its error, if
// any. spans returns how many rows were decoded before the first bad one.
func (c *colReader) spans(n int, f func(i, k int) (bad int, err error)) (int, error) {
	for i := 0; i < n; {
		k, err := c.span(n - i)
		if err != nil {
			return i, err
		}
		if bad, err := f(i, k); err != nil {
			c.row += bad
			return i + bad, err
		}
		c.row += k
		i += k
	}
	return n, nil
}

// present reports whether row r of the current page holds a value.
func (c *colReader) present(r int) bool {
	return c.def == nil || c.def[r] != 0
}

func (c *colReader) next() error {
	for c.row >= c.nrows {
		if c.page != nil {
			parquet.Release(c.page)
			c.page = nil
			c.pageRow += int64(c.nrows)
			c.row, c.nrows, c.vi, c.nvals = 0, 0, 0, 0
		}
		p, err := c.pages.ReadPage()
		if err == io.EOF {
			return errColumnShort
		}
		if err != nil {
			return err
		}
		c.page = p
		if err := c.load(p); err != nil {
			return err
		}
	}
	return nil
}

func (c *colReader) load(p parquet.Page) error {
	c.def = nil
	nonNull := 0
	if c.optional {
		c.def = p.DefinitionLevels()
		c.nrows = len(c.def)
		for _, d := range c.def {
			if d > 1 {
				return fmt.Errorf("corrupt page: definition level %d", d)
			}
			nonNull += int(d)
		}
	} else {
		if len(p.DefinitionLevels()) != 0 || len(p.RepetitionLevels()) != 0 {
			return errors.New("corrupt page: unexpected levels in a required column")
		}
		n := p.NumValues()
		if n < 0 || n > math.MaxInt32 {
			return fmt.Errorf("corrupt page: %d values", n)
		}
		c.nrows = int(n)
		nonNull = c.nrows
	}
	c.row, c.vi, c.nn = 0, 0, nonNull
	c.dict, c.idx, c.data, c.offs, c.i64, c.f64 = nil, nil, nil, nil, nil, nil
	vals := p.Data()
	if d := p.Dictionary(); d != nil {
		c.idx = vals.Int32()
		c.nvals = len(c.idx)
		if c.nvals < nonNull {
			return fmt.Errorf("corrupt page: %d values for %d non-null rows", c.nvals, nonNull)
		}
		dn := int32(d.Len())
		for _, x := range c.idx[:nonNull] {
			if uint32(x) >= uint32(dn) {
				return fmt.Errorf("corrupt page: dictionary index %d out of range (%d entries)", x, dn)
			}
		}
		if c.mode == numNone {
			c.dict = d
			return nil
		}
		return c.normaliseDict(d, nonNull)
	}
	switch c.kind {
	case parquet.ByteArray:
		c.data, c.offs = vals.ByteArray()
		c.nvals = len(c.offs) - 1
		if c.nvals < 0 {
			c.nvals = 0
		}
	case parquet.Int64:
		c.i64 = vals.Int64()
		c.nvals = len(c.i64)
		if c.mode == numFloat64 {
			c.f64 = grow(&c.bf64, c.nvals)
			for i, v := range c.i64 {
				c.f64[i] = float64(v)
			}
			c.i64 = nil
		}
	case parquet.Int32:
		s := vals.Int32()
		c.nvals = len(s)
		if c.mode == numFloat64 {
			c.f64 = grow(&c.bf64, c.nvals)
			for i, v := range s {
				c.f64[i] = float64(v)
			}
		} else {
			c.i64 = grow(&c.bi64, c.nvals)
			for i, v := range s {
				c.i64[i] = int64(v)
			}
		}
	case parquet.Int96:
		s := vals.Int96()
		c.nvals = len(s)
		c.i64 = grow(&c.bi64, c.nvals)
		for i, v := range s {
			c.i64[i] = int96Nanos(v)
		}
	case parquet.Double:
		c.f64 = vals.Double()
		c.nvals = len(c.f64)
	case parquet.Float:
		s := vals.Float()
		c.nvals = len(s)
		c.f64 = grow(&c.bf64, c.nvals)
		for i, v := range s {
			c.f64[i] = float64(v)
		}
	default:
		return fmt.Errorf("unsupported physical type %s", c.kind)
	}
	if c.nvals < nonNull {
		return fmt.Errorf("corrupt page: %d values for %d non-null rows", c.nvals, nonNull)
	}
	return nil
}

// normaliseDict resolves the dictionary indexes of a numeric page.
func (c *colReader) normaliseDict(d parquet.Dictionary, n int) error {
	dv := d.Page().Data()
	idx := c.idx[:n]
	c.idx = nil
	c.nvals = n
	switch c.mode {
	case numInt64:
		out := grow(&c.bi64, n)
		switch c.kind {
		case parquet.Int64:
			gather(out, dv.Int64(), idx)
		case parquet.Int32:
			gather(out, dv.Int32(), idx)
		case parquet.Int96:
			s := dv.Int96()
			for i, x := range idx {
				out[i] = int96Nanos(s[x])
			}
		default:
			return fmt.Errorf("unsupported physical type %s", c.kind)
		}
		c.i64 = out
	case numFloat64:
		out := grow(&c.bf64, n)
		switch c.kind {
		case parquet.Double:
			gather(out, dv.Double(), idx)
		case parquet.Float:
			gather(out, dv.Float(), idx)
		case parquet.Int64:
			gather(out, dv.Int64(), idx)
		case parquet.Int32:
			gather(out, dv.Int32(), idx)
		default:
			return fmt.Errorf("unsupported physical type %s", c.kind)
		}
		c.f64 = out
	}
	return nil
}

// bytesAt returns plain byte-array value i of the current page.
func (c *colReader) bytesAt(i int) []byte {
	return c.data[c.offs[i]:c.offs[i+1]]
}

func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// int96Nanos converts a legacy INT96 timestamp (nanoseconds of the day, then
// the Julian day) to Unix nanoseconds.
func int96Nanos(v [3]uint32) int64 {
	nanos := int64(uint64(v[1])<<32 | uint64(v[0]))
	day := int64(v[2]) - julianUnixEpoch
	return day*86400e9 + nanos
}

// gather sets out[i] = D(dict[idx[i]]): dictionary indices to values.
func gather[D int64 | float64, S int32 | int64 | float32 | float64](out []D, dict []S, idx []int32) {
	for i, x := range idx {
		out[i] = D(dict[x])
	}
}
