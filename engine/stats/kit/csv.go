package kit

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// FormatValue prints an output value for CSV: shortest round-trip form,
// "inf", "-inf" or "nan".
func FormatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// CallCSV evaluates the named function once per row of a CSV whose header
// names the arguments (cells in ParseArg syntax; an empty cell leaves the
// argument out) and writes a CSV with the input columns followed by the
// function's outputs. Errors name the input row and column. Nothing is
// written unless every row succeeds.
func CallCSV(name string, in io.Reader, out io.Writer) error {
	f, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("unknown function %q", name)
	}
	r := csv.NewReader(in)
	r.FieldsPerRecord = 0
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("input CSV is empty: want a header row naming the arguments")
	}
	if err != nil {
		return fmt.Errorf("input CSV: %w", err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(append(append([]string(nil), header...), f.Outputs...)); err != nil {
		return err
	}
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("input CSV row %d: %w", row, err)
		}
		args := Args{}
		for i, cell := range rec {
			if strings.TrimSpace(cell) == "" {
				continue
			}
			v, err := ParseArg(cell)
			if err != nil {
				return fmt.Errorf("input CSV row %d, column %q: %w", row, header[i], err)
			}
			args[header[i]] = v
		}
		res, err := Call(name, args)
		if err != nil {
			return fmt.Errorf("input CSV row %d: %w", row, err)
		}
		outRec := append([]string(nil), rec...)
		for _, o := range f.Outputs {
			outRec = append(outRec, FormatValue(res[o]))
		}
		if err := w.Write(outRec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	_, err = out.Write(buf.Bytes())
	return err
}

// WriteCall writes one call as a CSV: the argument names and the outputs
// as the header, then one row.
func WriteCall(name string, args Args, raw map[string]string, order []string, out io.Writer) error {
	f, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("unknown function %q", name)
	}
	res, err := Call(name, args)
	if err != nil {
		return err
	}
	w := csv.NewWriter(out)
	head := append(append([]string(nil), order...), f.Outputs...)
	rec := make([]string, 0, len(head))
	for _, k := range order {
		rec = append(rec, raw[k])
	}
	for _, o := range f.Outputs {
		rec = append(rec, FormatValue(res[o]))
	}
	if err := w.Write(head); err != nil {
		return err
	}
	if err := w.Write(rec); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}
