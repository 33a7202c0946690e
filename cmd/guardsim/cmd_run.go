package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run a scenario end to end (default: the built-in " + scenarios.Default + " scenario)",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", scenarios.Default, "built-in scenario name or scenario YAML file")
			out := fs.String("out", "", "output directory (default out/<scenario name>)")
			seed := fs.Uint64("seed", 0, "override the scenario's seed (also redraws the bucketing seed)")
			quiet := fs.BoolP("quiet", "q", false, "do not print the summary")
			alerts := addAlertFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				s, err := loadScenario(*scenario, fs.Changed("seed"), *seed)
				if err != nil {
					return err
				}
				dir := *out
				if dir == "" {
					dir = filepath.Join("out", s.Name)
				}
				al, err := alerts.setup(ctx, e, false, "")
				if err != nil {
					return err
				}
				defer al.close()
				p, err := s.Policy()
				if err != nil {
					return err
				}
				if p, err = alerts.apply(p); err != nil {
					return err
				}
				res, err := sim.Simulate(ctx, p, s.Model(), engine.Options{Notifier: al.notifier}, nil)
				if err != nil {
					return fmt.Errorf("scenario %s: %w", s.Name, err)
				}
				title := fmt.Sprintf("scenario %s (%s), seed %d", s.Name, s.Source, s.Seed)
				return writeRollout(e, dir, res, title, al, *quiet)
			}
		},
	})
}

func loadScenario(name string, seedSet bool, seed uint64) (*scenarios.Scenario, error) {
	s, err := scenarios.Load(name)
	if err != nil {
		return nil, err
	}
	if seedSet {
		s.Seed = seed
	}
	return s, nil
}

// writeRollout writes every output of one rollout into dir (all or
// nothing), prints the summary, and fails when an alert was not delivered.
func writeRollout(e *env, dir string, res *engine.Result, title string, al *alerting, quiet bool) error {
	return writeRolloutWith(e, dir, res, title, al, quiet, nil)
}

// writeRolloutWith is writeRollout for a replay, with its provenance.
func writeRolloutWith(e *env, dir string, res *engine.Result, title string, al *alerting, quiet bool, prov *reports.Provenance) error {
	if err := al.settle(context.Background(), res); err != nil {
		return err
	}
	st, err := outdir.New(dir)
	if err != nil {
		return err
	}
	defer st.Abort()
	if err := st.Write("timeline.csv", func(w io.Writer) error { return reports.WriteTimelineCSV(w, res) }); err != nil {
		return err
	}
	if err := st.Write("timeline.json", func(w io.Writer) error { return reports.WriteTimelineJSON(w, res) }); err != nil {
		return err
	}
	info := reports.SummaryInfo{Title: title, OutDir: dir, Replay: prov, Alerts: al.summaryLine()}
	if err := st.Write("summary.txt", func(w io.Writer) error { return reports.WriteSummary(w, res, info) }); err != nil {
		return err
	}
	if _, err := reports.WriteRolloutWith(st.Root(), res, prov); err != nil {
		return err
	}
	if al != nil {
		if err := al.write(st); err != nil {
			return err
		}
	}
	if err := st.Commit(); err != nil {
		return err
	}
	if !quiet {
		if err := reports.WriteSummary(e.stdout, res, info); err != nil {
			return err
		}
	}
	if al != nil {
		return al.undelivered()
	}
	return nil
}

func writeJSONL[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
