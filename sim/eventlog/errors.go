package eventlog

import (
	"fmt"
	"strings"
)

// RowError is the error for bad input: it names the file and, when they are
// known, the row group, the row (counted from 0 within the row group) and the
// column.
type RowError struct {
	// File is the path of the file as given to Open (or found in a
	// directory given to Open).
	File string
	// RowGroup is the row group index counted from 0, or -1 for problems of
	// the whole file (not a Parquet file, bad footer, missing column).
	RowGroup int
	// Row is the row index within the row group counted from 0, or -1 when
	// the problem is not tied to one row.
	Row int64
	// Column is the column name, or "" when no column is concerned.
	Column string
	// Err is the underlying problem.
	Err error
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteString(": ")
	if e.RowGroup >= 0 {
		fmt.Fprintf(&b, "row group %d", e.RowGroup)
		if e.Row >= 0 {
			fmt.Fprintf(&b, ", row %d", e.Row)
		}
		b.WriteString(": ")
	}
	if e.Column != "" {
		b.WriteString("column ")
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

func fileError(file string, err error) *RowError {
	return &RowError{File: file, RowGroup: -1, Row: -1, Err: err}
}

func columnError(file, column string, err error) *RowError {
	return &RowError{File: file, RowGroup: -1, Row: -1, Column: column, Err: err}
}
