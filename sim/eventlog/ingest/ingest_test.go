package ingest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim/eventlog"
)

func readAll(t testing.TB, src Source) []engine.Event {
	t.Helper()
	var out []engine.Event
	buf := make([]engine.Event, 1000)
	for {
		n, err := src.Read(context.Background(), buf)
		for _, e := range buf[:n] {
			e.ContextKey = strings.Clone(e.ContextKey)
			out = append(out, e)
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
	}
}

func openOpts(p engine.Policy, o Options) Options {
	o.FlagKey, o.MetricKeys = p.FlagKey, p.MetricKeys()
	return o
}

// TestLaunchDarklyExports: the streaming export (JSON lines) and the
// warehouse tables (hive-partitioned Parquet, _SUCCESS marker skipped) of
// the example rollout read back as exactly the events it generated
// (exposures unassigned, times at millisecond precision).
func TestLaunchDarklyExports(t *testing.T) {
	p, want := exampleEvents(t, false)
	for _, path := range []string{
		filepath.Join(repoTestdata, "launchdarkly", "stream"),
		filepath.Join(repoTestdata, "launchdarkly", "warehouse"),
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := Open(context.Background(), []string{path}, openOpts(p, Options{Format: LaunchDarkly}))
			require.NoError(t, err)
			defer src.Close()
			got := readAll(t, src)
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i], got[i], "event %d", i)
			}
			st := src.Stats()
			assert.Equal(t, int64(len(want)), st.Events)
		})
	}
}

// TestMappedCSV: a CSV with other column names, epoch seconds (detected)
// and its own arm names reads as the generated events (times at ms).
func TestMappedCSV(t *testing.T) {
	p, want := exampleEvents(t, true)
	cols, err := ParseColumns("time=ts,context_key=user_id,flag_key=flag,variation=arm,metric_key=event_name,value=amount")
	require.NoError(t, err)
	arms, err := ParseVariations("original=control,new=treatment,outside=holdout")
	require.NoError(t, err)
	path := filepath.Join(repoTestdata, "exports", "events.csv")
	src, err := Open(context.Background(), []string{path}, openOpts(p, Options{Columns: cols, Variations: arms}))
	require.NoError(t, err)
	got := readAll(t, src)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i], got[i], "event %d", i)
	}
	// Without the variation mapping the arm names are an error naming the line.
	_, err = Open(context.Background(), []string{path}, openOpts(p, Options{Columns: cols}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "events.csv: line 2: column arm: variation value \"holdout\" is not mapped to an arm")
}

