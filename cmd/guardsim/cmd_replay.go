package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/scenarios"
)

// policyOverrides are the what-if flags of replay and live.
type policyOverrides struct {
	alpha, nstar   float64
	minContexts    int
	checkInterval  string
	steps          string
	extension      string
	onInsufficient string
	seed           int64
	fs             *pflag.FlagSet
}

func addOverrides(fs *pflag.FlagSet) *policyOverrides {
	o := &policyOverrides{fs: fs}
	fs.Float64Var(&o.alpha, "alpha", 0, "what-if: per-metric one-sided alpha")
	fs.Float64Var(&o.nstar, "nstar", 0, "what-if: confidence-sequence tuning N*")
	fs.IntVar(&o.minContexts, "min-contexts", 0, "what-if: minimum new-variation contexts per step")
	fs.StringVar(&o.checkInterval, "check-interval", "", "what-if: check interval (e.g. 30m, 2h)")
	fs.StringVar(&o.steps, "schedule", "", "what-if: steps as PERCENT:DURATION,… (e.g. 1:12h,10:1d,50:2d)")
	fs.StringVar(&o.extension, "extension", "", "what-if: length of the one extension of a step short of contexts")
	fs.StringVar(&o.onInsufficient, "on-insufficient", "", "what-if: rollback or hold when a step stays short of contexts")
	fs.Int64Var(&o.seed, "bucket-seed", 0, "what-if: bucketing seed for exposures without a variation")
	return o
}

// overrides are the what-if flags that were set; errors name the flag.
func (o *policyOverrides) overrides() (engine.Overrides, error) {
	var ov engine.Overrides
	ch := o.fs.Changed
	if ch("alpha") {
		ov.Alpha = &o.alpha
	}
	if ch("nstar") {
		ov.NStar = &o.nstar
	}
	if ch("min-contexts") {
		ov.MinContexts = &o.minContexts
	}
	if ch("bucket-seed") {
		ov.Seed = &o.seed
	}
	if ch("check-interval") {
		d, err := schedule.ParseDuration(o.checkInterval)
		if err != nil {
			return ov, usageErrorf("--check-interval: %v", err)
		}
		ov.CheckInterval = &d
	}
	if ch("extension") {
		d, err := schedule.ParseDuration(o.extension)
		if err != nil {
			return ov, usageErrorf("--extension: %v", err)
		}
		ov.Extension = &d
	}
	if ch("on-insufficient") {
		a, err := engine.ParseInsufficientAction(o.onInsufficient)
		if err != nil {
			return ov, usageErrorf("--on-insufficient %v", err)
		}
		ov.OnInsufficient = &a
	}
	if ch("schedule") {
		steps, err := schedule.Parse(o.steps)
		if err != nil {
			return ov, usageErrorf("--schedule: %v", err)
		}
		ov.Steps = steps
	}
	return ov, nil
}

// apply changes p by the flags that were set.
func (o *policyOverrides) apply(p engine.Policy) (engine.Policy, error) {
	ov, err := o.overrides()
	if err != nil {
		return p, err
	}
	p, err = ov.Apply(p)
	if err != nil {
		return p, usageErrorf("%v", err)
	}
	return p, nil
}

func init() {
	register(&command{
		name:    "replay",
		summary: "replay event files (Parquet, CSV, JSON lines, LaunchDarkly exports) through a rollout policy (with what-if overrides)",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			events := fs.StringSlice("events", nil, "event files (Parquet, CSV, JSON lines) or directories, read recursively (repeatable, comma-separated)")
			rollout := fs.String("rollout", "", "rollout policy: a rollout/scenario YAML file or built-in scenario name (required)")
			out := fs.String("out", "", "output directory (required)")
			tolerance := fs.Duration("tolerance", 0, "how far back in time a row may go within a file before it is an error")
			start := fs.String("start", "", "rollout start (RFC 3339); default: the start recorded in the file, else the first event")
			quiet := fs.BoolP("quiet", "q", false, "do not print the summary (nor progress)")
			progressMode := addProgressFlag(fs)
			imp := addImportFlags(fs)
			ov := addOverrides(fs)
			alerts := addAlertFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if len(*events) == 0 || *rollout == "" || *out == "" {
					return usageErrorf("--events, --rollout and --out are required")
				}
				tuneGCForReplay(e)
				s, err := scenarios.LoadRollout(*rollout)
				if err != nil {
					return err
				}
				p, err := s.Policy()
				if err != nil {
					return err
				}
				overrides, err := ov.overrides()
				if err != nil {
					return err
				}
				if p, err = ov.apply(p); err != nil {
					return err
				}
				rd, eo, err := openEvents(ctx, *events, p, *tolerance, imp, s.Events)
				if err != nil {
					return err
				}
				defer rd.Close()
				if *start != "" {
					t, err := time.Parse(time.RFC3339Nano, *start)
					if err != nil {
						return usageErrorf("--start: %v", err)
					}
					eo.Start = t
				}
				al, err := alerts.setup(ctx, e, false, "")
				if err != nil {
					return err
				}
				defer al.close()
				eo.Notifier = al.notifier
				if p, err = alerts.apply(p); err != nil {
					return err
				}
				r, err := engine.NewRollout(p, eo)
				if err != nil {
					return err
				}
				bar, err := newProgress(e, *progressMode, *quiet, "replay", "events")
				if err != nil {
					return err
				}
				watched := &watchedSource{Source: rd, progress: bar}
				res, err := r.Feed(ctx, watched, time.Time{})
				if err != nil {
					bar.abort()
					return err
				}
				bar.finish()
				prov := provenance(rd, watched, imp.format, s.Source, overrides, res)
				st := rd.Stats()
				title := fmt.Sprintf("replay of %s (%d rows, %d events kept; %d other-flag exposures and %d unknown-metric events skipped) with policy %s",
					strings.Join(rd.Files(), ", "), st.Rows, st.Events, st.SkippedOtherFlag, st.SkippedUnknownMetric, s.Source)
				return writeRolloutWith(e, *out, res, title, al, *quiet, prov)
			}
		},
	})
}
