package sweep

import (
	"context"
	"testing"

	"github.com/guardsim/guardsim/scenarios"
)

// BenchmarkEventSweep runs an event-level sweep of the built-in
// latency-regression scenario on every core (GOMAXPROCS workers): one cell
// with no effect and one with the scenario's 12 ms, b.N rollouts each.
// rollouts/s is the machine's event-level throughput.
func BenchmarkEventSweep(b *testing.B) {
	s, err := scenarios.Load("latency-regression")
	if err != nil {
		b.Fatal(err)
	}
	pol, err := s.Policy()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	res, err := Run(context.Background(), Config{Name: s.Name, Policy: pol, Model: s.Model(), Grid: "effect=0,12", Reps: b.N, Seed: 1, Fidelity: EventLevel})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if len(res.Cells) != 2 {
		b.Fatalf("%d cells, want 2", len(res.Cells))
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "rollouts/s")
}
