package sim_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/cputime"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// stepAlloc serves the default schedule's shares [p, 100−2p, p] (p = 1, 5,
// 10, 25, 50%), each for a day, the allocations a rollout that advances
// on time would report.
type stepAlloc struct{ start int64 }

func (a stepAlloc) Allocation(_ context.Context, t int64) engine.Allocation {
	ps := []int{1000, 5000, 10000, 25000, 50000}
	day := int64(24 * time.Hour)
	s := min(int((t-a.start)/day), len(ps)-1)
	p := ps[s]
	return engine.Allocation{Weights: [3]int{p, 100000 - 2*p, p}, Step: s + 1, Until: a.start + int64(s+1)*day}
}

// BenchmarkGenerator measures the synthetic generator alone on the built-in
// latency-regression scenario as an event-level sweep runs it (analysed
// traffic only, 200,000 returning contexts, a daily cycle) over the five
// days of the default schedule, without an engine: arrivals/s is the
// figure to quote (every arrival is drawn and bucketed, whether or not it
// is analysed).
func BenchmarkGenerator(b *testing.B) {
	s, err := scenarios.Load("latency-regression")
	if err != nil {
		b.Fatal(err)
	}
	m := s.Model()
	m.AnalysedOnly = true
	m.Horizon = 120 * time.Hour
	alloc := stepAlloc{start: m.Start.UnixNano()}
	buf := make([]engine.Event, engine.BatchSize)
	var events int
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		m.Seed = uint64(i + 1)
		g, err := sim.NewGenerator(m, int64(i+1), alloc)
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := g.Read(context.Background(), buf)
			events += n
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if cpu := cputime.Process() - cpu0; cpu > 0 && cpu0 > 0 {
		// CPU time per rollout: on a shared machine it leaves out the
		// time other processes ran instead.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
	b.ReportMetric(float64(b.N)*120*3000/b.Elapsed().Seconds(), "arrivals/s")
}
