package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/cputime"
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
	if cpu := cputime.Process() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(events)*float64(b.N)/cpu.Seconds(), "cpu-events/s")
	}
}

// BenchmarkEngine measures the engine alone on pre-assigned variations
// (events/s is the figure to quote).
func BenchmarkEngine(b *testing.B) {
	p, evs := benchStream(b)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cputime.Process()
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
	cpu0 := cputime.Process()
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

// BenchmarkEngineIDs is BenchmarkEngine's stream with its contexts
// numbered otherwise, the paths other sources take: "scattered" (a
// permutation of the generator's IDs, not in order of appearance: the
// direct table, by ID), "sparse" (spread over 4M: the byID map) and "keys"
// (no IDs: the key map).
func BenchmarkEngineIDs(b *testing.B) {
	p, evs := benchStream(b)
	var maxID uint32
	for i := range evs {
		maxID = max(maxID, evs[i].ContextID)
	}
	// id → id·7919 mod q is one-to-one on [1, q) for a prime q.
	scatter := func(q uint64) func(uint32) uint32 {
		return func(id uint32) uint32 { return uint32(uint64(id)*7919%q) + 1 }
	}
	for _, c := range []struct {
		name string
		id   func(uint32) uint32
	}{
		{"scattered", scatter(nextPrime(uint64(maxID) + 1))},
		{"sparse", scatter(nextPrime(4_000_000))},
		{"keys", func(uint32) uint32 { return 0 }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cp := make([]engine.Event, len(evs))
			copy(cp, evs)
			for i := range cp {
				cp[i].ContextID = c.id(cp[i].ContextID)
			}
			ctx := context.Background()
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				if _, err := engine.Run(ctx, &engine.SliceSource{Events: cp}, p, engine.Options{Start: t0}, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, len(cp), cpu0)
		})
	}
}

// nextPrime is the smallest prime ≥ n (n ≥ 2).
func nextPrime(n uint64) uint64 {
	for ; ; n++ {
		prime := true
		for d := uint64(2); d*d <= n; d++ {
			if n%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			return n
		}
	}
}
