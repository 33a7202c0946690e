package eventlog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one", 1},
		{"small", 1000},
		{"several row groups", 2*RowGroupRows + 123},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := genEvents(tc.n, uint64(tc.n), false)
			p := tempPath(t, "events.parquet")
			writeEvents(t, p, testMeta, evs)
			got, st, err := readAll(t, []string{p}, testOpts)
			require.NoError(t, err)
			if tc.n == 0 {
				require.Empty(t, got)
			} else {
				require.Equal(t, normalise(evs), got)
			}
			assert.EqualValues(t, tc.n, st.Rows)
			assert.EqualValues(t, tc.n, st.Events)
			require.Len(t, st.Files, 1)
			assert.Equal(t, p, st.Files[0].Path)

			shared := testOpts
			shared.SharedKeyStorage = true
			got2, _, err := readAll(t, []string{p}, shared)
			require.NoError(t, err)
			require.Equal(t, got, got2)
		})
	}
}

func TestRoundTripUnassignedIsNull(t *testing.T) {
	evs := []engine.Event{
		{Time: t0, Kind: engine.KindExposure, Variation: engine.Unassigned, ContextKey: "a"},
		{Time: t0 + 1, Kind: engine.KindExposure, Variation: engine.Original, ContextKey: "b", ContextKind: "org"},
		{Time: t0 + 2, Kind: engine.KindExposure, Variation: engine.New, ContextKey: "c"},
		{Time: t0 + 3, Kind: engine.KindExposure, Variation: engine.Outside, ContextKey: "d"},
		{Time: t0 + 4, Kind: engine.KindMetric, Variation: engine.New, Metric: 1, Value: 0, ContextKey: "c"},
	}
	p := tempPath(t, "events.parquet")
	writeEvents(t, p, testMeta, evs)

	// The stored columns, read back with parquet-go's generic reader.
	type stored struct {
		Variation   *string  `parquet:"variation"`
		MetricKey   *string  `parquet:"metric_key"`
		Value       *float64 `parquet:"value"`
		ContextKind string   `parquet:"context_kind"`
		FlagKey     string   `parquet:"flag_key"`
	}
	rows, err := parquet.ReadFile[stored](p)
	require.NoError(t, err)
	require.Len(t, rows, 5)
	assert.Nil(t, rows[0].Variation)
	assert.Equal(t, "original", *rows[1].Variation)
	assert.Nil(t, rows[4].Variation, "metric events carry no variation")
	assert.Equal(t, "conversion", *rows[4].MetricKey)
	assert.Equal(t, 0.0, *rows[4].Value)
	assert.Nil(t, rows[0].Value)
	assert.Equal(t, "user", rows[0].ContextKind)
	assert.Equal(t, "checkout-v2", rows[3].FlagKey)

	got, _, err := readAll(t, []string{p}, testOpts)
	require.NoError(t, err)
	require.Equal(t, normalise(evs), got)
	assert.Equal(t, engine.Unassigned, got[0].Variation)
}

func TestWriterDeterministic(t *testing.T) {
	evs := genEvents(50000, 3, false)
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		w, err := NewWriter(buf, testMeta)
		require.NoError(t, err)
		for _, ev := range evs {
			require.NoError(t, w.Write(ev))
		}
		require.NoError(t, w.Close())
	}
	require.Equal(t, a.Bytes(), b.Bytes())
}

func TestWriterRejectsBadEvents(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   engine.Event
		want string
	}{
		{"empty key", engine.Event{Time: t0, Kind: engine.KindExposure}, "empty context key"},
		{"bad kind", engine.Event{Time: t0, Kind: 9, ContextKey: "a"}, "invalid kind"},
		{"bad variation", engine.Event{Time: t0, Kind: engine.KindExposure, Variation: 5, ContextKey: "a"}, "invalid variation"},
		{"metric out of range", engine.Event{Time: t0, Kind: engine.KindMetric, Metric: 2, ContextKey: "a"}, "metric index 2 out of range"},
		{"NaN", engine.Event{Time: t0, Kind: engine.KindMetric, Value: nan(), ContextKey: "a"}, "metric value NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, testMeta)
			require.NoError(t, err)
			require.ErrorContains(t, w.Write(tc.ev), tc.want)
			require.NoError(t, w.Close())
		})
	}
}

