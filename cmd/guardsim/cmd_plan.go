package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/internal/atomicfile"
	"github.com/guardsim/guardsim/plan"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/eventlog"
)

func init() {
	register(&command{
		name:    "plan",
		summary: "feasibility plan of a policy: contexts per step, chance of meeting the minimums, time to 100%, MDE per metric",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", scenarios.Default, "built-in scenario name or scenario YAML file (policy, and traffic unless --events)")
			events := fs.StringSlice("events", nil, "take the traffic profile from these Parquet event files (an export) instead of the scenario's traffic model")
			start := fs.String("start", "", "planned rollout start (RFC 3339; the daily cycle follows it); default: the scenario's start, or the export's")
			tolerance := fs.Duration("tolerance", 0, "with --events: how far back in time a row may go within a file before it is an error")
			format := fs.String("format", "md", "output format: md or json")
			out := fs.String("out", "", "write the plan to this file instead of standard output")
			quiet := fs.BoolP("quiet", "q", false, "with --out: print nothing (default: the path written, on standard error)")
			ov := addOverrides(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if *format != "md" && *format != "json" {
					return usageErrorf("--format %q must be md or json", *format)
				}
				var startAt time.Time
				if *start != "" {
					t, err := time.Parse(time.RFC3339Nano, *start)
					if err != nil {
						return usageErrorf("--start: %v", err)
					}
					startAt = t
				}
				load := scenarios.Load
				if len(*events) > 0 {
					load = scenarios.LoadRollout // only the policy is needed
				}
				s, err := load(*scenario)
				if err != nil {
					return err
				}
				p, err := s.Policy()
				if err != nil {
					return err
				}
				if p, err = ov.apply(p); err != nil {
					return err
				}
				var prof *plan.Profile
				if len(*events) > 0 {
					rd, err := eventlog.Open(ctx, *events, eventlog.ReadOptions{FlagKey: p.FlagKey, MetricKeys: p.MetricKeys(), OutOfOrderTolerance: *tolerance})
					if err != nil {
						return err
					}
					defer rd.Close()
					if t, ok := rd.Start(); ok && startAt.IsZero() {
						startAt = t
					}
					if prof, err = plan.FromEvents(ctx, rd, p, startAt); err != nil {
						return err
					}
					prof.Source = fmt.Sprintf("export %v", rd.Files())
				} else {
					if prof, err = plan.FromModel(s.Model(), p); err != nil {
						return fmt.Errorf("%s: %w", s.Source, err)
					}
					if !startAt.IsZero() {
						prof.Start = startAt
					}
					prof.Source = "scenario " + s.Name
				}
				pl, err := plan.Compute(p, prof, plan.Options{})
				if err != nil {
					return err
				}
				write := func(w io.Writer) error {
					if *format == "json" {
						return plan.WriteJSON(w, pl)
					}
					return plan.WriteMarkdown(w, pl)
				}
				if *out != "" {
					if err := atomicfile.Write(*out, write); err != nil {
						return err
					}
					if !*quiet {
						fmt.Fprintf(e.stderr, "plan: %s\n", *out)
					}
					return nil
				}
				return write(e.stdout)
			}
		},
	})
}
