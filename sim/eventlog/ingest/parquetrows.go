package ingest

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetReader reads any flat Parquet file row by row (slower than
// sim/eventlog.Reader, which decodes guardsim's own schema column-wise, but
// it takes any column names and types).
type parquetReader struct {
	f      *os.File
	pf     *parquet.File
	names  []string
	index  map[string]int // column name → leaf index
	mult   []int64        // per leaf: nanoseconds per unit of a TIMESTAMP, else 0
	groups []parquet.RowGroup
	g      int
	rows   parquet.Rows
	buf    []parquet.Row
	n, pos int
	rowNum int64
	rec    parquetRecord
}

type parquetRecord struct {
	r   *parquetReader
	row parquet.Row
}

func (p parquetRecord) get(col string) (cell, bool) {
	i, ok := p.r.index[col]
	if !ok {
		return cell{}, false
	}
	for _, v := range p.row {
		if v.Column() != i {
			continue
		}
		return p.r.cell(i, v), true
	}
	return cell{null: true}, true
}

func (p *parquetReader) cell(leaf int, v parquet.Value) cell {
	if v.IsNull() {
		return cell{null: true}
	}
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			return cell{text: "true"}
		}
		return cell{text: "false"}
	case parquet.Int32:
		return cell{num: float64(v.Int32()), isNum: true}
	case parquet.Int64:
		if m := p.mult[leaf]; m > 0 {
			return cell{nanos: v.Int64() * m, isTime: true}
		}
		return cell{num: float64(v.Int64()), isNum: true}
	case parquet.Int96:
		i96 := v.Int96()
		// Nanoseconds of the day, then the Julian day (2440588 = 1970-01-01).
		nanos := int64(i96[1])<<32 | int64(i96[0])
		day := int64(i96[2]) - 2440588
		return cell{nanos: day*86400e9 + nanos, isTime: true}
	case parquet.Float:
		return cell{num: float64(v.Float()), isNum: true}
	case parquet.Double:
		return cell{num: v.Double(), isNum: true}
	}
	return cell{text: string(v.ByteArray())}
}

func openParquet(path string) (_ *parquetReader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
		if r := recover(); r != nil {
			f.Close()
			err = fmt.Errorf("corrupt Parquet file: %v", r)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	p := &parquetReader{f: f, pf: pf, index: map[string]int{}, groups: pf.RowGroups()}
	p.rec.r = p
	for _, path := range pf.Schema().Columns() {
		leaf, ok := pf.Schema().Lookup(path...)
		if !ok {
			continue
		}
		for len(p.mult) <= leaf.ColumnIndex {
			p.mult = append(p.mult, 0)
		}
		if len(path) != 1 {
			continue // nested columns are not event fields
		}
		name := path[0]
		if leaf.MaxRepetitionLevel > 0 {
			continue
		}
		p.names = append(p.names, name)
		p.index[name] = leaf.ColumnIndex
		if lt := leaf.Node.Type().LogicalType(); lt != nil {
			if ts, ok := lt.Value.(*format.TimestampType); ok {
				switch ts.Unit.Value.(type) {
				case *format.NanoSeconds:
					p.mult[leaf.ColumnIndex] = 1
				case *format.MicroSeconds:
					p.mult[leaf.ColumnIndex] = 1e3
				case *format.MilliSeconds:
					p.mult[leaf.ColumnIndex] = 1e6
				}
			}
		}
	}
	p.buf = make([]parquet.Row, 256)
	return p, nil
}

func (p *parquetReader) columns() []string { return p.names }
func (p *parquetReader) row() int64        { return p.rowNum - 1 }
func (p *parquetReader) rowWord() string   { return "row" }

func (p *parquetReader) close() error {
	if p.rows != nil {
		_ = p.rows.Close()
	}
	return p.f.Close()
}

func (p *parquetReader) next() (rec record, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt Parquet data: %v", r)
		}
	}()
	for p.pos >= p.n {
		if p.rows == nil {
			if p.g >= len(p.groups) {
				return nil, io.EOF
			}
			p.rows = p.groups[p.g].Rows()
			p.g++
		}
		n, err := p.rows.ReadRows(p.buf)
		p.n, p.pos = n, 0
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return nil, err
			}
			_ = p.rows.Close()
			p.rows = nil
		}
	}
	p.rec.row = p.buf[p.pos]
	p.pos++
	p.rowNum++
	return p.rec, nil
}
