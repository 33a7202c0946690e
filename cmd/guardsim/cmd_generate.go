package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
	"github.com/guardsim/guardsim/sim/eventlog"
)

// eventWriter is what generate writes events with (Parquet or CSV).
type eventWriter interface {
	Write(ev engine.Event) error
	Count() int64
	Close() error
}

func init() {
	register(&command{
		name:    "generate",
		summary: "write a scenario's synthetic event stream to a Parquet or CSV file",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", scenarios.Default, "built-in scenario name or scenario YAML file")
			out := fs.String("out", "events.parquet", "file to write: Parquet, or CSV when the name ends in .csv")
			seed := fs.Uint64("seed", 0, "override the scenario's seed")
			quiet := fs.BoolP("quiet", "q", false, "print nothing on success (no progress either)")
			progressMode := addProgressFlag(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				s, err := loadScenario(*scenario, fs.Changed("seed"), *seed)
				if err != nil {
					return err
				}
				p, err := s.Policy()
				if err != nil {
					return err
				}
				m := s.Model()
				meta := eventlog.Meta{FlagKey: p.FlagKey, MetricKeys: p.MetricKeys(), Start: m.Start}
				f, err := atomicfile.Create(*out)
				if err != nil {
					return err
				}
				defer f.Abort()
				var w eventWriter
				if strings.HasSuffix(strings.ToLower(*out), ".csv") {
					w, err = eventlog.NewCSVWriter(f, meta)
				} else {
					w, err = eventlog.NewWriter(f, meta)
				}
				if err != nil {
					return err
				}
				bar, err := newProgress(e, *progressMode, *quiet, "generate "+s.Name, "simulated hours")
				if err != nil {
					return err
				}
				horizon := int(m.Horizon.Hours())
				// The engine runs alongside: serving follows its decisions,
				// as a real flag's would, so a replay reproduces the run.
				res, err := sim.Simulate(ctx, p, m, engine.Options{}, func(evs []engine.Event) error {
					if len(evs) > 0 {
						bar.update(min(int(time.Unix(0, evs[len(evs)-1].Time).Sub(m.Start).Hours()), horizon), horizon)
					}
					for i := range evs {
						if err := w.Write(evs[i]); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					bar.abort()
					return fmt.Errorf("write %s: %w", *out, err)
				}
				bar.update(horizon, horizon)
				bar.finish()
				if err := w.Close(); err != nil {
					return fmt.Errorf("write %s: %w", *out, err)
				}
				if err := f.Commit(); err != nil {
					return err
				}
				if *quiet {
					return nil
				}
				fmt.Fprintf(e.stdout, "wrote %d events of scenario %s (seed %d, bucketing seed %d) to %s\n", w.Count(), s.Name, s.Seed, p.Seed, *out)
				fmt.Fprintf(e.stdout, "the rollout in this stream ended %s", res.Outcome.Status)
				if res.Outcome.Reason != "" {
					fmt.Fprintf(e.stdout, " (%s)", res.Outcome.Reason)
				}
				fmt.Fprintln(e.stdout)
				start := ""
				if _, isCSV := w.(*eventlog.CSVWriter); isCSV {
					// CSV has no metadata for the rollout start.
					start = " --start " + m.Start.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(e.stdout, "replay it with: guardsim replay --events %s --rollout %s%s --out DIR\n", *out, strings.TrimPrefix(s.Source, "builtin:"), start)
				return nil
			}
		},
	})
}