// TestNativeCSVRoundTrip: guardsim's own CSV (as generate writes it) reads
// back exactly, nanoseconds included.
func TestNativeCSVRoundTrip(t *testing.T) {
	p, evs := exampleEvents(t, true)
	evs[3].Time += 123 // sub-millisecond part survives
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "ev.csv"))
	require.NoError(t, err)
	w, err := eventlog.NewCSVWriter(f, eventlog.Meta{FlagKey: p.FlagKey, MetricKeys: p.MetricKeys()})
	require.NoError(t, err)
	for _, e := range evs[:50] {
		require.NoError(t, w.Write(e))
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	src, err := Open(context.Background(), []string{dir}, openOpts(p, Options{}))
	require.NoError(t, err)
	assert.Equal(t, evs[:50], readAll(t, src))
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// TestBadInputs: each problem is an error naming the file, the line and
// the column, in the user's words.
func TestBadInputs(t *testing.T) {
	p := engine.Policy{FlagKey: "f", Metrics: []engine.Metric{{Key: "m", Kind: engine.Numeric}}}
	tests := []struct {
		name, file, content string
		opts                Options
		want                string
	}{
		{"epoch seconds detected, ms declared", "a.csv", "time,kind,context_key\n1767571200,exposure,u1\n", Options{TimeUnit: time.Millisecond},
			""},
		{"implausible numeric time", "a.csv", "time,kind,context_key\n12345,exposure,u1\n", Options{},
			"a.csv: line 2: column time: numeric time 12345 is not a date between 2000 and 2100"},
		{"unit changes mid-file", "a.csv", "time,kind,context_key\n1767571200,exposure,u1\n1767571200000,exposure,u2\n", Options{},
			"a.csv: line 3: column time: numeric time 1.7675712e+12 does not fit the unit 1s"},
		{"missing columns", "a.csv", "ts,user\n1,2\n", Options{},
			"a.csv: missing required columns: time, context_key, kind (or a metric_key column) (columns found: ts, user"},
		{"mapped column missing", "a.csv", "ts,user\n1,2\n", Options{Columns: map[string]string{"time": "when"}},
			"when (as time)"},
		{"bad kind", "a.csv", "time,kind,context_key\n2026-01-05T00:00:00Z,click,u1\n", Options{},
			`a.csv: line 2: column kind: unknown kind "click"`},
		{"empty key", "a.csv", "time,kind,context_key\n2026-01-05T00:00:00Z,exposure,\n", Options{},
			"a.csv: line 2: column context_key: empty context key"},
		{"NaN value", "a.csv", "time,kind,context_key,metric_key,value\n2026-01-05T00:00:00Z,metric,u1,m,NaN\n", Options{},
			"a.csv: line 2: column value: value NaN is not finite"},
		{"text value", "a.csv", "time,kind,context_key,metric_key,value\n2026-01-05T00:00:00Z,metric,u1,m,fast\n", Options{},
			`column value: value "fast" is not a number`},
		{"out of order", "a.csv", "time,kind,context_key\n2026-01-05T00:00:10Z,exposure,u1\n2026-01-05T00:00:00Z,exposure,u2\n", Options{},
			"a.csv: line 3: column time: time 2026-01-05T00:00:00Z is before an earlier row's 2026-01-05T00:00:10Z"},
		{"bad text time", "a.csv", "time,kind,context_key\nyesterday,exposure,u1\n", Options{},
			`column time: time "yesterday" is neither RFC 3339`},
		{"bad JSON", "a.jsonl", "{\"time\": \"2026-01-05T00:00:00Z\", \"kind\": \"exposure\", \"context_key\": \"u\"}\nnot json\n", Options{},
			"a.jsonl: line 2: not a JSON object"},
		{"LD stream without context", "a.jsonl", `{"kind":"feature","creationDate":1767571200000,"key":"f","variation":1}` + "\n", Options{Format: LaunchDarkly},
			"a.jsonl: line 1: column contextKeys: no context key"},
		{"LD not an export", "a.csv", "foo,bar\n1,2\n", Options{Format: LaunchDarkly},
			"a.csv: not a LaunchDarkly export"},
		{"LD unmapped variation", "a.jsonl", `{"kind":"feature","creationDate":1767571200000,"key":"f","variation":3,"contextKeys":{"user":"u"}}` + "\n",
			Options{Format: LaunchDarkly, Variations: map[string]engine.Variation{"1": engine.New}}, `column variation: flag f: variation value "3" is not mapped`},
		{"unknown extension", "a.txt", "x", Options{}, "a.txt: unknown file type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, t.TempDir(), tc.file, tc.content)
			src, err := Open(context.Background(), []string{path}, openOpts(p, tc.opts))
			if tc.want == "" {
				require.NoError(t, err)
				evs := readAll(t, src)
				require.Len(t, evs, 1)
				assert.Equal(t, int64(1767571200)*int64(time.Millisecond), evs[0].Time, "a declared unit is obeyed")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestTimeUnits: every unit is detected on dates 2000–2100; values between
// the ranges, and before 2000, are refused rather than guessed.
func TestTimeUnits(t *testing.T) {
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	for _, u := range []time.Duration{time.Second, time.Millisecond, time.Microsecond, time.Nanosecond} {
		tp := newTimeParser(0)
		got, err := tp.number(float64(at.UnixNano() / int64(u)))
		require.NoError(t, err, u)
		assert.Equal(t, at.UnixNano(), got, u)
		assert.Equal(t, u, tp.Unit())
	}
	for _, v := range []float64{0, 1e6, 9e11, 5e15, 1e20, -1767571200} {
		_, err := newTimeParser(0).number(v)
		assert.Error(t, err, "%g", v)
	}
	for in, want := range map[string]time.Time{
		"2026-01-05T10:00:00.5Z":           at.Add(500 * time.Millisecond),
		"2026-01-05 10:00:00":              at,
		"2026-01-05 10:00:00.123 UTC":      at.Add(123 * time.Millisecond),
		"2026-01-05T11:00:00+01:00":        at,
		"2026-01-05 10:00:00.000001+00:00": at.Add(time.Microsecond),
	} {
		got, err := newTimeParser(0).text(in)
		require.NoError(t, err, in)
		assert.Equal(t, want.UnixNano(), got, in)
	}
	for in, want := range map[string]time.Duration{"s": time.Second, "ms": time.Millisecond, "us": time.Microsecond, "ns": time.Nanosecond, "": 0, "auto": 0} {
		u, err := ParseTimeUnit(in)
		require.NoError(t, err)
		assert.Equal(t, want, u)
	}
	_, err := ParseTimeUnit("days")
	assert.ErrorContains(t, err, "want s, ms, us, ns or auto")
}

func TestParseMappings(t *testing.T) {
	c, err := ParseColumns(" time=ts , context_key=user_id")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"time": "ts", "context_key": "user_id"}, c)
	for in, want := range map[string]string{"tim=ts": `unknown field "tim"`, "time": "want FIELD=COLUMN", "time=a,time=b": "mapped twice"} {
		_, err := ParseColumns(in)
		assert.ErrorContains(t, err, want, in)
	}
	v, err := ParseVariations("new=true|on,original=false")
	require.NoError(t, err)
	assert.Equal(t, map[string]engine.Variation{"true": engine.New, "on": engine.New, "false": engine.Original}, v)
	for in, want := range map[string]string{"blue=1": `arm "blue"`, "new": "want ARM=VALUE", "new=1,original=1": "given for both"} {
		_, err := ParseVariations(in)
		assert.ErrorContains(t, err, want, in)
	}
}

// TestExpandPaths: directories are walked recursively in path order;
// hidden and underscore names are skipped.
func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"date=2026-01-06/part-0.parquet", "date=2026-01-05/part-1.csv", "date=2026-01-05/part-0.jsonl",
		"_SUCCESS", ".tmp/x.parquet", "date=2026-01-05/.part-2.parquet.tmp", "notes.txt"} {
		write(t, dir, f, "")
	}
	got, err := ExpandPaths([]string{dir})
	require.NoError(t, err)
	rel := make([]string, len(got))
	for i, g := range got {
		rel[i], _ = filepath.Rel(dir, g)
	}
	assert.Equal(t, []string{"date=2026-01-05/part-0.jsonl", "date=2026-01-05/part-1.csv", "date=2026-01-06/part-0.parquet"}, rel)
	_, err = ExpandPaths([]string{filepath.Join(dir, "nope")})
	assert.ErrorContains(t, err, "no such file")
	empty := t.TempDir()
	write(t, empty, "readme.md", "")
	_, err = ExpandPaths([]string{empty})
	assert.ErrorContains(t, err, "has no data files")
}
