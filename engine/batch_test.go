package engine_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// observeEach is the reference: Observe on each event, stopping at the
// first error.
func observeEach(r *engine.Rollout, evs []engine.Event) (int, error) {
	for i := range evs {
		if err := r.Observe(context.Background(), &evs[i]); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// TestObserveBatchEqualsObserve checks that ObserveBatch gives exactly
// what one Observe per event gives (result, alerts, decision callbacks),
// whatever the batch sizes, for every way of numbering contexts (the
// generator's IDs, dense IDs, no IDs, a mix, IDs beyond any table bound),
// with pre-assigned and engine-bucketed variations, and with an
// out-of-order window.
func TestObserveBatchEqualsObserve(t *testing.T) {
	ctx := context.Background()
	for _, omit := range []bool{false, true} {
		p := mcPolicy(11)
		m := mcModel(11, 3, 1)
		m.AnalysedOnly = false
		m.OmitVariation = omit
		m.Horizon = 40 * time.Hour
		m.Traffic.Population = 5000
		var evs []engine.Event
		_, err := sim.Simulate(ctx, p, m, engine.Options{}, func(b []engine.Event) error {
			evs = append(evs, b...)
			return nil
		})
		require.NoError(t, err)
		require.Greater(t, len(evs), 20000)
		var ids engine.ContextIDs
		variants := map[string]func(i int, ev *engine.Event){
			"generator IDs": func(int, *engine.Event) {},
			"dense IDs":     func(_ int, ev *engine.Event) { ev.ContextID = ids.ID(ev.ContextKey) },
			"no IDs":        func(_ int, ev *engine.Event) { ev.ContextID = 0 },
			"mixed": func(i int, ev *engine.Event) {
				if i%5 == 0 {
					ev.ContextID = 0
				}
			},
			"huge IDs": func(i int, ev *engine.Event) {
				if i > len(evs)/2 {
					ev.ContextID += 1 << 30
				}
			},
		}
		for name, change := range variants {
			cp := append([]engine.Event(nil), evs...)
			for i := range cp {
				change(i, &cp[i])
			}
			for _, reorder := range []time.Duration{0, 10 * time.Minute} {
				stream := cp
				if reorder > 0 {
					stream = jitter(cp, reorder, 3)
				}
				run := func(batches []int) (string, []engine.Check, []string) {
					var alerts recorded
					var rows []engine.Check
					r, err := engine.NewRollout(p, engine.Options{Start: m.Start, Reorder: reorder, Notifier: &alerts,
						OnDecision: func(c engine.Check) { rows = append(rows, c) }})
					require.NoError(t, err)
					rest := append([]engine.Event(nil), stream...)
					if batches == nil {
						n, err := observeEach(r, rest)
						require.NoError(t, err)
						require.Equal(t, len(rest), n)
						rest = nil
					}
					for k := 0; len(rest) > 0; k++ {
						b := min(batches[k%len(batches)], len(rest))
						n, err := r.ObserveBatch(ctx, rest[:b])
						require.NoError(t, err)
						require.Equal(t, b, n)
						rest = rest[b:]
					}
					return resultJSON(t, r.Close(ctx, time.Time{})), rows, alerts.kinds
				}
				want, wantRows, wantAlerts := run(nil)
				for _, batches := range [][]int{{len(stream)}, {4096}, {1, 31, 32, 33, 1000}} {
					got, rows, alerts := run(batches)
					require.Equal(t, want, got, "omit %v, %s, reorder %s, batches %v", omit, name, reorder, batches)
					require.Equal(t, wantRows, rows)
					require.Equal(t, wantAlerts, alerts)
				}
			}
		}
	}
}

// TestObserveBatchStopsAtTheFailingEvent checks that ObserveBatch returns
// the number of events before the first bad one and Observe's error for
// it, and leaves the rollout as Observe one at a time does (it goes on
// from the next event alike).
func TestObserveBatchStopsAtTheFailingEvent(t *testing.T) {
	ctx := context.Background()
	p, evs := libStream(t, 0)
	bad := map[string]func(ev *engine.Event){
		"not finite": func(ev *engine.Event) {
			*ev = engine.Event{Time: ev.Time, Kind: engine.KindMetric, Value: math.NaN(), ContextKey: ev.ContextKey}
		},
		"out of order": func(ev *engine.Event) { ev.Time = t0.UnixNano() - 1 },
		"unknown kind": func(ev *engine.Event) { ev.Kind = 9 },
		"metric index": func(ev *engine.Event) {
			*ev = engine.Event{Time: ev.Time, Kind: engine.KindMetric, Metric: 99, ContextKey: ev.ContextKey}
		},
		"bad variation": func(ev *engine.Event) {
			*ev = engine.Event{Time: ev.Time, Kind: engine.KindExposure, Variation: 7, ContextKey: ev.ContextKey}
		},
	}
	for name, spoil := range bad {
		for _, at := range []int{0, 31, 32, 1000, 4097} {
			stream := append([]engine.Event(nil), evs...)
			spoil(&stream[at])
			ref, err := engine.NewRollout(p, engine.Options{Start: t0})
			require.NoError(t, err)
			wantN, wantErr := observeEach(ref, append([]engine.Event(nil), stream...))
			require.Error(t, wantErr, name)
			require.Equal(t, at, wantN, name)

			r, err := engine.NewRollout(p, engine.Options{Start: t0})
			require.NoError(t, err)
			cp := append([]engine.Event(nil), stream...)
			n, err := r.ObserveBatch(ctx, cp)
			require.Equal(t, at, n, "%s at %d", name, at)
			require.EqualError(t, err, wantErr.Error(), "%s at %d", name, at)

			// Both go on alike after the bad event.
			_, err = observeEach(ref, stream[at+1:])
			require.NoError(t, err)
			_, err = r.ObserveBatch(ctx, cp[at+1:])
			require.NoError(t, err)
			require.Equal(t, resultJSON(t, ref.Close(ctx, time.Time{})), resultJSON(t, r.Close(ctx, time.Time{})), "%s at %d", name, at)
		}
	}
}
