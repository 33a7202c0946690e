package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// TestContextIDsDoNotChangeResults checks that the ContextID hint only
// speeds the lookup up: a stream with IDs, without them, with a mix, with
// IDs too large to index, or with IDs numbered in another order gives the
// same result, for pre-assigned and engine-bucketed variations.
func TestContextIDsDoNotChangeResults(t *testing.T) {
	for _, omit := range []bool{false, true} {
		p := mcPolicy(3)
		m := mcModel(3, 4, 2)
		m.AnalysedOnly = false
		m.OmitVariation = omit
		m.Horizon = 50 * time.Hour
		m.Traffic.Population = 4000
		var evs []engine.Event
		_, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(b []engine.Event) error {
			evs = append(evs, b...)
			return nil
		})
		require.NoError(t, err)
		require.NotZero(t, evs[0].ContextID, "the generator numbers its contexts")

		dense := map[string]uint32{} // numbered in order of first appearance
		for _, ev := range evs {
			if _, ok := dense[ev.ContextKey]; !ok {
				dense[ev.ContextKey] = uint32(len(dense) + 1)
			}
		}
		variants := map[string]func(i int, ev *engine.Event){
			"ids":  func(int, *engine.Event) {},
			"none": func(_ int, ev *engine.Event) { ev.ContextID = 0 },
			"mixed": func(i int, ev *engine.Event) {
				if i%3 == 0 || (i > len(evs)/2 && i%2 == 0) {
					ev.ContextID = 0
				}
			},
			"huge":  func(_ int, ev *engine.Event) { ev.ContextID += 1 << 31 },
			"dense": func(_ int, ev *engine.Event) { ev.ContextID = dense[ev.ContextKey] },
			// dense at first, then a context without an ID, then dense again
			"dense-gap": func(_ int, ev *engine.Event) {
				ev.ContextID = dense[ev.ContextKey]
				if ev.ContextID == 500 {
					ev.ContextID = 0
				}
			},
			// dense at first, then IDs that skip numbers
			"dense-jump": func(_ int, ev *engine.Event) {
				ev.ContextID = dense[ev.ContextKey]
				if ev.ContextID > 700 {
					ev.ContextID += 1000
				}
			},
			"shuffled": func(_ int, ev *engine.Event) { ev.ContextID = ev.ContextID*7919%100003 + 1 },
		}
		var want *engine.Result
		for _, name := range []string{"ids", "none", "mixed", "huge", "shuffled", "dense", "dense-gap", "dense-jump"} {
			cp := make([]engine.Event, len(evs))
			copy(cp, evs)
			for i := range cp {
				variants[name](i, &cp[i])
			}
			res, err := engine.Run(context.Background(), &engine.SliceSource{Events: cp}, p, engine.Options{Start: m.Start}, time.Time{})
			require.NoError(t, err, name)
			if want == nil {
				want = res
				require.Greater(t, res.Outcome.Counters.Exposures, int64(1000))
				continue
			}
			require.Equal(t, want, res, "omit variation %v, IDs %s", omit, name)
		}
	}
}

// TestContextKeysKept checks that the engine keeps its own copy of every
// key, long or empty, when later events look the keys up by string.
func TestContextKeysKept(t *testing.T) {
	p := basePolicy()
	long := strings.Repeat("k", 70000)
	buf := []byte("ctx-a")
	var s stream
	// Exposures with IDs and a reused key buffer, then metric events
	// without IDs (the engine builds its key map from its own copies).
	for i, k := range []string{long, "", "b"} {
		s.evs = append(s.evs, engine.Event{Time: at(time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextID: uint32(i + 1), ContextKey: k})
	}
	s.evs = append(s.evs, engine.Event{Time: at(time.Minute), Kind: engine.KindExposure, Variation: engine.Original, ContextID: 9, ContextKey: string(buf)})
	copy(buf, "xxxxx")
	for _, k := range []string{long, "", "b", "ctx-a", "xxxxx"} {
		s.metric(2*time.Minute, k, 0, 5)
	}
	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	res, err := r.Feed(context.Background(), &engine.SliceSource{Events: s.evs}, t0.Add(time.Hour))
	require.NoError(t, err)
	c := res.Outcome.Counters
	require.EqualValues(t, 5, c.MetricEvents)
	require.EqualValues(t, 1, c.Unattributed, "only xxxxx was never exposed")
	require.EqualValues(t, 4, c.Exposures)
	mc := res.Timeline[len(res.Timeline)-1].Metrics[0]
	require.Equal(t, 3, mc.New.N, "the long, empty and short keys found their contexts")
	require.Equal(t, 1, mc.Original.N, "ctx-a kept its key after the source reused the bytes")
}

// TestSnapshotKeepsIDMode checks that a snapshot taken while the context
// IDs are dense (ID = index+1, as from engine.ContextIDs) or direct (the
// generator's numbers, not in order of appearance) restores to a rollout
// that finds the same contexts: it then gives the uninterrupted run's
// result, both when the rest of the stream keeps its numbering and when it
// leaves it (IDs that jump, no IDs, IDs beyond the direct table's bound).
func TestSnapshotKeepsIDMode(t *testing.T) {
	p := mcPolicy(5)
	m := mcModel(5, 4, 2)
	m.AnalysedOnly = false
	m.Horizon = 60 * time.Hour
	m.Traffic.Population = 3000
	var evs []engine.Event
	_, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(b []engine.Event) error {
		evs = append(evs, b...)
		return nil
	})
	require.NoError(t, err)
	orig := append([]engine.Event(nil), evs...)
	var ids engine.ContextIDs
	for i := range evs {
		evs[i].ContextID = ids.ID(evs[i].ContextKey)
	}
	jump := make([]engine.Event, len(evs))
	copy(jump, evs)
	for i := range jump[len(jump)/2:] {
		if ev := &jump[len(jump)/2+i]; ev.ContextID > uint32(ids.Len()/2) {
			ev.ContextID += 5000
		}
	}
	// The generator's own IDs (context number + 1: not in order of
	// appearance), then the same with the events after the cut without
	// IDs (found by key) or with IDs beyond any table bound.
	gen := make([]engine.Event, len(evs))
	copy(gen, orig)
	genKeys := make([]engine.Event, len(evs))
	copy(genKeys, orig)
	for i := range genKeys[len(genKeys)/3:] {
		genKeys[len(genKeys)/3+i].ContextID = 0
	}
	genHuge := make([]engine.Event, len(evs))
	copy(genHuge, orig)
	for i := range genHuge[len(genHuge)/2:] {
		if ev := &genHuge[len(genHuge)/2+i]; ev.ContextID%2 == 0 {
			ev.ContextID += 1 << 30
		}
	}
	for name, stream := range map[string][]engine.Event{"dense": evs, "dense then jumps": jump,
		"generator IDs": gen, "generator IDs then keys": genKeys, "generator IDs then huge IDs": genHuge} {
		opts := engine.Options{Start: m.Start}
		want, err := engine.Run(context.Background(), &engine.SliceSource{Events: stream}, p, opts, time.Time{})
		require.NoError(t, err)
		r, err := engine.NewRollout(p, opts)
		require.NoError(t, err)
		cut := len(stream) / 3
		for i := range stream[:cut] {
			require.NoError(t, r.Observe(context.Background(), &stream[i]))
		}
		snap, err := r.Snapshot()
		require.NoError(t, err)
		restored, err := engine.Restore(p, opts, snap)
		require.NoError(t, err)
		got, err := restored.Feed(context.Background(), &engine.SliceSource{Events: stream[cut:]}, time.Time{})
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}
}
