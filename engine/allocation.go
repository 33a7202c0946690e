package engine

import (
	"context"
	"math"
)

// Allocation is what the flag serves at a moment: the LaunchDarkly rollout
// weights of the three buckets (new, outside, control) and the step.
type Allocation struct {
	// Weights are in thousandths of a percent, in bucket order new, outside,
	// control (see schedule.Step.Weights).
	Weights [3]int
	// Step is the 1-based monitored step (len(steps)+1 once rolled forward
	// to 100%, 0 after a rollback).
	Step int
	// Until is the time (Unix ns) up to which this allocation holds at the
	// latest: the engine's next evaluation.
	Until int64
}

// Allocation advances the rollout to time t (running the checks due before
// t, which must only depend on events already observed) and returns what the
// flag serves from t on. A live system, or a simulation of one, asks this
// before serving each exposure: a rolled-back rollout serves the original
// variation to everyone (outside the analysis), a completed one serves the
// new variation to everyone, a halted one keeps its step's allocation.
func (r *Rollout) Allocation(ctx context.Context, t int64) Allocation {
	t = r.allocationTime(ctx, t)
	if !r.startSet {
		r.begin(t)
	}
	if r.live() && t >= r.nextEval {
		r.advance(ctx, t)
	}
	switch r.status {
	case StatusCompleted:
		return Allocation{Weights: [3]int{100000, 0, 0}, Step: r.nsteps + 1, Until: math.MaxInt64}
	case StatusRolledBack:
		return Allocation{Weights: [3]int{0, 100000, 0}, Step: 0, Until: math.MaxInt64}
	case StatusHalted:
		until := int64(math.MaxInt64)
		if r.awaiting() {
			until = r.nextEval // a scripted action may resume it
		}
		return Allocation{Weights: r.pol.Steps[r.step].Weights(), Step: r.step + 1, Until: until}
	}
	return Allocation{Weights: r.pol.Steps[r.step].Weights(), Step: r.step + 1, Until: r.nextEval}
}
