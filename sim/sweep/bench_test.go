package sweep

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// benchPlan is the default schedule (1→5→10→25→50%, 24h steps, hourly
// looks) with one normal metric at 3000 exposures an hour and no effect.
func benchPlan(tb testing.TB) *aggPlan {
	tb.Helper()
	return benchPlanMetric(tb, sim.MetricModel{Key: "y", Distribution: sim.Normal, Mean: 10, SD: 1, EventsPerExposure: 1})
}

// benchPlanMetric is benchPlan with another metric model.
func benchPlanMetric(tb testing.TB, mm sim.MetricModel) *aggPlan {
	tb.Helper()
	p := engine.Policy{
		FlagKey: "bench", Steps: schedule.Default(0), CheckInterval: time.Hour, MinContexts: 100,
		Metrics: []engine.Metric{{Key: "y", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}.WithDefaults()
	m := sim.Model{
		Start: scenarios.DefaultStart, Horizon: 240 * time.Hour,
		Traffic: sim.Traffic{RatePerHour: 3000, DailyAmplitude: 0.4, PeakHour: 15},
		Metrics: []sim.MetricModel{mm},
	}
	pl, err := newAggPlan(p, m)
	if err != nil {
		tb.Fatal(err)
	}
	return pl
}

// BenchmarkAggregateRollout simulates one aggregate rollout per iteration
// on the default schedule (one worker; multiply by the cores for a sweep).
func BenchmarkAggregateRollout(b *testing.B) {
	pl := benchPlan(b)
	s := newAggSim()
	b.ReportAllocs()
	b.ResetTimer()
	completed := 0
	for i := 0; i < b.N; i++ {
		if s.run(pl, RepSeed(1, i)).status == stCompleted {
			completed++
		}
	}
	b.StopTimer()
	if b.N >= 100 && completed < b.N/2 {
		b.Fatalf("only %d of %d A/A rollouts completed", completed, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "rollouts/min")
}

// BenchmarkAggregateRolloutHeavyTail is BenchmarkAggregateRollout with a
// log-normal metric of log-sd 2 (the heavy-tail-latency scenario's shape):
// the split sampler's tail contexts are simulated exactly.
func BenchmarkAggregateRolloutHeavyTail(b *testing.B) {
	pl := benchPlanMetric(b, sim.MetricModel{Key: "y", Distribution: sim.LogNormal, Mean: 250, SD: 1829.8, EventsPerExposure: 1})
	s := newAggSim()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.run(pl, RepSeed(1, i))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "rollouts/min")
}

// BenchmarkAggregateRolloutParallel runs BenchmarkAggregateRollout's
// rollouts on every core (one simulator per goroutine, as Run does):
// rollouts/min is the machine's throughput.
func BenchmarkAggregateRolloutParallel(b *testing.B) {
	pl := benchPlan(b)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := newAggSim()
		for pb.Next() {
			s.run(pl, RepSeed(1, int(next.Add(1))))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "rollouts/min")
}

// BenchmarkAggregateRolloutPopulation is BenchmarkAggregateRollout with
// the aa-no-effect scenario's returning contexts (population 200,000, about
// half of the exposures returns): population mode samples per context.
func BenchmarkAggregateRolloutPopulation(b *testing.B) {
	p := engine.Policy{
		FlagKey: "bench", Steps: schedule.Default(0), CheckInterval: time.Hour, MinContexts: 100,
		Metrics: []engine.Metric{{Key: "y", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}.WithDefaults()
	m := sim.Model{
		Start: scenarios.DefaultStart, Horizon: 240 * time.Hour,
		Traffic: sim.Traffic{RatePerHour: 3000, DailyAmplitude: 0.4, PeakHour: 15, Population: 200000},
		Metrics: []sim.MetricModel{{Key: "y", Distribution: sim.Normal, Mean: 10, SD: 1, EventsPerExposure: 1}},
	}
	pl, err := newAggPlan(p, m)
	if err != nil {
		b.Fatal(err)
	}
	if pl.pop == nil {
		b.Fatal("population mode is not used")
	}
	s := newAggSim()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.run(pl, RepSeed(1, i))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "rollouts/min")
}
