package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/fleet"
)

func init() {
	register(&command{
		name:    "backtest",
		summary: "replay a fleet of past rollouts under their recorded policy and candidate policies, side by side (alerts never sent)",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			dir := fs.String("fleet", "", "fleet directory: one folder per rollout (rollout.yaml, events, optional label.txt) or a fleet.csv manifest (required)")
			policies := fs.StringArray("policy", nil, "candidate policy YAML file (repeatable): name plus alpha, nstar, min_contexts, check_interval, schedule, extension, on_insufficient")
			out := fs.String("out", "", "output directory (default out/backtest-<fleet folder name>)")
			workers := fs.Int("workers", runtime.GOMAXPROCS(0), "rollouts replayed at once (memory grows with it; the result does not depend on it)")
			tolerance := fs.Duration("tolerance", 0, "how far back in time a row may go within a file before it is an error")
			quiet := fs.BoolP("quiet", "q", false, "no progress and no summary table")
			progressMode := addProgressFlag(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if *dir == "" {
					return usageErrorf("--fleet is required")
				}
				if *workers <= 0 {
					return usageErrorf("--workers %d must be positive", *workers)
				}
				pols, err := loadFleetPolicies(*policies)
				if err != nil {
					return err
				}
				entries, err := fleet.Discover(*dir)
				if err != nil {
					return err
				}
				o := *out
				if o == "" {
					o = filepath.Join("out", "backtest-"+filepath.Base(filepath.Clean(*dir)))
				}
				st, err := outdir.New(o)
				if err != nil {
					return err
				}
				defer st.Abort()
				bar, err := newProgress(e, *progressMode, *quiet, "backtest "+*dir, "rollouts")
				if err != nil {
					return err
				}
				rows, err := fleet.Backtest(ctx, entries, pols, fleet.Options{Workers: *workers, Tolerance: *tolerance, Progress: bar.update})
				if err != nil {
					bar.abort()
					return err
				}
				bar.finish()
				rep := fleet.Summarise(pols, rows)
				if err := reports.WriteFleet(st.Root(), rep); err != nil {
					return err
				}
				if err := st.Commit(); err != nil {
					return err
				}
				if !*quiet {
					if err := writeFleetTable(e.stdout, rep, o); err != nil {
						return err
					}
				}
				return fleetFailures(rep)
			}
		},
	})
}

// loadFleetPolicies returns the recorded policy then the candidates.
func loadFleetPolicies(files []string) ([]fleet.Policy, error) {
	pols := []fleet.Policy{{Name: fleet.Recorded}}
	seen := map[string]string{}
	for _, f := range files {
		p, err := fleet.LoadPolicy(f)
		if err != nil {
			return nil, usageErrorf("--policy: %v", err)
		}
		if prev, dup := seen[p.Name]; dup {
			return nil, usageErrorf("--policy: %s and %s are both named %q", prev, f, p.Name)
		}
		seen[p.Name] = f
		pols = append(pols, p)
	}
	return pols, nil
}

// fleetFailures is the error for rollouts that could not be backtested.
func fleetFailures(rep *fleet.Report) error {
	if rep.Failed == 0 {
		return nil
	}
	var msgs []string
	for _, r := range rep.Rows {
		if r.Err != "" {
			msgs = append(msgs, r.ID+": "+r.Err)
		}
	}
	return fmt.Errorf("%d of %d rollouts could not be backtested (the others are in the report):\n  %s", rep.Failed, len(rep.Rows), strings.Join(msgs, "\n  "))
}

// writeFleetTable prints one line per policy.
func writeFleetTable(w io.Writer, rep *fleet.Report, dir string) error {
	fmt.Fprintf(w, "backtest of %d rollouts under %d policies\n\n", len(rep.Rows)-rep.Failed, len(rep.Policies))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\trolled back\thalted\tdetections\tmissed regressions\tfalse rollbacks\tmedian gain h\tcontexts exposed\t")
	for i, s := range rep.Summaries {
		gain := "-"
		if i > 0 && s.GainPairs > 0 {
			gain = fmt.Sprintf("%g", s.MedianGain.Hours())
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d/%d\t%d/%d\t%s\t%d\t\n", s.Policy, s.RolledBack, s.Halted, s.Detections,
			s.Missed, s.LabelledRegressions, s.FalseRollbacks, s.LabelledGood, gain, s.ContextsExposed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\noutputs in %s\n", dir)
	return err
}

func init() {
	register(&command{
		name:    "fleet-generate",
		summary: "write a synthetic fleet of past rollouts (some with injected regressions, labelled) for trying backtest",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", scenarios.Default, "built-in scenario name or scenario YAML file with a regression to inject")
			n := fs.Int("n", 50, "number of rollouts")
			share := fs.Float64("regressions", 0.3, "share of rollouts that keep the scenario's regression (labelled regression; the others labelled good)")
			seed := fs.Uint64("seed", 1, "seed of the rollouts' simulations and of which ones regress")
			out := fs.String("out", "", "fleet directory to write (required; must not exist)")
			quiet := fs.BoolP("quiet", "q", false, "print nothing on success")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if *out == "" {
					return usageErrorf("--out is required")
				}
				if *n <= 0 {
					return usageErrorf("--n %d must be positive", *n)
				}
				if !(*share >= 0 && *share <= 1) {
					return usageErrorf("--regressions %v must be in [0, 1]", *share)
				}
				if _, err := os.Stat(*out); err == nil {
					return fmt.Errorf("%s already exists", *out)
				}
				data, err := os.ReadFile(*scenario)
				if errors.Is(err, os.ErrNotExist) {
					data, err = scenarios.Builtin(*scenario)
					if err != nil {
						return usageErrorf("--scenario %q: not a file and not a built-in (built-ins: %s)", *scenario, strings.Join(scenarios.Names(), ", "))
					}
				} else if err != nil {
					return err
				}
				st, err := outdir.New(*out)
				if err != nil {
					return err
				}
				defer st.Abort()
				if err := fleet.Generate(ctx, st.Root(), fleet.GenerateOptions{Scenario: data, N: *n, Regressions: *share, Seed: *seed}); err != nil {
					return err
				}
				if err := st.Commit(); err != nil {
					return err
				}
				if *quiet {
					return nil
				}
				_, err = fmt.Fprintf(e.stdout, "wrote %d rollouts to %s\n", *n, *out)
				return err
			}
		},
	})
}
