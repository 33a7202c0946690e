package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/beam/pipeline"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/sweep"
)

// sweepCommand takes `guardsim sweep`'s flags (without --shard: the runner
// splits the work).
var sweepCommand = command{
	summary: "Monte Carlo sweep over a parameter grid as a Beam pipeline (the outputs of guardsim sweep)",
	setup: func(fs *pflag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		scenario := fs.String("scenario", scenarios.Default, "built-in scenario name or scenario YAML file")
		grid := fs.String("grid", "", "parameter grid, e.g. 'alpha=0.01,0.05;effect=0,0.01' (parameters: "+strings.Join(sweep.ParamNames(), ", ")+"; default as guardsim sweep)")
		reps := fs.Int("reps", sweep.DefaultReps, "rollouts per grid cell")
		out := fs.String("out", "", "output directory, local or gs://… s3://… (default out/sweep-<scenario name>)")
		fidelity := fs.String("fidelity", string(sweep.Aggregate), "aggregate or event")
		seed := fs.Uint64("seed", 0, "global seed (default: the scenario's seed)")
		fs.Int("workers", workers(), "accepted for compatibility with guardsim sweep; the runner sets the parallelism")
		metric := fs.String("metric", "", "key of the metric the effect applies to (default: the scenario's first metric)")
		quiet := fs.BoolP("quiet", "q", false, "print nothing on success")
		return func(ctx context.Context, stdout, _ io.Writer) error {
			if *fidelity != string(sweep.Aggregate) && *fidelity != string(sweep.EventLevel) {
				return usageErrorf("--fidelity %q must be %s or %s", *fidelity, sweep.Aggregate, sweep.EventLevel)
			}
			if *reps <= 0 {
				return usageErrorf("--reps %d must be positive", *reps)
			}
			if *grid != "" {
				if _, err := sweep.ParseGrid(*grid); err != nil {
					return usageErrorf("--grid: %v", err)
				}
			}
			var sp *uint64
			if fs.Changed("seed") {
				sp = seed
			}
			spec, err := pipeline.NewSweepSpec(*scenario, *grid, *reps, sp, *fidelity, *metric)
			if err != nil {
				return err
			}
			dir := *out
			if dir == "" {
				cfg, err := spec.Config()
				if err != nil {
					return err
				}
				dir = filepath.Join("out", "sweep-"+cfg.Name)
			}
			p, s := beam.NewPipelineWithRoot()
			if err := pipeline.Sweep(s, spec, dir); err != nil {
				return err
			}
			if err := beamx.Run(ctx, p); err != nil {
				return fmt.Errorf("pipeline: %w", err)
			}
			if !*quiet {
				fmt.Fprintf(stdout, "sweep (%s fidelity, %d rollouts per cell, seed %d), grid %s\noutputs in %s\n", spec.Fidelity, spec.Reps, spec.Seed, spec.Grid, dir)
			}
			return nil
		}
	},
}
