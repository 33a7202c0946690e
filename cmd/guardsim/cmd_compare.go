package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/compare"
	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "run several decision policies on the same events (a scenario's stream or a replayed export) and report them side by side",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", "", "built-in scenario name or scenario YAML file (its stream is generated once, served under the first policy's allocation)")
			events := fs.StringSlice("events", nil, "Parquet event files or directories to replay instead of a scenario")
			rollout := fs.String("rollout", "", "with --events: rollout/scenario file or built-in name giving the schedule and metrics")
			names := fs.StringSlice("policies", nil, "policies to compare, comma-separated (see guardsim policies)")
			specs := fs.StringArray("policy", nil, "a policy with overrides, NAME:PARAM=VALUE,PARAM=VALUE (repeatable; after --policies)")
			out := fs.String("out", "", "output directory (default out/compare-<scenario or rollout name>)")
			seed := fs.Uint64("seed", 0, "override the scenario's seed")
			tolerance := fs.Duration("tolerance", 0, "with --events: how far back in time a row may go within a file")
			quiet := fs.BoolP("quiet", "q", false, "do not print the comparison table (nor progress)")
			progressMode := addProgressFlag(fs)
			imp := addImportFlags(fs)
			alerts := addAlertFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				replay := len(*events) > 0
				switch {
				case replay && *scenario != "":
					return usageErrorf("give --scenario or --events, not both")
				case replay && *rollout == "":
					return usageErrorf("--events needs --rollout (the schedule and metric definitions)")
				case !replay && *rollout != "":
					return usageErrorf("--rollout applies to --events only")
				}
				var list []compare.Spec
				for _, n := range *names {
					list = append(list, compare.Spec{Name: strings.TrimSpace(n)})
				}
				for _, s := range *specs {
					sp, err := compare.ParseSpec(s)
					if err != nil {
						return usageErrorf("--policy: %v", err)
					}
					list = append(list, sp)
				}
				if len(list) == 0 {
					return usageErrorf("--policies or --policy: give at least one policy (guardsim policies lists them)")
				}
				var s *scenarios.Scenario
				var err error
				if replay {
					s, err = scenarios.LoadRollout(*rollout)
				} else {
					s, err = loadScenario(*scenario, fs.Changed("seed"), *seed)
				}
				if err != nil {
					return err
				}
				base, err := s.BasePolicy()
				if err != nil {
					return err
				}
				pols, err := compare.Policies(base, list)
				if err != nil {
					return err
				}
				dir := *out
				if dir == "" {
					dir = filepath.Join("out", "compare-"+s.Name)
				}
				// Progress in events: the stream's generation (total not yet
				// known), then every policy's pass over it (a replay's total
				// is known once the first policy has read the files).
				bar, err := newProgress(e, *progressMode, *quiet, "compare", "events")
				if err != nil {
					return err
				}
				ok := false
				defer func() {
					if !ok {
						bar.abort()
					}
				}()
				perPolicy := -1

				// The events every policy sees.
				var evs []engine.Event
				var start time.Time
				var what string
				if !replay {
					m := s.Model()
					start = m.Start
					if _, err := sim.Simulate(ctx, pols[0], m, engine.Options{}, func(b []engine.Event) error {
						evs = append(evs, b...)
						bar.update(len(evs), -1)
						return nil
					}); err != nil {
						return fmt.Errorf("scenario %s: %w", s.Name, err)
					}
					perPolicy = len(evs)
					what = fmt.Sprintf("the synthetic stream of scenario %s (%s, seed %d), generated once and served under the allocation of the first policy, %s; the other policies judge the same events (after the first policy ends, its final allocation keeps being served)",
						s.Name, s.Source, s.Seed, list[0].Label())
				} else {
					what = fmt.Sprintf("replay of %s with the schedule and metrics of %s", strings.Join(*events, ", "), s.Source)
				}

				st, err := outdir.New(dir)
				if err != nil {
					return err
				}
				defer st.Abort()
				runs := make([]compare.Run, len(pols))
				target := ""
				var undelivered []error
				for i, p := range pols {
					if p, err = alerts.apply(p); err != nil {
						return err
					}
					al, err := alerts.setup(ctx, e, false, "")
					if err != nil {
						return err
					}
					target = al.target()
					var res *engine.Result
					// watch counts this policy's events into the display.
					watch := func(src engine.Source) engine.Source {
						if !bar.shows() {
							return src
						}
						done := i * max(perPolicy, 0)
						return &countingSource{Source: src, onRead: func(n int) {
							total := -1
							if perPolicy >= 0 {
								total = len(pols) * perPolicy
							}
							bar.update(done+n, total)
						}}
					}
					if replay {
						rd, eo, err := openEvents(ctx, *events, p, *tolerance, imp, s.Events)
						if err != nil {
							al.close()
							return err
						}
						eo.Notifier = al.notifier
						cs := watch(rd)
						res, err = engine.Run(ctx, cs, p, eo, time.Time{})
						if c, counted := cs.(*countingSource); counted && perPolicy < 0 && err == nil {
							perPolicy = c.n // every policy reads the same files
						}
						_ = rd.Close()
						if err != nil {
							al.close()
							return fmt.Errorf("policy %s: %w", list[i].Label(), err)
						}
					} else {
						res, err = engine.Run(ctx, watch(&engine.SliceSource{Events: evs}), p, engine.Options{Start: start, Notifier: al.notifier}, time.Time{})
						if err != nil {
							al.close()
							return fmt.Errorf("policy %s: %w", list[i].Label(), err)
						}
					}
					if err := al.settle(context.Background(), res); err != nil {
						al.close()
						return err
					}
					runs[i] = compare.Run{Label: list[i].Label(), Result: res}
					if al.client != nil {
						werr := st.Write(filepath.Join("pagerduty", reports.SanitizeFileName(list[i].Label())+".jsonl"), func(w io.Writer) error {
							if al.mock != nil {
								return al.mock.WriteJSONL(w)
							}
							return writeJSONL(w, al.client.Deliveries())
						})
						if werr != nil {
							al.close()
							return werr
						}
					}
					if err := al.undelivered(); err != nil {
						undelivered = append(undelivered, fmt.Errorf("policy %s: %w", list[i].Label(), err))
					}
					al.close()
				}
				if strings.Contains(target, "in-process") {
					target = "each policy's alerts went to its own in-process PagerDuty mock (nobody was paged); pagerduty/POLICY.jsonl holds what each mock received"
				}
				if perPolicy >= 0 {
					bar.update(len(pols)*perPolicy, len(pols)*perPolicy)
				}
				bar.finish()
				ok = true
				cmp := reports.Comparison{Events: what, Alerts: target, Runs: runs}
				if err := reports.WriteComparison(st.Root(), cmp); err != nil {
					return err
				}
				if err := st.Commit(); err != nil {
					return err
				}
				if !*quiet {
					fmt.Fprintf(e.stdout, "Events: %s\n\n", what)
					fmt.Fprintf(e.stdout, "%-32s %-40s %-12s %s\n", "policy", "outcome", "detected at", "new-variation contexts")
					for _, r := range runs {
						sm := compare.Summarise(r)
						o := string(sm.Status)
						if sm.Reason != "" {
							o += " (" + string(sm.Reason) + ")"
						}
						det := "-"
						if sm.Detection != nil {
							det = sm.Detection.String()
						}
						fmt.Fprintf(e.stdout, "%-32s %-40s %-12s %d\n", r.Label, o, det, sm.NewContexts)
					}
					fmt.Fprintf(e.stdout, "\nreport: %s\n", filepath.Join(dir, "compare.md"))
				}
				if len(undelivered) > 0 {
					return undelivered[0]
				}
				return nil
			}
		},
	})
}
