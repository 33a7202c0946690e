package pipeline

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/sweep"
)

// SweepSpec is the compact description of a sweep that travels with the
// pipeline: every worker rebuilds the same sweep.Plan from it.
type SweepSpec struct {
	// Scenario is the scenario YAML and Source where it came from.
	Scenario []byte
	Source   string
	Grid     string // never empty: the default grid is resolved by NewSweepSpec
	Reps     int
	Seed     uint64
	Fidelity string
	Metric   string
}

// ReadScenario returns the YAML of a built-in scenario name or scenario
// file, and its source as guardsim names it.
func ReadScenario(nameOrPath string) ([]byte, string, error) {
	if nameOrPath == "" {
		nameOrPath = scenarios.Default
	}
	data, err := os.ReadFile(nameOrPath)
	if err == nil {
		return data, nameOrPath, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("read scenario: %w", err)
	}
	if strings.ContainsAny(nameOrPath, "/\\") || strings.HasSuffix(nameOrPath, ".yaml") {
		return nil, "", fmt.Errorf("scenario file %s does not exist", nameOrPath)
	}
	data, err = scenarios.Builtin(nameOrPath)
	if err != nil {
		return nil, "", fmt.Errorf("unknown scenario %q: not a file and not a built-in (built-ins: %s)", nameOrPath, strings.Join(scenarios.Names(), ", "))
	}
	return data, "builtin:" + nameOrPath, nil
}

// Config is the sweep.Config that `guardsim sweep` builds for the same
// flags (seed nil: the scenario's own).
func (s SweepSpec) Config() (sweep.Config, error) {
	sc, err := scenarios.Parse(s.Scenario, s.Source)
	if err != nil {
		return sweep.Config{}, err
	}
	pol, err := sc.Policy()
	if err != nil {
		return sweep.Config{}, err
	}
	if g, err := sweep.ParseGrid(s.Grid); err == nil && g.Has(sweep.ParamPolicy) {
		// As guardsim sweep: each cell applies its policy to the
		// scenario's definitions, not on top of its own policy.
		if pol, err = sc.BasePolicy(); err != nil {
			return sweep.Config{}, err
		}
	}
	return sweep.Config{
		Name: sc.Name, Policy: pol, Model: sc.Model(), FixedHorizon: sc.Horizon != 0,
		Grid: s.Grid, Reps: s.Reps, Seed: s.Seed, Fidelity: sweep.Fidelity(s.Fidelity), Metric: s.Metric, Workers: 1,
	}, nil
}

// NewSweepSpec builds the spec of `guardsim sweep --scenario X --grid G
// --reps N [--seed S] --fidelity F --metric M`: seed nil means the
// scenario's seed, an empty grid the default grid. It checks that the plan
// builds.
func NewSweepSpec(scenario, grid string, reps int, seed *uint64, fidelity, metric string) (SweepSpec, error) {
	data, src, err := ReadScenario(scenario)
	if err != nil {
		return SweepSpec{}, err
	}
	sc, err := scenarios.Parse(data, src)
	if err != nil {
		return SweepSpec{}, err
	}
	spec := SweepSpec{Scenario: data, Source: src, Grid: grid, Reps: reps, Seed: sc.Seed, Fidelity: fidelity, Metric: metric}
	if seed != nil {
		spec.Seed = *seed
	}
	cfg, err := spec.Config()
	if err != nil {
		return SweepSpec{}, err
	}
	if spec.Grid == "" {
		if spec.Grid, err = sweep.DefaultGrid(cfg); err != nil {
			return SweepSpec{}, err
		}
		cfg.Grid = spec.Grid
	}
	if _, err := sweep.NewPlan(cfg); err != nil {
		return SweepSpec{}, err
	}
	return spec, nil
}

// Plan builds the sweep plan.
func (s SweepSpec) Plan() (*sweep.Plan, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	return sweep.NewPlan(cfg)
}
