package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim/eventlog"
)

// Format is the layout of the input files.
type Format string

const (
	// Guardsim is guardsim's event schema (docs/EVENTS.md), with columns
	// renamed by Options.Columns: Parquet, CSV or JSON lines by extension.
	Guardsim Format = "guardsim"
	// LaunchDarkly is LaunchDarkly Data Export: streaming JSON lines
	// (feature and custom events) or warehouse tables (evaluation_events
	// and metric_events; Parquet, CSV or JSON lines), told apart per file.
	LaunchDarkly Format = "launchdarkly"
)

// ParseFormat parses a --format value ("" is Guardsim).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "guardsim", "native":
		return Guardsim, nil
	case "launchdarkly", "ld":
		return LaunchDarkly, nil
	}
	return "", fmt.Errorf("format %q: want guardsim or launchdarkly", s)
}

// Options configures Open.
type Options struct {
	Format Format
	// Columns maps event fields (Fields) to the files' column names; fields
	// not listed keep their own name (or the LaunchDarkly name).
	Columns map[string]string
	// Variations maps the files' variation values to arms; values not listed
	// are read as arm names (original, new, outside, control, treatment…)
	// or, for the guardsim format, 0/1/2/-1.
	Variations map[string]engine.Variation
	// TimeUnit is the unit of numeric times (time.Second … time.Nanosecond);
	// zero detects it per file from the values (see package doc).
	TimeUnit time.Duration
	// FlagKey keeps only exposures of this flag (empty: all).
	FlagKey string
	// MetricKeys maps metric keys to Event.Metric; others are skipped.
	MetricKeys []string
	// Tolerance is how far back in time a row may go within a file.
	Tolerance time.Duration
}

// Source is an opened set of event files: an engine.Source with the files
// read and what was kept or skipped.
type Source interface {
	engine.Source
	Files() []string
	Stats() eventlog.Stats
	Start() (time.Time, bool)
	Close() error
}

// Open opens the event files at paths (files or directories, read
// recursively). Files in guardsim's Parquet schema with a TIMESTAMP time
// column and no column mapping stream through eventlog.Reader; the rest are
// decoded and validated here before Open returns.
func Open(ctx context.Context, paths []string, opts Options) (Source, error) {
	if opts.Format == "" {
		opts.Format = Guardsim
	}
	files, err := ExpandPaths(paths)
	if err != nil {
		return nil, err
	}
	if opts.Format == Guardsim && len(opts.Columns) == 0 && len(opts.Variations) == 0 && allNativeParquet(files, opts.TimeUnit) {
		unit := opts.TimeUnit
		if unit == time.Second {
			unit = 0
		}
		return eventlog.Open(ctx, files, eventlog.ReadOptions{
			FlagKey: opts.FlagKey, MetricKeys: opts.MetricKeys, OutOfOrderTolerance: opts.Tolerance,
			IntTimeUnit: unit, SharedKeyStorage: true,
		})
	}
	m := &memSource{files: files}
	metricIndex := map[string]int32{}
	for i, k := range opts.MetricKeys {
		metricIndex[k] = int32(i)
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs, err := readFile(f, opts, metricIndex, &m.events)
		if err != nil {
			return nil, err
		}
		m.stats.Files = append(m.stats.Files, fs)
		m.stats.Rows += fs.Rows
		m.stats.Events += fs.Events
		m.stats.SkippedOtherFlag += fs.SkippedOtherFlag
		m.stats.SkippedUnknownMetric += fs.SkippedUnknownMetric
	}
	// Stable: equal times keep file order, then row order.
	slices.SortStableFunc(m.events, func(a, b engine.Event) int { return cmp.Compare(a.Time, b.Time) })
	return m, nil
}

