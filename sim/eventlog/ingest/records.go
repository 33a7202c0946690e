package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// cell is one value of a record: text, a number, a time already in Unix
// nanoseconds (typed Parquet timestamps), or null.
type cell struct {
	null   bool
	text   string
	num    float64
	isNum  bool
	nanos  int64
	isTime bool
}

func (c cell) String() string {
	switch {
	case c.null:
		return ""
	case c.isNum:
		return strconv.FormatFloat(c.num, 'f', -1, 64)
	case c.isTime:
		return strconv.FormatInt(c.nanos, 10)
	}
	return c.text
}

// record is one row of an input file.
type record interface {
	// get returns the named column's value; ok is false when the file has
	// no such column.
	get(col string) (cell, bool)
}

// recordReader reads a file's rows in order.
type recordReader interface {
	// columns lists the file's column names (top-level keys for JSON).
	columns() []string
	// next returns the next row, or io.EOF.
	next() (record, error)
	// row is the current row's number for errors (1-based line for text
	// formats, 0-based row for Parquet), described by rowWord.
	row() int64
	rowWord() string
	close() error
}

// --- CSV ---

type csvReader struct {
	f      *os.File
	r      *csv.Reader
	header []string
	index  map[string]int
	line   int64
	rec    csvRecord
}

type csvRecord struct {
	index map[string]int
	vals  []string
}

func (r csvRecord) get(col string) (cell, bool) {
	i, ok := r.index[col]
	if !ok {
		return cell{}, false
	}
	v := r.vals[i]
	if v == "" {
		return cell{null: true}, true
	}
	return cell{text: v}, true
}

func openCSV(path string) (*csvReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty CSV file (no header)")
		}
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	c := &csvReader{f: f, r: r, header: append([]string(nil), header...), index: map[string]int{}, line: 1}
	for i, h := range c.header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		c.header[i] = h
		if _, dup := c.index[h]; dup {
			f.Close()
			return nil, fmt.Errorf("CSV header: column %q appears twice", h)
		}
		c.index[h] = i
	}
	c.rec.index = c.index
	return c, nil
}

func (c *csvReader) columns() []string { return c.header }
func (c *csvReader) row() int64        { return c.line }
func (c *csvReader) rowWord() string   { return "line" }
func (c *csvReader) close() error      { return c.f.Close() }

func (c *csvReader) next() (record, error) {
	vals, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			c.line = int64(pe.Line)
			return nil, pe.Err
		}
		return nil, err
	}
	line, _ := c.r.FieldPos(0)
	c.line = int64(line)
	c.rec.vals = vals
	return c.rec, nil
}

// --- JSON lines ---

type jsonReader struct {
	f    *os.File
	s    *bufio.Scanner
	line int64
	cols []string
}

type jsonRecord map[string]any

// get looks up col, which may be a dotted path into nested objects
// ("context.key").
func (r jsonRecord) get(col string) (cell, bool) {
	var v any = map[string]any(r)
	for _, part := range strings.Split(col, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return cell{}, false
		}
		if v, ok = m[part]; !ok {
			return cell{}, false
		}
	}
	return jsonCell(v), true
}

func jsonCell(v any) cell {
	switch x := v.(type) {
	case nil:
		return cell{null: true}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return cell{text: x.String()}
		}
		return cell{num: f, isNum: true, text: x.String()}
	case string:
		return cell{text: x}
	case bool:
		return cell{text: strconv.FormatBool(x)}
	}
	b, _ := json.Marshal(v)
	return cell{text: string(b)}
}

func openJSONL(path string) (*jsonReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<16), 16<<20)
	return &jsonReader{f: f, s: s}, nil
}

func (j *jsonReader) columns() []string { return j.cols }
func (j *jsonReader) row() int64        { return j.line }
func (j *jsonReader) rowWord() string   { return "line" }
func (j *jsonReader) close() error      { return j.f.Close() }

func (j *jsonReader) next() (record, error) {
	for j.s.Scan() {
		j.line++
		b := bytes.TrimSpace(j.s.Bytes())
		if len(b) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("not a JSON object: %w", err)
		}
		if j.cols == nil {
			for k := range m {
				j.cols = append(j.cols, k)
			}
		}
		return jsonRecord(m), nil
	}
	if err := j.s.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}
