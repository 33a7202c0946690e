package plan

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
	"github.com/guardsim/guardsim/sim/sweep"
)

// mcStats are the Monte Carlo frequencies a plan predicts.
type mcStats struct {
	reps                 int
	extended1            int // step 1 extended
	insufficient         int
	completed            int
	completedElapsedMean time.Duration
}

// simulate runs reps event-level rollouts of the scenario, each with its own
// stream and bucketing seed, as a sweep does.
func simulate(t *testing.T, s *scenarios.Scenario, reps int) mcStats {
	t.Helper()
	p, err := s.Policy()
	require.NoError(t, err)
	m := s.Model()
	m.AnalysedOnly = true
	st := mcStats{reps: reps}
	var sum time.Duration
	for i := 0; i < reps; i++ {
		seed := sweep.RepSeed(77, i)
		p.Seed = int64(seed % 1_000_000_000)
		m.Seed = seed
		res, err := sim.Simulate(context.Background(), p, m, engine.Options{}, nil)
		require.NoError(t, err)
		for _, c := range res.Timeline {
			if c.Step == 1 && c.Decision == engine.DecisionExtend {
				st.extended1++
			}
		}
		switch {
		case res.Outcome.Reason == engine.ReasonInsufficientSample:
			st.insufficient++
		case res.Outcome.Status == engine.StatusCompleted:
			st.completed++
			sum += res.Outcome.Elapsed
		}
	}
	if st.completed > 0 {
		st.completedElapsedMean = sum / time.Duration(st.completed)
	}
	return st
}

// within asserts that the Monte Carlo share k/n is within 3.5 standard
// errors of the predicted probability p.
func within(t *testing.T, name string, p float64, k, n int) {
	t.Helper()
	se := math.Sqrt(p * (1 - p) / float64(n))
	got := float64(k) / float64(n)
	assert.InDelta(t, p, got, 3.5*se+1e-9, "%s: plan %.4f, simulation %d/%d = %.4f (SE %.4f)", name, p, k, n, got, se)
}

// TestPlanAgreesWithSimulation: on a sparse scenario with returning
// contexts and a daily cycle, the plan's probabilities of extending step 1,
// of an insufficient-sample rollback and of completing, and its expected
// time to 100%, agree with event-level simulation of the real engine
// within Monte Carlo error (1500 rollouts, 3.5 SE; the probabilities are
// near 0.9 and 0.33, where a 5-point error fails).
func TestPlanAgreesWithSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	zero := 0
	cases := []struct {
		name   string
		reps   int
		mutate func(s *scenarios.Scenario)
	}{
		{"rollback", 1500, func(*scenarios.Scenario) {}},
		{"hold", 500, func(s *scenarios.Scenario) {
			s.Rollout.OnInsufficient = "hold"
			// Long enough for the holds to end (the default horizon
			// leaves room for extensions only). 2% of rollouts hold for
			// ever: only Binomial(3000, 1%) contexts can ever be served
			// the new variation at 1%, and they may be fewer than 20.
			s.Horizon = scenarios.Duration(10 * 24 * time.Hour)
		}},
		{"metric minimum", 1000, func(s *scenarios.Scenario) {
			// Only a binary metric's own minimum: 12 new-variation
			// contexts that converted in the step (engine/minimum.go),
			// with a 10-minute mean delay.
			s.Rollout.MinContexts = &zero
			s.Metrics = append(s.Metrics, scenarios.Metric{Key: "signup", Kind: "binary", Direction: "higher_is_better",
				Rate: 0.5, Delay: scenarios.Duration(10 * time.Minute), MinContexts: 12})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Load("testdata/sparse.yaml")
			require.NoError(t, err)
			tc.mutate(s)
			reps := tc.reps
			p, err := s.Policy()
			require.NoError(t, err)
			prof, err := FromModel(s.Model(), p)
			require.NoError(t, err)
			pl, err := Compute(p, prof, Options{})
			require.NoError(t, err)
			mc := simulate(t, s, reps)
			t.Logf("plan: extend %.4f insufficient %.4f complete %.4f E[T] %v; simulation (%d): extend %d insufficient %d complete %d E[T] %v",
				1-pl.Steps[0].MeetProbability, pl.InsufficientProbability, pl.CompleteProbability, pl.ExpectedDuration,
				reps, mc.extended1, mc.insufficient, mc.completed, mc.completedElapsedMean)

			within(t, "step 1 extended", 1-pl.Steps[0].MeetProbability, mc.extended1, reps)
			within(t, "insufficient-sample rollback", pl.InsufficientProbability, mc.insufficient, reps)
			within(t, "completed", pl.CompleteProbability, mc.completed, reps)
			// The time to 100% takes few values (whole steps, extensions,
			// hold checks): its SD is below 24 h, so 3.5 SE of the mean over
			// ≥ 450 completions is under 3.5 h.
			assert.InDelta(t, pl.ExpectedDuration.Hours(), mc.completedElapsedMean.Hours(), 3.5,
				"expected time to 100%%: plan %v, simulation %v", pl.ExpectedDuration, mc.completedElapsedMean)
			if tc.name == "hold" {
				assert.Zero(t, pl.InsufficientProbability)
				assert.Greater(t, pl.Steps[0].ExpectedHold, time.Duration(0))
			} else {
				assert.InDelta(t, 0.4, pl.InsufficientProbability, 0.25, "the scenario is meant to be on the edge")
			}
		})
	}
}

// TestMDEAgreesWithSweep: an aggregate sweep with the effect set to the
// plan's MDE at the last step detects it in 80% of rollouts (4000 rollouts,
// SE 0.6 points, tolerance 3.5 SE), for the full 5-step schedule and for a
// schedule cut after step 2 (the MDE "by the end of step 2").
func TestMDEAgreesWithSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	for _, steps := range []int{5, 2} {
		t.Run(fmt.Sprintf("steps=%d", steps), func(t *testing.T) {
			s, err := scenarios.Load("testdata/mde.yaml")
			require.NoError(t, err)
			p, err := s.Policy()
			require.NoError(t, err)
			if steps < len(p.Steps) {
				for _, st := range p.Steps[:steps] {
					s.Rollout.Steps = append(s.Rollout.Steps, scenarios.Step{Percent: st.Percent, Duration: scenarios.Duration(st.Duration)})
				}
				p, err = s.Policy()
				require.NoError(t, err)
			}
			prof, err := FromModel(s.Model(), p)
			require.NoError(t, err)
			pl, err := Compute(p, prof, Options{})
			require.NoError(t, err)
			d := float64(pl.Steps[steps-1].MDE[0].Absolute)
			require.False(t, math.IsNaN(d))
			const reps = 4000
			res, err := sweep.Run(context.Background(), sweep.Config{Name: s.Name, Policy: p, Model: s.Model(), Grid: fmt.Sprintf("effect=%g", d), Reps: reps, Seed: 5, Fidelity: sweep.Aggregate})
			require.NoError(t, err)
			t.Logf("MDE %.4g by step %d: detected in %d of %d", d, steps, res.Cells[0].Detections, reps)
			within(t, "power at the MDE", TargetPower, res.Cells[0].Detections, reps)
		})
	}
}
