package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/eventlog/ingest"
)

// importFlags say how replay and live read the user's event exports.
type importFlags struct {
	format, columns, variations, timeUnit string
	fs                                    *pflag.FlagSet
}

func addImportFlags(fs *pflag.FlagSet) *importFlags {
	f := &importFlags{fs: fs}
	fs.StringVar(&f.format, "format", "", "event file format: guardsim (default; Parquet, CSV or JSON lines by extension) or launchdarkly (Data Export: streaming JSON or warehouse tables)")
	fs.StringVar(&f.columns, "columns", "", "column mapping FIELD=COLUMN,… (e.g. time=ts,context_key=user_id,kind=event); fields: time, kind, context_kind, context_key, flag_key, variation, metric_key, value")
	fs.StringVar(&f.variations, "variations", "", "variation value mapping ARM=VALUE[|VALUE],… (e.g. new=true,original=false); arms: original, new, outside")
	fs.StringVar(&f.timeUnit, "time-unit", "", "unit of numeric times: s, ms, us or ns (default: detected from the values; an implausible date is an error)")
	return f
}

// options combines the flags with the rollout file's events section (the
// flags win); errors name the flag or the file's field.
func (f *importFlags) options(spec scenarios.EventsSpec) (ingest.Options, error) {
	var o ingest.Options
	pick := func(flag, fromFile string) string {
		if f.fs.Changed(flag) {
			return f.valueOf(flag)
		}
		return fromFile
	}
	var err error
	if o.Format, err = ingest.ParseFormat(pick("format", spec.Format)); err != nil {
		return o, usageErrorf("--format: %v", err)
	}
	if o.Columns, err = ingest.ParseColumns(pick("columns", spec.ColumnsString())); err != nil {
		return o, usageErrorf("--columns: %v", err)
	}
	if o.Variations, err = ingest.ParseVariations(pick("variations", spec.VariationsString())); err != nil {
		return o, usageErrorf("--variations: %v", err)
	}
	if o.TimeUnit, err = ingest.ParseTimeUnit(pick("time-unit", spec.TimeUnit)); err != nil {
		return o, usageErrorf("--time-unit: %v", err)
	}
	return o, nil
}

func (f *importFlags) valueOf(flag string) string {
	switch flag {
	case "format":
		return f.format
	case "columns":
		return f.columns
	case "variations":
		return f.variations
	}
	return f.timeUnit
}

// openEvents opens event files for replaying policy p: exposures of its flag
// and events of its metrics, the rollout starting where the files record it
// (else at the first event).
func openEvents(ctx context.Context, paths []string, p engine.Policy, tolerance time.Duration, imp *importFlags, spec scenarios.EventsSpec) (ingest.Source, engine.Options, error) {
	o, err := imp.options(spec)
	if err != nil {
		return nil, engine.Options{}, err
	}
	o.FlagKey, o.MetricKeys, o.Tolerance = p.FlagKey, p.MetricKeys(), tolerance
	rd, err := ingest.Open(ctx, paths, o)
	if err != nil {
		return nil, engine.Options{}, err
	}
	var eo engine.Options
	if t, ok := rd.Start(); ok {
		eo.Start = t
	}
	return rd, eo, nil
}

// watchedSource notes the last event and the last new-variation exposure
// (for the post-rollback caveat of a what-if replay).
type watchedSource struct {
	engine.Source
	lastNew, lastEvent int64
	// progress, when set, counts the events read.
	progress *progressBar
	read     int
	buf      []engine.Event // Next's buffer for sources that cannot lend
}

func (w *watchedSource) Read(ctx context.Context, buf []engine.Event) (int, error) {
	n, err := w.Source.Read(ctx, buf)
	w.watch(buf[:n])
	return n, err
}

// Next implements engine.BatchSource, lending the source's own batches
// when it can (the Parquet Reader does), else reading into a buffer.
func (w *watchedSource) Next(ctx context.Context) ([]engine.Event, error) {
	if bs, ok := w.Source.(engine.BatchSource); ok {
		evs, err := bs.Next(ctx)
		w.watch(evs)
		return evs, err
	}
	if w.buf == nil {
		w.buf = make([]engine.Event, engine.BatchSize)
	}
	n, err := w.Read(ctx, w.buf)
	return w.buf[:n], err
}

// watch notes the events read.
func (w *watchedSource) watch(evs []engine.Event) {
	if len(evs) == 0 {
		return
	}
	w.read += len(evs)
	if w.progress != nil {
		w.progress.update(w.read, -1)
	}
	w.lastEvent = evs[len(evs)-1].Time
	for i := len(evs) - 1; i >= 0; i-- {
		if ev := &evs[i]; ev.Kind == engine.KindExposure && ev.Variation == engine.New {
			w.lastNew = ev.Time
			break
		}
	}
}

// provenance describes a replay of rd under policy source rollout with ov.
func provenance(rd ingest.Source, w *watchedSource, format, rollout string, ov engine.Overrides, res *engine.Result) *reports.Provenance {
	st := rd.Stats()
	p := &reports.Provenance{
		Files: rd.Files(), Format: format, Rollout: rollout, Overrides: ov.Strings(),
		Rows: st.Rows, Events: st.Events, SkippedOtherFlag: st.SkippedOtherFlag, SkippedUnknownMetric: st.SkippedUnknownMetric,
		Caveats: []string{},
	}
	if p.Overrides == nil {
		p.Overrides = []string{}
	}
	var decided time.Time
	if n := len(res.Timeline); n > 0 {
		decided = res.Timeline[n-1].Time
	}
	nano := func(t int64) time.Time {
		if t == 0 {
			return time.Time{}
		}
		return time.Unix(0, t).UTC()
	}
	if c := reports.PostRollbackCaveat(!ov.Empty(), nano(w.lastNew), nano(w.lastEvent), decided, res.Policy.CheckInterval); c != "" {
		p.Caveats = append(p.Caveats, c)
	}
	return p
}
