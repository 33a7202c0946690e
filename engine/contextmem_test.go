package engine_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// memStream is a simulated stream of mcPolicy's metrics with contexts
// numbered up to population (several record pages).
func memStream(t *testing.T, seed uint64, population int) (engine.Policy, sim.Model, []engine.Event) {
	t.Helper()
	p := mcPolicy(int64(seed))
	m := mcModel(seed, 0, 0)
	m.AnalysedOnly = false
	m.Horizon = 60 * time.Hour
	m.Traffic.RatePerHour = 4000
	m.Traffic.Population = population
	var evs []engine.Event
	_, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(b []engine.Event) error {
		evs = append(evs, b...)
		return nil
	})
	require.NoError(t, err)
	return p, m, evs
}

// noGC turns the collector off for the test: a collection empties the
// pools, and these tests are about what the pools hold.
func noGC(t *testing.T) {
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

// TestReleasedMemoryIsReusedClean checks that a rollout made after another
// was released takes over its record pages, and that its results (down to
// every context's state in a snapshot) are those of a rollout on memory of
// its own, made with the pools empty: recycled records must start as unused
// as fresh ones, and a table must work alike with and without recycled
// slices (the generator's IDs are not in order of appearance, so the
// table keeps its order slice).
func TestReleasedMemoryIsReusedClean(t *testing.T) {
	noGC(t)
	p, m, b := memStream(t, 11, 30000)
	_, _, a := memStream(t, 12, 60000) // more contexts, other states, same policy shape

	engine.DrainContextPools() // the reference runs on memory of its own
	ref, err := engine.NewRollout(p, engine.Options{Start: m.Start})
	require.NoError(t, err)
	feedAll(t, ref, b)
	want, err := ref.Snapshot()
	require.NoError(t, err)
	wantRes := ref.Close(context.Background(), time.Time{})

	dirty, err := engine.NewRollout(p, engine.Options{Start: m.Start})
	require.NoError(t, err)
	feedAll(t, dirty, a)
	pages := engine.PageAddrs(dirty)
	require.Greater(t, len(pages), 8, "the dirty rollout fills several full pages")
	dirty.Release()
	require.False(t, engine.HoldsContexts(dirty), "a released rollout keeps none of its contexts' memory")

	r, err := engine.NewRollout(p, engine.Options{Start: m.Start})
	require.NoError(t, err)
	feedAll(t, r, b)
	reused := 0
	for _, a := range engine.PageAddrs(r) {
		if slices.Contains(pages, a) {
			reused++
		}
	}
	require.Positive(t, reused, "the new rollout takes the released pages")
	got, err := r.Snapshot()
	require.NoError(t, err)
	require.Equal(t, want, got, "a rollout on recycled memory has the same state")
	require.Equal(t, wantRes.Outcome, r.Close(context.Background(), time.Time{}).Outcome)
}

// TestRunReusesContextMemory checks that Run releases its rollout: with
// the pools empty a Run allocates its contexts' memory, and the next Run
// on the same stream allocates under half of that (about 1%). Under the
// race detector sync.Pool drops a quarter of what it is given at random,
// so there the figure is luck and the test is skipped.
func TestRunReusesContextMemory(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	noGC(t)
	p, m, evs := memStream(t, 13, 60000)
	run := func() uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := engine.Run(context.Background(), &engine.SliceSource{Events: evs}, p, engine.Options{Start: m.Start}, time.Time{})
		require.NoError(t, err)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	engine.DrainContextPools()
	fresh := run()
	again := run()
	t.Logf("allocated %d bytes on empty pools, then %d", fresh, again)
	require.Greater(t, fresh, uint64(2<<20), "60k contexts' records and keys")
	require.Less(t, again, fresh/2)
}
