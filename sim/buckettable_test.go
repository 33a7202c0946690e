package sim_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// readAll drains a generator (served by a fixed schedule) into a slice.
func readAll(t *testing.T, g *sim.Generator) []engine.Event {
	t.Helper()
	var evs []engine.Event
	buf := make([]engine.Event, 1000)
	for {
		n, err := g.Read(context.Background(), buf)
		evs = append(evs, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return evs
		}
		require.NoError(t, err)
	}
}

// TestBucketTableShared: a generator whose BucketTable an earlier
// generator filled (same bucketing seed and population, another stream),
// or filled under another seed or population, emits exactly the events of
// a generator with a table of its own — for a population with exact bucket
// values, one with coarse values and one without a table.
func TestBucketTableShared(t *testing.T) {
	for _, pop := range []int{5000, 300000, 0} {
		m := sim.Model{
			Start: t0, Horizon: 72 * time.Hour, AnalysedOnly: true,
			Traffic: sim.Traffic{RatePerHour: 3000, DailyAmplitude: 0.3, Population: pop},
			Metrics: []sim.MetricModel{
				{Key: "lat", Distribution: sim.LogNormal, Mean: 200, SD: 50, EventsPerExposure: 1, Delay: time.Second},
				{Key: "conv", Binary: true, Rate: 0.1, Delay: time.Minute},
			},
		}
		alloc := stepAlloc{start: t0.UnixNano()}
		gen := func(seed uint64, bucketSeed int64, bt *sim.BucketTable) []engine.Event {
			mm := m
			mm.Seed = seed
			g, err := sim.NewGeneratorBuckets(mm, bucketSeed, alloc, bt)
			require.NoError(t, err)
			return readAll(t, g)
		}
		want := gen(1, 77, nil)
		require.Greater(t, len(want), 5000, "population %d", pop)

		var bt sim.BucketTable
		other := gen(2, 77, &bt) // fills bt under bucketing seed 77
		require.NotEqual(t, want, other, "population %d: another stream", pop)
		require.Equal(t, want, gen(1, 77, &bt), "population %d: table filled by another stream, same seed", pop)
		require.Equal(t, want, gen(1, 77, &bt), "population %d: table filled by the same stream", pop)

		require.Equal(t, gen(1, 78, nil), gen(1, 78, &bt), "population %d: another seed refills the table", pop)
		require.Equal(t, want, gen(1, 77, &bt), "population %d: table of another seed", pop)
		mm := m
		mm.Traffic.Population = pop + 7
		g, err := sim.NewGeneratorBuckets(mm, 77, alloc, &bt)
		require.NoError(t, err)
		readAll(t, g) // another population refills bt
		require.Equal(t, want, gen(1, 77, &bt), "population %d: table of another population", pop)
	}
}