// allNativeParquet reports whether every file is Parquet whose time column
// eventlog.Reader reads without guessing: a TIMESTAMP or INT96, or an INT64
// with a declared unit it supports (ns, µs, ms).
func allNativeParquet(files []string, unit time.Duration) bool {
	for _, path := range files {
		if !strings.EqualFold(filepath.Ext(path), ".parquet") {
			return false
		}
		f, err := os.Open(path)
		if err != nil {
			return true // let eventlog report it
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return true
		}
		pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			f.Close()
			return true // eventlog names the file and the problem
		}
		leaf, ok := pf.Schema().Lookup(eventlog.ColTime)
		f.Close()
		if !ok {
			return true
		}
		typ := leaf.Node.Type()
		if typ.Kind() == parquet.Int96 {
			continue
		}
		if lt := typ.LogicalType(); lt != nil {
			if _, ok := lt.Value.(*format.TimestampType); ok {
				continue
			}
		}
		if unit == 0 || unit == time.Second {
			return false // plain numbers: detect (or read seconds) here
		}
	}
	return true
}

// memSource serves decoded events from memory.
type memSource struct {
	files  []string
	events []engine.Event
	pos    int
	stats  eventlog.Stats
}

func (m *memSource) Read(ctx context.Context, buf []engine.Event) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if m.pos >= len(m.events) {
		return 0, io.EOF
	}
	n := copy(buf, m.events[m.pos:])
	m.pos += n
	return n, nil
}

func (m *memSource) Files() []string          { return slices.Clone(m.files) }
func (m *memSource) Stats() eventlog.Stats    { return m.stats }
func (m *memSource) Start() (time.Time, bool) { return time.Time{}, false }
func (m *memSource) Close() error             { m.events = nil; return nil }

// rowError names the file, row and column of a bad value.
func rowError(path string, rr recordReader, column string, err error) error {
	if rr != nil {
		return fmt.Errorf("%s: %s %d: %w", path, rr.rowWord(), rr.row(), columnErr(column, err))
	}
	return fmt.Errorf("%s: %w", path, columnErr(column, err))
}

func columnErr(column string, err error) error {
	if column == "" {
		return err
	}
	return fmt.Errorf("column %s: %w", column, err)
}

func openRecords(path string) (recordReader, error) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".csv"):
		return openCSV(path)
	case strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".ndjson"), strings.HasSuffix(lower, ".json"):
		return openJSONL(path)
	case strings.HasSuffix(lower, ".parquet"):
		return openParquet(path)
	}
	return nil, fmt.Errorf("unknown file type (want .parquet, .csv, .jsonl, .ndjson or .json)")
}

// layout is how one file's rows become events.
type layout struct {
	cols     map[string]string // field → column
	kind     engine.EventKind  // fixed kind of every row (warehouse tables), or 0
	ldStream bool
	timeUnit time.Duration
	arms     map[string]engine.Variation
	ldFormat bool
}