type failingSource struct {
	evs   []engine.Event
	after int
	pos   int
}

func (s *failingSource) Read(_ context.Context, buf []engine.Event) (int, error) {
	if s.pos >= s.after {
		return 0, errors.New("generator exploded")
	}
	n := copy(buf[:min(len(buf), s.after-s.pos)], s.evs[s.pos:])
	s.pos += n
	return n, nil
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out", "events.parquet")
	evs := genEvents(20000, 4, false)

	_, err := WriteFile(context.Background(), p, testMeta, &failingSource{evs: evs, after: 10000})
	require.ErrorContains(t, err, "generator exploded")
	assertNoFiles(t, filepath.Dir(p))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = WriteFile(ctx, p, testMeta, &engine.SliceSource{Events: evs})
	require.ErrorIs(t, err, context.Canceled)
	assertNoFiles(t, filepath.Dir(p))

	bad := slices.Clone(evs)
	bad[15000].ContextKey = ""
	_, err = WriteFile(context.Background(), p, testMeta, &engine.SliceSource{Events: bad})
	require.ErrorContains(t, err, "event 15000: empty context key")
	assertNoFiles(t, filepath.Dir(p))

	n, err := WriteFile(context.Background(), p, testMeta, &engine.SliceSource{Events: evs})
	require.NoError(t, err)
	require.EqualValues(t, len(evs), n)
	entries, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "events.parquet", entries[0].Name())
}

func assertNoFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	require.Empty(t, entries)
}

// Columns in another order, extra columns, plain (non-dictionary) strings.
type reorderedRow struct {
	Extra       string   `parquet:"zzz_extra"`
	Value       *float64 `parquet:"value"`
	MetricKey   *string  `parquet:"metric_key"`
	Variation   *string  `parquet:"variation"`
	ContextKey  string   `parquet:"context_key"`
	Score       int32    `parquet:"score"`
	FlagKey     string   `parquet:"flag_key"`
	ContextKind string   `parquet:"context_kind"`
	Kind        string   `parquet:"kind"`
	Time        int64    `parquet:"time,timestamp(nanosecond)"`
}

func TestColumnsInAnotherOrder(t *testing.T) {
	evs := genEvents(5000, 5, false)
	rows := make([]reorderedRow, len(evs))
	for i, ev := range evs {
		r := reorderedRow{Extra: "x", Score: int32(i), ContextKey: ev.ContextKey, FlagKey: "checkout-v2", ContextKind: ev.ContextKind, Kind: ev.Kind.String(), Time: ev.Time}
		if ev.Kind == engine.KindMetric {
			r.MetricKey = &testMeta.MetricKeys[ev.Metric]
			v := ev.Value
			r.Value = &v
		} else if ev.Variation != engine.Unassigned {
			s := ev.Variation.String()
			r.Variation = &s
		}
		rows[i] = r
	}
	p := tempPath(t, "reordered.parquet")
	writeRows(t, p, rows, parquet.MaxRowsPerRowGroup(1000), parquet.PageBufferSize(4096))
	got, _, err := readAll(t, []string{p}, testOpts)
	require.NoError(t, err)
	require.Equal(t, normalise(evs), got)
}

// Alternative encodings of the same events.
type nsIntRow struct { // INT64 time without logical type, int variation, int value
	Time       int64  `parquet:"time"`
	Kind       string `parquet:"kind,enum"`
	ContextKey string `parquet:"context_key,dict"`
	Variation  *int32 `parquet:"variation"`
	MetricKey  string `parquet:"metric_key,optional"`
	Value      int64  `parquet:"value"`
}

type microsRow struct { // TIMESTAMP(MICROS), float value, synonyms, nullable context_kind
	Time        int64    `parquet:"time,timestamp(microsecond)"`
	Kind        string   `parquet:"kind"`
	ContextKind *string  `parquet:"context_kind"`
	ContextKey  string   `parquet:"context_key"`
	Variation   *string  `parquet:"variation"`
	MetricKey   *string  `parquet:"metric_key,dict"`
	Value       *float32 `parquet:"value"`
}

