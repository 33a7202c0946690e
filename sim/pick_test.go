package sim

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/bucket"
)

// cycleAlloc serves [p, 100−2p, p] with p cycling through shares every
// hour (in thousandths of a percent).
type cycleAlloc struct{ ps []int }

func (a cycleAlloc) Allocation(_ context.Context, t int64) engine.Allocation {
	h := t / int64(time.Hour)
	p := a.ps[int(h)%len(a.ps)]
	return engine.Allocation{Weights: [3]int{p, 100000 - 2*p, p}, Step: 1, Until: (h + 1) * int64(time.Hour)}
}

// TestServedArmsExact: whichever way the generator keeps its contexts'
// bucket values (exact memo, coarse values with PickWeightsRange, or none),
// every exposure is served PickWeights of its key's bucket value under the
// weights of its time, as the engine would bucket it.
func TestServedArmsExact(t *testing.T) {
	ps := []int{1000, 5000, 10000, 25000, 50000, 333, 49999}
	for _, pop := range []int{5000, maxMemo, maxMemo + 1, 300000, maxCoarse + 1} {
		m := Model{
			Seed: 11, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Horizon: 200 * time.Hour,
			Traffic: Traffic{RatePerHour: 3000, Population: pop},
			Metrics: []MetricModel{{Key: "conv", Binary: true, Rate: 0.1, Delay: time.Minute}},
		}
		if pop > maxCoarse {
			m.Horizon = 20 * time.Hour // a large table: a shorter run
		}
		const seed = 424242
		g, err := NewGenerator(m, seed, cycleAlloc{ps})
		require.NoError(t, err)
		h := bucket.ForSeed(seed)
		buf := make([]engine.Event, 512)
		n, repeats := 0, 0
		seen := map[uint32]bool{}
		for {
			k, err := g.Read(context.Background(), buf)
			for _, ev := range buf[:k] {
				if ev.Kind != engine.KindExposure {
					continue
				}
				a := cycleAlloc{ps}.Allocation(context.Background(), ev.Time)
				want := []engine.Variation{engine.New, engine.Outside, engine.Original}[bucket.PickWeights(h.Value(ev.ContextKey), a.Weights[:])]
				require.Equal(t, want, ev.Variation, "population %d, %s at %d", pop, ev.ContextKey, ev.Time)
				n++
				if seen[ev.ContextID] {
					repeats++
				}
				seen[ev.ContextID] = true
			}
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		require.Greater(t, n, 1000)
		if pop <= 300000 {
			require.Greater(t, repeats, n/10, "population %d: repeat arrivals exercise the memo", pop)
		}
	}
}