func readFile(path string, opts Options, metricIndex map[string]int32, out *[]engine.Event) (eventlog.FileStats, error) {
	fs := eventlog.FileStats{Path: path}
	rr, err := openRecords(path)
	if err != nil {
		return fs, rowError(path, nil, "", err)
	}
	defer rr.close()
	first, err := rr.next()
	if errors.Is(err, io.EOF) {
		return fs, nil
	}
	if err != nil {
		return fs, rowError(path, rr, "", err)
	}
	lay, err := chooseLayout(rr, first, opts)
	if err != nil {
		return fs, rowError(path, nil, "", err)
	}
	tp := newTimeParser(lay.timeUnit)
	var latest int64 = math.MinInt64
	for rec := first; ; {
		evs, skip, column, err := lay.convert(rec, tp)
		if err != nil {
			return fs, rowError(path, rr, column, err)
		}
		fs.Rows++
		switch skip {
		case skipOtherKind:
		default:
			for _, ev := range evs {
				if ev.Kind == engine.KindExposure && opts.FlagKey != "" && lay.flagOf(rec) != "" && lay.flagOf(rec) != opts.FlagKey {
					fs.SkippedOtherFlag++
					continue
				}
				if ev.Kind == engine.KindMetric {
					key := lay.metricOf(rec)
					idx, ok := metricIndex[key]
					if !ok {
						fs.SkippedUnknownMetric++
						if len(fs.UnknownMetricKeys) < 16 && !slices.Contains(fs.UnknownMetricKeys, key) {
							fs.UnknownMetricKeys = append(fs.UnknownMetricKeys, key)
						}
						continue
					}
					ev.Metric = idx
				}
				if ev.Time < latest-int64(opts.Tolerance) {
					return fs, rowError(path, rr, lay.cols["time"], fmt.Errorf("time %s is before an earlier row's %s (out-of-order tolerance %v)",
						time.Unix(0, ev.Time).UTC().Format(time.RFC3339Nano), time.Unix(0, latest).UTC().Format(time.RFC3339Nano), opts.Tolerance))
				}
				latest = max(latest, ev.Time)
				*out = append(*out, ev)
				fs.Events++
			}
		}
		rec, err = rr.next()
		if errors.Is(err, io.EOF) {
			return fs, nil
		}
		if err != nil {
			return fs, rowError(path, rr, "", err)
		}
	}
}

type skipReason int

const (
	keep skipReason = iota
	skipOtherKind
)

// chooseLayout maps the file's columns to event fields.
func chooseLayout(rr recordReader, first record, opts Options) (*layout, error) {
	lay := &layout{cols: map[string]string{}, timeUnit: opts.TimeUnit, arms: opts.Variations}
	for _, f := range Fields {
		lay.cols[f] = f
	}
	has := func(c string) bool { _, ok := first.get(c); return ok || slices.Contains(rr.columns(), c) }
	if opts.Format == LaunchDarkly {
		lay.ldFormat = true
		if ev := ldEvent(first); ev.text("kind") != "" && ev.text("creationDate") != "" {
			lay.ldStream = true
			if lay.timeUnit == 0 {
				lay.timeUnit = time.Millisecond // creationDate is in ms
			}
			return lay, nil
		}
		// Warehouse tables.
		switch {
		case has("event_key"):
			lay.kind = engine.KindMetric
			lay.cols["metric_key"] = "event_key"
			lay.cols["value"] = firstOf(has, "metric_value", "value")
		case has("flag_key"):
			lay.kind = engine.KindExposure
			lay.cols["variation"] = firstOf(has, "variation_value", "variation_id", "variation")
		default:
			return nil, errors.New("not a LaunchDarkly export: no feature/custom events (kind, creationDate) and neither an evaluation_events (flag_key) nor a metric_events (event_key) table")
		}
		lay.cols["time"] = firstOf(has, "timestamp", "event_time", "creation_date", "received_time", "time")
	}
	maps.Copy(lay.cols, opts.Columns)
	var missing []string
	for _, f := range []string{"time", "context_key"} {
		if !has(lay.cols[f]) {
			missing = append(missing, describe(f, lay.cols[f]))
		}
	}
	if lay.kind == 0 && !has(lay.cols["kind"]) && !has(lay.cols["metric_key"]) {
		missing = append(missing, describe("kind", lay.cols["kind"])+" (or a metric_key column)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing required columns: %s (columns found: %s; map yours with --columns FIELD=COLUMN,…)", strings.Join(missing, ", "), strings.Join(rr.columns(), ", "))
	}
	return lay, nil
}

func describe(field, col string) string {
	if field == col {
		return field
	}
	return fmt.Sprintf("%s (as %s)", col, field)
}

func firstOf(has func(string) bool, names ...string) string {
	for _, n := range names {
		if has(n) {
			return n
		}
	}
	return names[0]
}

func (l *layout) text(rec record, field string) string {
	c, ok := rec.get(l.cols[field])
	if !ok || c.null {
		return ""
	}
	return c.String()
}

