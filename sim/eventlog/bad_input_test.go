package eventlog

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// looseRow has every column nullable so tests can put nulls anywhere.
type looseRow struct {
	Time       *int64   `parquet:"time,timestamp(nanosecond)"`
	Kind       *string  `parquet:"kind"`
	ContextKey *string  `parquet:"context_key"`
	Variation  *string  `parquet:"variation"`
	MetricKey  *string  `parquet:"metric_key"`
	Value      *float64 `parquet:"value"`
}

// goodRows alternates exposures and metric events.
func goodRows(n int) []looseRow {
	rows := make([]looseRow, n)
	for i := range rows {
		t := t0 + int64(i)
		rows[i] = looseRow{Time: &t, ContextKey: strp("ctx")}
		if i%2 == 0 {
			rows[i].Kind, rows[i].Variation = strp("exposure"), strp("new")
		} else {
			v := float64(i)
			rows[i].Kind, rows[i].MetricKey, rows[i].Value = strp("metric"), strp("latency"), &v
		}
	}
	return rows
}

func f64p(v float64) *float64 { return &v }

func TestBadInput(t *testing.T) {
	type tc struct {
		name string
		// write writes the bad file at p.
		write func(t *testing.T, p string)
		// atOpen says Open reports the error (a schema or file problem).
		atOpen bool
		want   string // substring after "<path>: "
		// before is the number of events read before the error (-1: unchecked).
		before int
		shared bool // read with SharedKeyStorage
	}
	loose := func(mutate func(rows []looseRow), opts ...parquet.WriterOption) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			rows := goodRows(40)
			mutate(rows)
			writeRows(t, p, rows, opts...)
		}
	}
	raw := func(data func(valid []byte) []byte) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			writeEvents(t, p, testMeta, genEvents(20000, 11, false))
			valid, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, data(valid), 0o644))
		}
	}
	cases := []tc{
		// Schema.
		{name: "missing columns", write: func(t *testing.T, p string) {
			type r struct {
				Time    int64  `parquet:"time,timestamp(nanosecond)"`
				FlagKey string `parquet:"flag_key"`
			}
			writeRows(t, p, []r{{t0, "f"}})
		}, atOpen: true, want: "missing required columns: kind, context_key"},
		{name: "time as string", write: func(t *testing.T, p string) {
			type r struct {
				Time       string `parquet:"time"`
				Kind       string `parquet:"kind"`
				ContextKey string `parquet:"context_key"`
			}
			writeRows(t, p, []r{{"2025-01-01", "exposure", "a"}})
		}, atOpen: true, want: "column time: wrong type BYTE_ARRAY STRING, want TIMESTAMP(MILLIS|MICROS|NANOS), INT64 or INT96"},
		{name: "time as double", write: func(t *testing.T, p string) {
			type r struct {
				Time       float64 `parquet:"time"`
				Kind       string  `parquet:"kind"`
				ContextKey string  `parquet:"context_key"`
			}
			writeRows(t, p, []r{{1, "exposure", "a"}})
		}, atOpen: true, want: "column time: wrong type DOUBLE"},
		{name: "time as date", write: func(t *testing.T, p string) {
			type r struct {
				Time       int32  `parquet:"time,date"`
				Kind       string `parquet:"kind"`
				ContextKey string `parquet:"context_key"`
			}
			writeRows(t, p, []r{{1, "exposure", "a"}})
		}, atOpen: true, want: "column time: wrong type INT32 DATE"},
		{name: "kind as int", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64  `parquet:"time,timestamp(nanosecond)"`
				Kind       int32  `parquet:"kind"`
				ContextKey string `parquet:"context_key"`
			}
			writeRows(t, p, []r{{t0, 1, "a"}})
		}, atOpen: true, want: "column kind: wrong type INT32"},
		{name: "value as string", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64  `parquet:"time,timestamp(nanosecond)"`
				Kind       string `parquet:"kind"`
				ContextKey string `parquet:"context_key"`
				Value      string `parquet:"value"`
			}
			writeRows(t, p, []r{{t0, "metric", "a", "1.5"}})
		}, atOpen: true, want: "column value: wrong type BYTE_ARRAY STRING, want DOUBLE, FLOAT, INT32 or INT64"},
		{name: "variation as double", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64   `parquet:"time,timestamp(nanosecond)"`
				Kind       string  `parquet:"kind"`
				ContextKey string  `parquet:"context_key"`
				Variation  float64 `parquet:"variation"`
			}
			writeRows(t, p, []r{{t0, "exposure", "a", 1}})
		}, atOpen: true, want: "column variation: wrong type DOUBLE"},
		{name: "repeated column", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64    `parquet:"time,timestamp(nanosecond)"`
				Kind       string   `parquet:"kind"`
				ContextKey []string `parquet:"context_key"`
			}
			writeRows(t, p, []r{{t0, "exposure", []string{"a"}}})
		}, atOpen: true, want: "column context_key: is repeated"},
		{name: "group column", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64              `parquet:"time,timestamp(nanosecond)"`
				Kind       struct{ A string } `parquet:"kind"`
				ContextKey string             `parquet:"context_key"`
			}
			writeRows(t, p, []r{{Time: t0, ContextKey: "a"}})
		}, atOpen: true, want: "column kind: is a group"},

		// Rows.
		{name: "null context key", write: loose(func(r []looseRow) { r[3].ContextKey = nil }),
			want: "row group 0, row 3: column context_key: null value in a required column", before: 3},
		{name: "empty context key", write: loose(func(r []looseRow) { r[4].ContextKey = strp("") }),
			want: "row group 0, row 4: column context_key: empty context key", before: 4},
		{name: "empty context key, shared key storage", write: loose(func(r []looseRow) { r[4].ContextKey = strp("") }, parquet.DefaultEncoding(&parquet.Plain)),
			shared: true, want: "row group 0, row 4: column context_key: empty context key", before: 4},
		{name: "null time", write: loose(func(r []looseRow) { r[5].Time = nil }),
			want: "row group 0, row 5: column time: null value in a required column", before: 5},
		{name: "null kind", write: loose(func(r []looseRow) { r[0].Kind = nil }),
			want: "row group 0, row 0: column kind: null value in a required column", before: 0},
		{name: "unknown kind", write: loose(func(r []looseRow) { r[6].Kind = strp("click") }),
			want: `row group 0, row 6: column kind: unknown kind "click" (want exposure or metric)`, before: 6},
		{name: "unknown variation", write: loose(func(r []looseRow) { r[8].Variation = strp("blue") }),
			want: `row group 0, row 8: column variation: unknown variation "blue"`, before: 8},
		{name: "unknown variation plain", write: loose(func(r []looseRow) { r[8].Variation = strp("blue") }, parquet.DefaultEncoding(&parquet.Plain)),
			want: `row group 0, row 8: column variation: unknown variation "blue"`, before: 8},
		{name: "unknown int variation", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64  `parquet:"time,timestamp(nanosecond)"`
				Kind       string `parquet:"kind"`
				ContextKey string `parquet:"context_key"`
				Variation  *int32 `parquet:"variation"`
			}
			one, seven := int32(1), int32(7)
			writeRows(t, p, []r{{t0, "exposure", "a", &one}, {t0, "exposure", "b", nil}, {t0, "exposure", "c", &seven}})
		}, want: "row group 0, row 2: column variation: unknown variation 7 (want 0=original, 1=new, 2=outside or null)", before: 2},
		{name: "NaN value", write: loose(func(r []looseRow) { r[9].Value = f64p(math.NaN()) }),
			want: "row group 0, row 9: column value: NaN", before: 9},
		{name: "Inf value", write: loose(func(r []looseRow) { r[11].Value = f64p(math.Inf(-1)) }),
			want: "row group 0, row 11: column value: -Inf", before: 11},
		{name: "metric without metric_key", write: loose(func(r []looseRow) { r[13].MetricKey = nil }),
			want: "row group 0, row 13: column metric_key: metric event without a metric_key", before: 13},
		{name: "no metric_key column", write: func(t *testing.T, p string) {
			type r struct {
				Time       int64  `parquet:"time,timestamp(nanosecond)"`
				Kind       string `parquet:"kind"`
				ContextKey string `parquet:"context_key"`
			}
			writeRows(t, p, []r{{t0, "exposure", "a"}, {t0 + 1, "metric", "a"}})
		}, want: "row group 0, row 1: column metric_key: metric event without a metric_key", before: 1},
		{name: "out of order", write: loose(func(r []looseRow) { *r[17].Time -= 10 }),
			want: "row group 0, row 17: column time: time 2025-06-15T15:06:40.000000007Z is 9ns before an earlier row's 2025-06-15T15:06:40.000000016Z (out-of-order tolerance 0s)", before: 17},
		{name: "error in a later row group", write: loose(func(r []looseRow) { r[25].Value = f64p(math.NaN()) }, parquet.MaxRowsPerRowGroup(10)),
			want: "row group 2, row 5: column value: NaN", before: 25},
		{name: "error in a later page", write: loose(func(r []looseRow) { r[33].Kind = strp("") }, parquet.PageBufferSize(64)),
			want: `row group 0, row 33: column kind: unknown kind ""`, before: 33},

		// Files.
		{name: "empty file", write: func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, nil, 0o644)) },
			atOpen: true, want: "not a Parquet file (0 bytes)"},
		{name: "not parquet", write: func(t *testing.T, p string) {
			require.NoError(t, os.WriteFile(p, []byte("time,kind,context_key\n1,exposure,a\n"), 0o644))
		}, atOpen: true, want: "not a Parquet file, or truncated"},
		{name: "truncated", write: raw(func(b []byte) []byte { return b[:len(b)/2] }),
			atOpen: true, want: "not a Parquet file, or truncated"},
		{name: "huge footer length", write: raw(func(b []byte) []byte {
			b[len(b)-8], b[len(b)-7], b[len(b)-6], b[len(b)-5] = 0xff, 0xff, 0xff, 0x7f
			return b
		}), atOpen: true, want: "bad footer: length 2147483647"},
		{name: "garbage footer", write: raw(func(b []byte) []byte {
			n := int(b[len(b)-8]) | int(b[len(b)-7])<<8
			for i := len(b) - 8 - n; i < len(b)-8; i++ {
				b[i] = 0xee
			}
			return b
		}), atOpen: true, want: "not a valid Parquet file"},
		{name: "corrupt pages", write: raw(func(b []byte) []byte {
			for i := len(b) / 3; i < len(b)/3+200; i++ {
				b[i] ^= 0x5a
			}
			return b
		}), want: "row group 0", before: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "events.parquet")
			c.write(t, p)
			r, err := Open(t.Context(), []string{p}, testOpts)
			if c.atOpen {
				require.Error(t, err)
				t.Log(err)
				assert.Contains(t, err.Error(), p+": "+c.want)
				var re *RowError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, p, re.File)
				return
			}
			require.NoError(t, err)
			require.NoError(t, r.Close())
			o := testOpts
			o.SharedKeyStorage = c.shared
			got, _, err := readAll(t, []string{p}, o)
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), p+": "+c.want)
			var re *RowError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, p, re.File)
			if c.before >= 0 {
				assert.Len(t, got, c.before, "events before the bad row are delivered")
			}
		})
	}
}

func TestRowErrorMessage(t *testing.T) {
	e := &RowError{File: "events.parquet", RowGroup: 2, Row: 1234, Column: "value", Err: errNaN}
	assert.Equal(t, "events.parquet: row group 2, row 1234: column value: NaN", e.Error())
	assert.ErrorIs(t, e, errNaN)
	e = &RowError{File: "events.parquet", RowGroup: -1, Row: -1, Column: "time", Err: errNaN}
	assert.Equal(t, "events.parquet: column time: NaN", e.Error())
}

var errNaN = errorString("NaN")

type errorString string

func (e errorString) Error() string { return string(e) }
