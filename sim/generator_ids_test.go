package sim_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// TestContextIDsDense: the generator gives each context key one ContextID
// and each ID one key, numbered 1, 2, 3, … in order of first appearance
// in the stream (what lets the engine index its contexts by ID), for a
// finite population, one new context per arrival, duplicate exposures and
// ratio component events. With lost exposures (DropNew) a context can
// first appear through a metric event or not at all: the numbering stays
// one-to-one, and the results equal those of the same stream without IDs.
func TestContextIDsDense(t *testing.T) {
	ratio := func(m *sim.Model) {
		m.Metrics = append(m.Metrics, sim.MetricModel{Key: "err", Ratio: true, Rate: 0.1, EventsPerExposure: 3, Delay: time.Second, NumeratorIndex: 2, DenominatorIndex: 3})
	}
	cases := []struct {
		name  string
		edit  func(*sim.Model)
		pol   func(*engine.Policy)
		dense bool
	}{
		{"population", func(*sim.Model) {}, nil, true},
		{"every arrival new", func(m *sim.Model) { m.Traffic.Population = 0 }, nil, true},
		{"duplicates", func(m *sim.Model) { m.Fault.DuplicateNew = 0.3 }, nil, true},
		{"ratio", ratio, func(p *engine.Policy) {
			p.Metrics = append(p.Metrics, engine.Metric{Key: "err", Kind: engine.Ratio, Direction: engine.LowerIsBetter, Numerator: "err_n", Denominator: "err_d"})
		}, true},
		{"lost exposures", func(m *sim.Model) { m.Fault.DropNew = 0.5 }, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, m := policy(), model()
			m.Horizon = 30 * time.Hour
			c.edit(&m)
			if c.pol != nil {
				c.pol(&p)
			}
			res, evs := collect(t, p, m)
			require.NotEmpty(t, evs)
			idOf, keyOf := map[string]uint32{}, map[uint32]string{}
			var last uint32
			for i, ev := range evs {
				require.NotZero(t, ev.ContextID, "event %d (%s) has no ContextID", i, ev.ContextKey)
				if id, ok := idOf[ev.ContextKey]; ok {
					require.Equal(t, id, ev.ContextID, "event %d: key %s changed ID", i, ev.ContextKey)
					continue
				}
				if k, ok := keyOf[ev.ContextID]; ok {
					t.Fatalf("event %d: ID %d of %s reused for %s", i, ev.ContextID, k, ev.ContextKey)
				}
				idOf[ev.ContextKey], keyOf[ev.ContextID] = ev.ContextID, ev.ContextKey
				if c.dense {
					require.Equal(t, last+1, ev.ContextID, "event %d: %s first appears with ID %d after %d", i, ev.ContextKey, ev.ContextID, last)
					require.Equal(t, engine.KindExposure, ev.Kind, "event %d: %s first appears in a metric event", i, ev.ContextKey)
				}
				last = max(last, ev.ContextID)
			}
			// The same stream without IDs gives the same result.
			for i := range evs {
				evs[i].ContextID = 0
			}
			r, err := engine.NewRollout(p, engine.Options{Start: m.Start})
			require.NoError(t, err)
			res2, err := r.Feed(context.Background(), &engine.SliceSource{Events: evs}, time.Time{})
			require.NoError(t, err)
			require.Equal(t, res.Outcome, res2.Outcome)
			require.Equal(t, res.Timeline, res2.Timeline)
		})
	}
}

// TestContextKeys: the shared key slots hold "user-" and the number, across
// chunk boundaries and past the shared table's end.
func TestContextKeys(t *testing.T) {
	for _, i := range []int{0, 9, 10, 99, 100, 65535, 65536, 65537, 199999, 1<<21 - 1, 1 << 21, 1<<21 + 7, 123456789} {
		require.Equal(t, "user-"+strconv.Itoa(i), sim.ContextKey(i))
	}
}
