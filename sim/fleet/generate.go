package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
	"github.com/guardsim/guardsim/sim/eventlog"
)

// GenerateOptions describe a synthetic fleet.
type GenerateOptions struct {
	// Scenario is the YAML of the scenario every rollout follows (its
	// rollout part becomes each folder's rollout.yaml).
	Scenario []byte
	// N is the number of rollouts.
	N int
	// Regressions is the share of rollouts that keep the scenario's
	// regressions (labelled "regression"); the others have every effect
	// removed (labelled "good"). Which ones is drawn from Seed.
	Regressions float64
	// Seed derives each rollout's simulation seed.
	Seed uint64
}

// Generate writes a synthetic fleet into dir: folders rollout-000, … each
// with rollout.yaml, events.parquet (written as `guardsim generate` does,
// serving following the engine) and label.txt. It is for trying and
// testing backtests.
func Generate(ctx context.Context, dir string, o GenerateOptions) error {
	if o.N <= 0 {
		return fmt.Errorf("fleet: generate %d rollouts: want at least 1", o.N)
	}
	if !(o.Regressions >= 0 && o.Regressions <= 1) {
		return fmt.Errorf("fleet: regression share %v: want 0..1", o.Regressions)
	}
	s, err := scenarios.Parse(o.Scenario, "scenario")
	if err != nil {
		return err
	}
	pol, err := s.Policy()
	if err != nil {
		return err
	}
	base := s.Model()
	hasEffect := false
	for _, m := range base.Metrics {
		hasEffect = hasEffect || m.Effect != 0
	}
	if o.Regressions > 0 && !hasEffect {
		return errors.New("fleet: the scenario has no regression to inject (set a metric's regression.effect)")
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x6a09e667f3bcc908))
	perm := r.Perm(o.N)
	nreg := int(math.Round(o.Regressions * float64(o.N)))
	isReg := make([]bool, o.N)
	for _, i := range perm[:nreg] {
		isReg[i] = true
	}
	width := len(fmt.Sprint(o.N - 1))
	width = max(width, 3)
	for i := 0; i < o.N; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		sub := filepath.Join(dir, fmt.Sprintf("rollout-%0*d", width, i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		m := base
		m.Metrics = append([]sim.MetricModel(nil), base.Metrics...)
		m.Seed = r.Uint64()
		label := Regression
		if !isReg[i] {
			label = Good
			for j := range m.Metrics {
				m.Metrics[j].Effect = 0
			}
		}
		if err := writeEvents(ctx, filepath.Join(sub, EventsName+".parquet"), pol, m); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(sub, RolloutFile), o.Scenario); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(sub, LabelFile), []byte(string(label)+"\n")); err != nil {
			return err
		}
	}
	return nil
}

func writeEvents(ctx context.Context, path string, p engine.Policy, m sim.Model) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	w, err := eventlog.NewWriter(f, eventlog.Meta{FlagKey: p.FlagKey, MetricKeys: p.MetricKeys(), Start: m.Start})
	if err != nil {
		return err
	}
	_, err = sim.Simulate(ctx, p, m, engine.Options{}, func(evs []engine.Event) error {
		for i := range evs {
			if err := w.Write(evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
