package plan_test

import (
	"fmt"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/plan"
)

// Plan a two-step rollout of a latency metric on 50 exposures an hour from
// 2000 returning users: the 2% step is unlikely to reach its 40 contexts
// even after its extension.
func Example() {
	p := engine.Policy{
		FlagKey:     "admin-search",
		MinContexts: 40,
		Steps: []schedule.Step{
			{Percent: 2, Duration: 24 * time.Hour},
			{Percent: 50, Duration: 48 * time.Hour},
		},
		Metrics: []engine.Metric{{Key: "latency_ms", Kind: engine.Numeric}},
	}
	prof := &plan.Profile{
		Start:      time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Traffic:    plan.Cosine{RatePerHour: 50},
		Population: 2000,
		Metrics:    []plan.MetricProfile{{Key: "latency_ms", DataRate: 1, Mean: 300, Var: 100 * 100}},
	}
	pl, err := plan.Compute(p, prof, plan.Options{})
	if err != nil {
		panic(err)
	}
	s := pl.Steps[0]
	fmt.Printf("step 1: %.1f new contexts expected, P(met at end) %.3f, after extension %.3f\n",
		s.ExpectedNew, s.MeetProbability, s.MeetExtendedProbability)
	fmt.Printf("P(insufficient-sample rollback) %.3f\n", pl.InsufficientProbability)
	fmt.Printf("MDE by the end of step 2: %.1f ms\n", float64(pl.Steps[1].MDE[0].Absolute))
	// Output:
	// step 1: 18.0 new contexts expected, P(met at end) 0.000, after extension 0.018
	// P(insufficient-sample rollback) 0.982
	// MDE by the end of step 2: 19.5 ms
}