type millisRow struct { // TIMESTAMP(MILLIS), dictionary-encoded numbers, int64 variation
	Time       int64    `parquet:"time,timestamp(millisecond:local),dict"`
	Kind       string   `parquet:"kind,dict"`
	ContextKey string   `parquet:"context_key"`
	Variation  *int64   `parquet:"variation,dict"`
	MetricKey  *string  `parquet:"metric_key"`
	Value      *float64 `parquet:"value,dict"`
}

type int96Row struct {
	Time       deprecated.Int96 `parquet:"time"`
	Kind       string           `parquet:"kind"`
	ContextKey string           `parquet:"context_key"`
	Variation  *string          `parquet:"variation"`
	MetricKey  *string          `parquet:"metric_key"`
	Value      *float64         `parquet:"value"`
}

func strp(s string) *string { return &s }

func TestAlternativeEncodings(t *testing.T) {
	// Events whose times are whole milliseconds and values whole numbers,
	// so every encoding represents them exactly.
	evs := genEvents(3000, 6, false)
	for i := range evs {
		evs[i].Time = t0 + int64(i/3)*int64(time.Millisecond)
		evs[i].Value = float64(int(evs[i].Value))
		evs[i].ContextKind = "user"
	}
	want := normalise(evs)
	synonyms := map[engine.Variation]string{engine.Original: "control", engine.New: "treatment", engine.Outside: "untracked"}

	for _, tc := range []struct {
		name  string
		write func(t *testing.T, p string, opts ...parquet.WriterOption)
		ropts func(o *ReadOptions)
	}{
		{"int64 ns time, int variation, int value", func(t *testing.T, p string, opts ...parquet.WriterOption) {
			rows := make([]nsIntRow, len(evs))
			for i, ev := range evs {
				rows[i] = nsIntRow{Time: ev.Time, Kind: ev.Kind.String(), ContextKey: ev.ContextKey}
				if ev.Kind == engine.KindMetric {
					rows[i].MetricKey, rows[i].Value = testMeta.MetricKeys[ev.Metric], int64(ev.Value)
				} else if ev.Variation != engine.Unassigned {
					v := int32(ev.Variation)
					rows[i].Variation = &v
				}
			}
			writeRows(t, p, rows, opts...)
		}, nil},
		{"int64 ms time by magnitude", func(t *testing.T, p string, opts ...parquet.WriterOption) {
			rows := make([]nsIntRow, len(evs))
			for i, ev := range evs {
				rows[i] = nsIntRow{Time: ev.Time / 1e6, Kind: ev.Kind.String(), ContextKey: ev.ContextKey}
				if ev.Kind == engine.KindMetric {
					rows[i].MetricKey, rows[i].Value = testMeta.MetricKeys[ev.Metric], int64(ev.Value)
				} else if ev.Variation != engine.Unassigned {
					v := int32(ev.Variation)
					rows[i].Variation = &v
				}
			}
			writeRows(t, p, rows, opts...)
		}, nil},
		{"int64 µs time by IntTimeUnit", func(t *testing.T, p string, opts ...parquet.WriterOption) {
			rows := make([]nsIntRow, len(evs))
			for i, ev := range evs {
				rows[i] = nsIntRow{Time: (ev.Time - t0) / 1e3, Kind: ev.Kind.String(), ContextKey: ev.ContextKey}
				if ev.Kind == engine.KindMetric {
					rows[i].MetricKey, rows[i].Value = testMeta.MetricKeys[ev.Metric], int64(ev.Value)
				} else if ev.Variation != engine.Unassigned {
					v := int32(ev.Variation)
					rows[i].Variation = &v
				}
			}
			writeRows(t, p, rows, opts...)
		}, func(o *ReadOptions) { o.IntTimeUnit = time.Microsecond }},
		{"timestamp micros, float value, synonyms, null context kind", func(t *testing.T, p string, opts ...parquet.WriterOption) {
			rows := make([]microsRow, len(evs))
			for i, ev := range evs {
				rows[i] = microsRow{Time: ev.Time / 1e3, Kind: ev.Kind.String(), ContextKey: ev.ContextKey}
				if i%2 == 0 {
					rows[i].ContextKind = strp("user")
				}
				if ev.Kind == engine.KindMetric {
					v := float32(ev.Value)
					rows[i].MetricKey, rows[i].Value = &testMeta.MetricKeys[ev.Metric], &v
				} else if ev.Variation != engine.Unassigned {
					rows[i].Variation = strp(synonyms[ev.Variation])
				}
			}
			writeRows(t, p, rows, opts...)
		}, nil},
		{"timestamp millis, dictionary numbers, int64 variation", func(t *testing.T, p string, opts ...parquet.WriterOption) {
			rows := make([]millisRow, len(evs))
			for i, ev := range evs {
				rows[i] = millisRow{Time: ev.Time / 1e6, Kind: ev.Kind.String(), ContextKey: ev.ContextKey}
				if ev.Kind == engine.KindMetric {
					v := ev.Value
					rows[i].MetricKey, rows[i].Value = &testMeta.MetricKeys[ev.Metric], &v
				} else if ev.Variation != engine.Unassigned {
					v := int64(ev.Variation)
					rows[i].Variation = &v
				}
			}
			writeRows(t, p, rows, opts...)
		}, nil},
		{"int96 time", func(t *testing.T, p string, opts ...parquet.WriterOption) {
			rows := make([]int96Row, len(evs))
			for i, ev := range evs {
				day := ev.Time / 86400e9
				nanos := ev.Time % 86400e9
				rows[i] = int96Row{
					Time: deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day + julianUnixEpoch)},
					Kind: ev.Kind.String(), ContextKey: ev.ContextKey,
				}
				if ev.Kind == engine.KindMetric {
					v := ev.Value
					rows[i].MetricKey, rows[i].Value = &testMeta.MetricKeys[ev.Metric], &v
				} else if ev.Variation != engine.Unassigned {
					rows[i].Variation = strp(ev.Variation.String())
				}
			}
			writeRows(t, p, rows, opts...)
		}, nil},
	} {
		for _, v := range []int{1, 2} {
			t.Run(tc.name+"/page v"+string(rune('0'+v)), func(t *testing.T) {
				p := tempPath(t, "alt.parquet")
				tc.write(t, p, parquet.DataPageVersion(v), parquet.PageBufferSize(2048), parquet.MaxRowsPerRowGroup(1100))
				o := testOpts
				if tc.ropts != nil {
					tc.ropts(&o)
				}
				got, st, err := readAll(t, []string{p}, o)
				require.NoError(t, err)
				w := want
				if o.IntTimeUnit == time.Microsecond {
					w = slices.Clone(want)
					for i := range w {
						w[i].Time -= t0
					}
				}
				require.Equal(t, w, got)
				assert.EqualValues(t, len(evs), st.Events)
			})
		}
	}
}

