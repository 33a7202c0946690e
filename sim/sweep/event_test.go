package sweep

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// TestEventStopsAtEnd checks that stopping the stream at the rollout's end
// records the same outcome as simulating the whole horizon, for rollouts
// that roll back, complete and hit an SRM.
func TestEventStopsAtEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates full event-level rollouts")
	}
	for _, name := range []string{"latency-regression", "srm-fault", "aa-no-effect"} {
		s, err := scenarios.Load(name)
		require.NoError(t, err)
		pol, err := s.Policy()
		require.NoError(t, err)
		cells, err := plan(Config{Name: name, Policy: pol, Model: s.Model(), Fidelity: EventLevel}, Grid{})
		require.NoError(t, err)
		c := &cells[0]
		for rep := range 1 {
			seed := RepSeed(5, rep)
			got, err := simulateEvent(context.Background(), c, seed, nil)
			require.NoError(t, err)
			p := c.pol
			p.Seed = bucketSeed(seed)
			m := c.model
			m.Seed = seed
			full, err := sim.Simulate(context.Background(), p, m, engine.Options{}, nil)
			require.NoError(t, err)
			want := outcomeOf(m, full)
			require.Equal(t, want, got, "%s rep %d", name, rep)
			if got.reason == rsRegression {
				require.NotZero(t, got.regressed, "%s rep %d: the regression names its metric", name, rep)
			}
			require.NotEqual(t, stRunning, got.status, "%s rep %d ends before the horizon", name, rep)
		}
	}
}
