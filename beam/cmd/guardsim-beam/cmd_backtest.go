package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/beam/pipeline"
	"github.com/guardsim/guardsim/sim/fleet"
)

// backtestCommand takes `guardsim backtest`'s flags.
var backtestCommand = command{
	summary: "replay a fleet of past rollouts under their recorded and candidate policies as a Beam pipeline (the outputs of guardsim backtest)",
	setup: func(fs *pflag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		dir := fs.String("fleet", "", "fleet directory (rollout folders or fleet.csv), or gs://… s3://… with a fleet.csv manifest (required)")
		policies := fs.StringArray("policy", nil, "candidate policy YAML file (repeatable)")
		out := fs.String("out", "", "output directory, local or gs://… s3://… (default out/backtest-<fleet folder name>)")
		fs.Int("workers", workers(), "accepted for compatibility with guardsim backtest; the runner sets the parallelism")
		tolerance := fs.Duration("tolerance", 0, "how far back in time a row may go within a file before it is an error")
		quiet := fs.BoolP("quiet", "q", false, "print nothing on success")
		return func(ctx context.Context, stdout, _ io.Writer) error {
			if *dir == "" {
				return usageErrorf("--fleet is required")
			}
			pols, err := pipeline.ReadPolicies(ctx, *policies)
			if err != nil {
				return usageErrorf("--policy: %v", err)
			}
			seen := map[string]bool{fleet.Recorded: true}
			for _, p := range pols {
				pp, _ := fleet.ParsePolicy(p.Data, p.Path)
				if seen[pp.Name] {
					return usageErrorf("--policy: two policies are named %q", pp.Name)
				}
				seen[pp.Name] = true
			}
			entries, err := pipeline.DiscoverFleet(ctx, *dir)
			if err != nil {
				return err
			}
			o := *out
			if o == "" {
				o = filepath.Join("out", "backtest-"+filepath.Base(filepath.Clean(*dir)))
			}
			spec := pipeline.BacktestSpec{Entries: entries, Policies: pols, Tolerance: *tolerance}
			p, s := beam.NewPipelineWithRoot()
			if err := pipeline.Backtest(s, spec, o); err != nil {
				return err
			}
			if err := beamx.Run(ctx, p); err != nil {
				return fmt.Errorf("pipeline: %w", err)
			}
			rep, err := readReport(ctx, o)
			if err != nil {
				return err
			}
			if !*quiet {
				fmt.Fprintf(stdout, "backtest of %d rollouts under %d policies\noutputs in %s\n", len(rep.Rows)-rep.Failed, len(rep.Policies), o)
			}
			if rep.Failed > 0 {
				var msgs []string
				for _, r := range rep.Rows {
					if r.Err != "" {
						msgs = append(msgs, r.ID+": "+r.Err)
					}
				}
				return fmt.Errorf("%d of %d rollouts could not be backtested (the others are in the report):\n  %s", rep.Failed, len(rep.Rows), strings.Join(msgs, "\n  "))
			}
			return nil
		}
	},
}

// readReport reads back the fleet.json the pipeline wrote.
func readReport(ctx context.Context, out string) (*fleet.Report, error) {
	name := strings.TrimSuffix(out, "/") + "/fleet.json"
	var data []byte
	var err error
	if strings.Contains(out, "://") {
		var fsys filesystem.Interface
		if fsys, err = filesystem.New(ctx, name); err == nil {
			defer fsys.Close()
			data, err = filesystem.Read(ctx, fsys, name)
		}
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read the report back: %w", err)
	}
	var rep fleet.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("read the report back: %s: %w", name, err)
	}
	return &rep, nil
}