func TestMergeFilesInTimeOrder(t *testing.T) {
	dir := t.TempDir()
	var all []engine.Event
	var paths []string
	for i := range 4 {
		evs := genEvents(20000+i*1000, uint64(10+i), true)
		for j := range evs {
			evs[j].ContextKey = string(rune('a'+i)) + evs[j].ContextKey
		}
		p := filepath.Join(dir, "part-"+string(rune('0'+i))+".parquet")
		writeEvents(t, p, testMeta, evs)
		paths = append(paths, p)
		all = append(all, normalise(evs)...)
	}
	// Ties are broken by file order: a stable sort of the concatenation.
	slices.SortStableFunc(all, func(a, b engine.Event) int { return cmpInt(a.Time, b.Time) })

	got, st, err := readAll(t, paths, testOpts)
	require.NoError(t, err)
	require.Equal(t, all, got)
	require.Len(t, st.Files, 4)
	for i, fs := range st.Files {
		assert.Equal(t, paths[i], fs.Path)
		assert.EqualValues(t, 20000+i*1000, fs.Rows)
	}

	// The same files through their directory, which also holds files to skip.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not events"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".part-9.parquet.tmp-123"), []byte("partial"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.parquet"), []byte("partial"), 0o644))
	r, err := Open(context.Background(), []string{dir}, testOpts)
	require.NoError(t, err)
	require.Equal(t, paths, r.Files())
	require.NoError(t, r.Close())
	got, _, err = readAll(t, []string{dir}, testOpts)
	require.NoError(t, err)
	require.Equal(t, all, got)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestOpenPaths(t *testing.T) {
	_, err := Open(context.Background(), nil, testOpts)
	require.ErrorContains(t, err, "no input paths")
	_, err = Open(context.Background(), []string{filepath.Join(t.TempDir(), "nope.parquet")}, testOpts)
	require.ErrorContains(t, err, "nope.parquet")
	_, err = Open(context.Background(), []string{t.TempDir()}, testOpts)
	require.ErrorContains(t, err, "no *.parquet files in directory")
}

func TestFilters(t *testing.T) {
	evs := []engine.Event{
		{Time: t0, Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"},
		{Time: t0 + 1, Kind: engine.KindMetric, Metric: 0, Value: 3, ContextKey: "a"},
		{Time: t0 + 2, Kind: engine.KindMetric, Metric: 1, Value: 1, ContextKey: "a"},
	}
	dir := t.TempDir()
	mine := filepath.Join(dir, "a.parquet")
	other := filepath.Join(dir, "b.parquet")
	writeEvents(t, mine, testMeta, evs)
	writeEvents(t, other, Meta{FlagKey: "other-flag", MetricKeys: []string{"errors", "conversion"}}, evs)

	got, st, err := readAll(t, []string{dir}, testOpts)
	require.NoError(t, err)
	// mine: 3 events. other: its exposure is skipped, "errors" is unknown,
	// "conversion" is kept (metric 1 in both lists).
	assert.Len(t, got, 4)
	assert.EqualValues(t, 6, st.Rows)
	assert.EqualValues(t, 4, st.Events)
	assert.EqualValues(t, 1, st.SkippedOtherFlag)
	assert.EqualValues(t, 1, st.SkippedUnknownMetric)
	assert.Equal(t, []string{"errors"}, st.Files[1].UnknownMetricKeys)
	assert.Zero(t, st.Files[0].SkippedOtherFlag)

	// No flag filter: every exposure.
	o := testOpts
	o.FlagKey = ""
	_, st, err = readAll(t, []string{dir}, o)
	require.NoError(t, err)
	assert.EqualValues(t, 5, st.Events)
}

func TestOutOfOrderTolerance(t *testing.T) {
	ms := int64(time.Millisecond)
	// Times in ms after t0; goes back by at most 30ms.
	offsets := []int64{0, 10, 5, 20, 40, 12, 41, 41, 35, 100, 90, 200}
	var evs []engine.Event
	for i, o := range offsets {
		evs = append(evs, engine.Event{Time: t0 + o*ms, Kind: engine.KindExposure, Variation: engine.New, ContextKey: string(rune('a' + i))})
	}
	p := tempPath(t, "ooo.parquet")
	writeEvents(t, p, testMeta, evs)

	o := testOpts
	o.OutOfOrderTolerance = 30 * time.Millisecond
	got, _, err := readAll(t, []string{p}, o)
	require.NoError(t, err)
	want := normalise(evs)
	slices.SortStableFunc(want, func(a, b engine.Event) int { return cmpInt(a.Time, b.Time) })
	require.Equal(t, want, got)

	o.OutOfOrderTolerance = 20 * time.Millisecond
	_, _, err = readAll(t, []string{p}, o)
	require.ErrorContains(t, err, p+": row group 0, row 5: column time: time 2025-06-15T15:06:40.012Z is 28ms before an earlier row's 2025-06-15T15:06:40.04Z (out-of-order tolerance 20ms)")

	_, _, err = readAll(t, []string{p}, testOpts)
	require.ErrorContains(t, err, p+": row group 0, row 2: column time:")

	// Large reorders across batches and row groups.
	big := genEvents(300000, 8, true)
	for i := 0; i+7 < len(big); i += 7 {
		big[i], big[i+6] = big[i+6], big[i]
	}
	p = tempPath(t, "big.parquet")
	writeEvents(t, p, testMeta, big)
	o.OutOfOrderTolerance = time.Millisecond
	got, _, err = readAll(t, []string{p}, o)
	require.NoError(t, err)
	want = normalise(big)
	slices.SortStableFunc(want, func(a, b engine.Event) int { return cmpInt(a.Time, b.Time) })
	require.Equal(t, want, got)
}

func TestReadAfterCloseAndCancel(t *testing.T) {
	p := tempPath(t, "e.parquet")
	writeEvents(t, p, testMeta, genEvents(100, 9, false))
	r, err := Open(context.Background(), []string{p}, testOpts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Read(ctx, make([]engine.Event, 10))
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, r.Close())
	_, err = r.Read(context.Background(), make([]engine.Event, 10))
	require.ErrorContains(t, err, "read after Close")
}
