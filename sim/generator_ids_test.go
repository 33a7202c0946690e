package sim_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// TestContextIDs: the generator numbers context "user-i" i+1 (what lets
// the engine use the ID as its handle), duplicate exposures ("dup-n")
// population+n (0 without a population, whose IDs are unbounded), one ID
// per key and one key per ID, also for ratio component events and with
// lost exposures; the results equal those of the same stream without IDs.
func TestContextIDs(t *testing.T) {
	ratio := func(m *sim.Model) {
		m.Metrics = append(m.Metrics, sim.MetricModel{Key: "err", Ratio: true, Rate: 0.1, EventsPerExposure: 3, Delay: time.Second, NumeratorIndex: 2, DenominatorIndex: 3})
	}
	cases := []struct {
		name string
		edit func(*sim.Model)
		pol  func(*engine.Policy)
	}{
		{"population", func(*sim.Model) {}, nil},
		{"population beyond the bucket memo", func(m *sim.Model) { m.Traffic.Population = 100000 }, nil},
		{"every arrival new", func(m *sim.Model) { m.Traffic.Population = 0 }, nil},
		{"duplicates", func(m *sim.Model) { m.Fault.DuplicateNew = 0.3 }, nil},
		{"duplicates, every arrival new", func(m *sim.Model) { m.Fault.DuplicateNew = 0.3; m.Traffic.Population = 0 }, nil},
		{"ratio", ratio, func(p *engine.Policy) {
			p.Metrics = append(p.Metrics, engine.Metric{Key: "err", Kind: engine.Ratio, Direction: engine.LowerIsBetter, Numerator: "err_n", Denominator: "err_d"})
		}},
		{"lost exposures", func(m *sim.Model) { m.Fault.DropNew = 0.5 }, nil},
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
			keyOf := map[uint32]string{}
			dups := 0
			for i, ev := range evs {
				if n, ok := strings.CutPrefix(ev.ContextKey, "user-"); ok {
					k, err := strconv.Atoi(n)
					require.NoError(t, err)
					require.Equal(t, uint32(k+1), ev.ContextID, "event %d: %s", i, ev.ContextKey)
				} else {
					n, ok := strings.CutPrefix(ev.ContextKey, "dup-")
					require.True(t, ok, "event %d: key %q", i, ev.ContextKey)
					k, err := strconv.Atoi(n)
					require.NoError(t, err)
					want := uint32(0)
					if m.Traffic.Population > 0 {
						want = uint32(m.Traffic.Population + k)
					}
					require.Equal(t, want, ev.ContextID, "event %d: %s", i, ev.ContextKey)
					dups++
				}
				if ev.ContextID == 0 {
					continue
				}
				if k, ok := keyOf[ev.ContextID]; ok && k != ev.ContextKey {
					t.Fatalf("event %d: ID %d of %s reused for %s", i, ev.ContextID, k, ev.ContextKey)
				}
				keyOf[ev.ContextID] = ev.ContextKey
			}
			if m.Fault.DuplicateNew > 0 {
				require.NotZero(t, dups, "no duplicate exposures")
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
