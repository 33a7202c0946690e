package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/sweep"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "Monte Carlo sweep of a scenario's policy over a parameter grid (false-positive rate, power, time to detection)",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", scenarios.Default, "built-in scenario name or scenario YAML file")
			grid := fs.String("grid", "", "parameter grid, e.g. 'alpha=0.01,0.05;nstar=1000,5000;effect=0,0.01' (parameters: "+
				strings.Join(sweep.ParamNames(), ", ")+"; check_interval and step_hours in hours; default: alpha 0.01 and 0.05 and effects up to about 6 standard errors)")
			reps := fs.Int("reps", sweep.DefaultReps, "rollouts per grid cell")
			out := fs.String("out", "", "output directory (default out/sweep-<scenario name>)")
			fidelity := fs.String("fidelity", string(sweep.Aggregate), "aggregate (fast: draws per-interval sufficient statistics) or event (the full engine on synthetic events)")
			seed := fs.Uint64("seed", 0, "global seed (default: the scenario's seed)")
			workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (the result does not depend on it)")
			metric := fs.String("metric", "", "key of the metric the effect applies to (default: the scenario's first metric)")
			quiet := fs.BoolP("quiet", "q", false, "no progress and no summary table")
			progressMode := addProgressFlag(fs)
			checkFid := fs.Bool("check-fidelity", false, "run the grid in both fidelities (--reps event-level and 4× as many aggregate rollouts per cell) and report per cell whether the fast aggregate fidelity agrees (rates within 3 combined SE, median time to detection within 10%); exits non-zero when a cell disagrees")
			shardFlag := fs.String("shard", "", "run only shard K/N (K from 0, e.g. $JOB_COMPLETION_INDEX/8): writes "+sweep.PartialFile+" for 'guardsim sweep-merge' instead of the reports")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				fid := sweep.Fidelity(*fidelity)
				if fid != sweep.Aggregate && fid != sweep.EventLevel {
					return usageErrorf("--fidelity %q must be %s or %s", *fidelity, sweep.Aggregate, sweep.EventLevel)
				}
				if *reps <= 0 {
					return usageErrorf("--reps %d must be positive", *reps)
				}
				if *workers <= 0 {
					return usageErrorf("--workers %d must be positive", *workers)
				}
				s, err := scenarios.Load(*scenario)
				if err != nil {
					return err
				}
				var shard *sweep.Shard
				if *shardFlag != "" {
					sh, err := sweep.ParseShard(*shardFlag)
					if err != nil {
						return usageErrorf("--shard: %v", err)
					}
					shard = &sh
				}
				pol, err := s.Policy()
				if err != nil {
					return err
				}
				cfg := sweep.Config{
					Name: s.Name, Policy: pol, Model: s.Model(), FixedHorizon: s.Horizon != 0,
					Reps: *reps, Seed: s.Seed, Fidelity: fid, Workers: *workers, Metric: *metric,
				}
				if *metric != "" {
					if _, err := sweep.DefaultGrid(cfg); err != nil {
						return usageErrorf("--metric: %v", err)
					}
				}
				cfg.Grid = *grid
				if cfg.Grid == "" {
					if cfg.Grid, err = sweep.DefaultGrid(cfg); err != nil {
						return err
					}
				} else if g, err := sweep.ParseGrid(cfg.Grid); err != nil {
					return usageErrorf("--grid: %v", err)
				} else if g.Has(sweep.ParamPolicy) {
					// Each cell applies its policy to the scenario's
					// definitions, not on top of the scenario's own policy.
					if cfg.Policy, err = s.BasePolicy(); err != nil {
						return err
					}
				}
				if fs.Changed("seed") {
					cfg.Seed = *seed
				}
				bar, err := newProgress(e, *progressMode, *quiet, fmt.Sprintf("sweep %s (%s)", s.Name, fid), "rollouts")
				if err != nil {
					return err
				}
				cfg.Progress = bar.update
				dir := *out
				if dir == "" {
					dir = filepath.Join("out", "sweep-"+s.Name)
					if shard != nil {
						dir += fmt.Sprintf("-shard-%d-of-%d", shard.K, shard.N)
					}
				}
				st, err := outdir.New(dir)
				if err != nil {
					return err
				}
				defer st.Abort()
				if *checkFid {
					if shard != nil {
						return usageErrorf("--check-fidelity and --shard cannot be combined")
					}
					return runCheckFidelity(ctx, e, cfg, st, dir, bar)
				}
				if shard != nil {
					p, err := sweep.RunShard(ctx, cfg, *shard)
					if err != nil {
						bar.abort()
						if errors.Is(err, sweep.ErrGrid) {
							return usageErrorf("%v", err)
						}
						return err
					}
					bar.finish()
					return writeSweepShard(e, p, *shard, st, dir, *quiet)
				}
				res, err := sweep.Run(ctx, cfg)
				if err != nil {
					bar.abort()
					if errors.Is(err, sweep.ErrGrid) {
						return usageErrorf("%v", err)
					}
					return err
				}
				bar.finish()
				if err := reports.WriteSweep(st.Root(), res); err != nil {
					return err
				}
				if err := st.Commit(); err != nil {
					return err
				}
				if *quiet {
					return nil
				}
				if err := writeSweepTable(e.stdout, res, dir); err != nil {
					return err
				}
				if fid == sweep.Aggregate && s.Traffic.Population > 0 {
					_, err = fmt.Fprintf(e.stdout, "note: traffic.population %d: the aggregate fidelity samples returning contexts one by one (exact, but slower than its per-interval draws) when more than 1%% of the exposures are returns\n", s.Traffic.Population)
				}
				return err
			}
		},
	})
}

// writeSweepTable prints one line per cell.
func writeSweepTable(w io.Writer, res *sweep.Result, dir string) error {
	fmt.Fprintf(w, "sweep of %s (%s fidelity, %d rollouts per cell, seed %d), grid %s\n\n", res.Scenario, res.Fidelity, res.Reps, res.Seed, res.Grid)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\teffect\trate\t95% CI\tmedian h\tp90 h\tSRM\tinsufficient\tcompleted\t")
	for _, c := range res.Cells {
		med, p90 := "-", "-"
		if c.Detections > 0 {
			med = fmt.Sprintf("%.0f", c.DetectMedian.Hours())
			p90 = fmt.Sprintf("%.0f", c.DetectP90.Hours())
		}
		fmt.Fprintf(tw, "%s\t%g\t%.3f\t[%.3f, %.3f]\t%s\t%s\t%.3f\t%.3f\t%.3f\t\n",
			c.Policy, c.Effect, c.Rate, c.RateLo, c.RateHi, med, p90, c.SRMShare, c.InsufficientShare, c.CompletedShare)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nrate: rollouts rolled back or halted for regression (false-positive rate at effect 0, power otherwise)\noutputs in %s\n", dir)
	return err
}