func (l *layout) flagOf(rec record) string {
	if l.ldStream {
		return ldEvent(rec).text("key")
	}
	return l.text(rec, "flag_key")
}

func (l *layout) metricOf(rec record) string {
	if l.ldStream {
		return ldEvent(rec).text("key")
	}
	return l.text(rec, "metric_key")
}

// parseTime reads a time cell.
func parseTime(tp *timeParser, c cell) (int64, error) {
	switch {
	case c.null:
		return 0, errors.New("null time")
	case c.isTime:
		return c.nanos, nil
	case c.isNum && c.text != "":
		return tp.text(c.text) // exact for long integers
	case c.isNum:
		return tp.number(c.num)
	}
	return tp.text(c.text)
}

// variation maps a variation value to an arm.
func (l *layout) variation(s string) (engine.Variation, error) {
	if v, ok := l.arms[s]; ok {
		return v, nil
	}
	if v, err := engine.ParseVariation(s); err == nil {
		return v, nil
	}
	if !l.ldFormat {
		if n, err := strconv.Atoi(s); err == nil && n >= -1 && n <= 2 {
			return engine.Variation(n), nil
		}
	}
	return engine.Unassigned, fmt.Errorf("variation value %q is not mapped to an arm (map it with --variations new=VALUE,original=VALUE)", s)
}

// convert turns one row into events (several for a LaunchDarkly
// multi-context event). column names the column of an error.
func (l *layout) convert(rec record, tp *timeParser) ([]engine.Event, skipReason, string, error) {
	if l.ldStream {
		return l.convertLD(rec, tp)
	}
	var ev engine.Event
	tc, _ := rec.get(l.cols["time"])
	t, err := parseTime(tp, tc)
	if err != nil {
		return nil, keep, l.cols["time"], err
	}
	ev.Time = t
	switch l.kind {
	case 0:
		k := l.text(rec, "kind")
		switch {
		case k == eventlog.KindExposure:
			ev.Kind = engine.KindExposure
		case k == eventlog.KindMetric:
			ev.Kind = engine.KindMetric
		case k == "" && l.text(rec, "metric_key") != "":
			ev.Kind = engine.KindMetric
		case k == "":
			ev.Kind = engine.KindExposure
		default:
			return nil, keep, l.cols["kind"], fmt.Errorf("unknown kind %q (want exposure or metric)", k)
		}
	default:
		ev.Kind = l.kind
	}
	ev.ContextKey = l.text(rec, "context_key")
	if ev.ContextKey == "" {
		return nil, keep, l.cols["context_key"], errors.New("empty context key")
	}
	if ev.ContextKind = l.text(rec, "context_kind"); ev.ContextKind == "" {
		ev.ContextKind = eventlog.DefaultContextKind
	}
	if ev.Kind == engine.KindExposure {
		ev.Variation = engine.Unassigned
		// LaunchDarkly's served variation does not tell control from outside:
		// the engine buckets unless the user maps the values.
		if vs := l.text(rec, "variation"); vs != "" && (!l.ldFormat || len(l.arms) > 0) {
			if ev.Variation, err = l.variation(vs); err != nil {
				return nil, keep, l.cols["variation"], err
			}
		}
		return []engine.Event{ev}, keep, "", nil
	}
	if l.text(rec, "metric_key") == "" {
		return nil, keep, l.cols["metric_key"], errors.New("metric row without a metric key")
	}
	ev.Value, ev.Variation = 1, engine.Unassigned
	if c, ok := rec.get(l.cols["value"]); ok && !c.null {
		v := c.num
		if !c.isNum {
			if v, err = strconv.ParseFloat(strings.TrimSpace(c.text), 64); err != nil {
				return nil, keep, l.cols["value"], fmt.Errorf("value %q is not a number", c.text)
			}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, keep, l.cols["value"], fmt.Errorf("value %v is not finite", v)
		}
		ev.Value = v
	}
	return []engine.Event{ev}, keep, "", nil
}
