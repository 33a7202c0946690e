package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// benchStream is a realistic pre-assigned stream: an A/A rollout over the
// default schedule at 6000 exposures an hour with a latency and a
// conversion metric, including the traffic outside the analysis.
func benchStream(b *testing.B) (engine.Policy, []engine.Event) {
	b.Helper()
	benchOnce.Do(func() { benchPolicy, benchEvents = makeBenchStream(b) })
	return benchPolicy, benchEvents
}

var (
	benchOnce   sync.Once
	benchPolicy engine.Policy
	benchEvents []engine.Event
)

func makeBenchStream(b *testing.B) (engine.Policy, []engine.Event) {
	p := mcPolicy(7)
	p.Metrics = append(p.Metrics, engine.Metric{Key: "conv", Kind: engine.Binary, Direction: engine.HigherIsBetter})
	m := mcModel(7, 0, 0)
	m.AnalysedOnly = false
	m.Horizon = 120*time.Hour + time.Minute
	m.Traffic = sim.Traffic{RatePerHour: 6000, DailyAmplitude: 0.3, Population: 300000}
	m.Metrics = append(m.Metrics, sim.MetricModel{Key: "conv", Binary: true, Rate: 0.1, Delay: 10 * time.Minute})
	var evs []engine.Event
	_, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(batch []engine.Event) error {
		evs = append(evs, batch...)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return p, evs
}

// reportRates reports events per second of wall time (events/s, the
// figure to quote) and per second of the process's CPU time
// (cpu-events/s: on a shared machine it leaves out the time other
// processes ran instead; with -cpu 1 it still counts the garbage
// collector's work).
func reportRates(b *testing.B, events int, cpu0 time.Duration) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(events)*float64(b.N)/cpu.Seconds(), "cpu-events/s")
	}
}

// BenchmarkEngine measures the engine alone on pre-assigned variations
// (events/s is the figure to quote).
func BenchmarkEngine(b *testing.B) {
	p, evs := benchStream(b)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := engine.Run(ctx, &engine.SliceSource{Events: evs}, p, engine.Options{Start: t0}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Outcome.Status != engine.StatusCompleted {
			b.Fatalf("A/A rollout ended %s", res.Outcome.Status)
		}
	}
	reportRates(b, len(evs), cpu0)
	b.ReportMetric(float64(len(evs)), "events/op")
}

// BenchmarkEngineBucketing is the same stream without variations: the
// engine buckets every context (SHA-1 once per context).
func BenchmarkEngineBucketing(b *testing.B) {
	p, evs := benchStream(b)
	un := make([]engine.Event, len(evs))
	copy(un, evs)
	for i := range un {
		if un[i].Kind == engine.KindExposure {
			un[i].Variation = engine.Unassigned
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := engine.Run(ctx, &engine.SliceSource{Events: un}, p, engine.Options{Start: t0}, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, len(un), cpu0)
}

// BenchmarkSimulate measures the synthetic generator plus the engine.
func BenchmarkSimulate(b *testing.B) {
	p := mcPolicy(7)
	m := mcModel(7, 0, 0)
	m.AnalysedOnly = false
	m.Traffic.RatePerHour = 3000
	var events int64
	for i := 0; i < b.N; i++ {
		res, err := sim.Simulate(context.Background(), p, m, engine.Options{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += res.Outcome.Counters.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
