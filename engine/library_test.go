package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// libStream is a small simulated rollout (default schedule, hourly
// checks, a latency and a conversion metric, traffic outside the analysis
// too) whose new variation regresses from step 3 when effect > 0.
func libStream(t testing.TB, effect float64) (engine.Policy, []engine.Event) {
	t.Helper()
	p := mcPolicy(11)
	p.Metrics = append(p.Metrics, engine.Metric{Key: "conv", Kind: engine.Binary, Direction: engine.HigherIsBetter})
	m := mcModel(11, effect, 3)
	m.AnalysedOnly = false
	m.Traffic = sim.Traffic{RatePerHour: 400, Population: 20000}
	m.Metrics = append(m.Metrics, sim.MetricModel{Key: "conv", Binary: true, Rate: 0.2, Delay: 10 * time.Minute})
	var evs []engine.Event
	_, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(batch []engine.Event) error {
		evs = append(evs, batch...)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, len(evs), 10000)
	return p, evs
}

func resultJSON(t testing.TB, res *engine.Result) string {
	t.Helper()
	b, err := json.Marshal(res)
	require.NoError(t, err)
	return string(b)
}

func inOrder(t testing.TB, p engine.Policy, evs []engine.Event) *engine.Result {
	t.Helper()
	res, err := engine.Run(context.Background(), &engine.SliceSource{Events: append([]engine.Event(nil), evs...)}, p, engine.Options{Start: t0}, time.Time{})
	require.NoError(t, err)
	return res
}

func TestTimelineIsACopy(t *testing.T) {
	p, evs := libStream(t, 0)
	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	for i := range evs[:len(evs)/2] {
		require.NoError(t, r.Observe(context.Background(), &evs[i]))
	}
	before, err := json.Marshal(r.Timeline())
	require.NoError(t, err)
	tl := r.Timeline()
	require.Greater(t, len(tl), 3)
	require.NotEmpty(t, tl[2].Metrics)
	tl[0].Note = "changed"
	tl[1].Decision = engine.DecisionRollback
	tl[2].Metrics[0].Estimate = 1e9
	tl[2].Metrics = append(tl[2].Metrics[:0], engine.MetricCheck{Key: "x"})
	tl = append(tl[:1], engine.Check{Note: "added"})
	_ = tl
	from := r.TimelineFrom(2)
	from[0].Metrics[0].Key = "changed too"
	after, err := json.Marshal(r.Timeline())
	require.NoError(t, err)
	assert.JSONEq(t, string(before), string(after))
	assert.Equal(t, r.TimelineLen(), len(r.Timeline()))
	assert.Nil(t, r.TimelineFrom(r.TimelineLen()))
}

func TestDecisionCallbackSeesEveryRowInOrder(t *testing.T) {
	p, evs := libStream(t, 0.5)
	var got []engine.Check
	var r *engine.Rollout
	r, err := engine.NewRollout(p, engine.Options{Start: t0, OnDecision: func(c engine.Check) {
		// Called right after the row is made: it is the newest row (the
		// start row comes from NewRollout itself, before r is set).
		if r != nil {
			require.Equal(t, len(got)+1, r.TimelineLen())
		}
		c.Note += " (seen)" // a copy: the rollout's row stays as it was
		got = append(got, c)
	}})
	require.NoError(t, err)
	res, err := r.Feed(context.Background(), &engine.SliceSource{Events: evs}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, engine.StatusRolledBack, res.Outcome.Status, "the stream must exercise a rollback")
	require.Len(t, got, len(res.Timeline))
	for i := range got {
		assert.Equal(t, res.Timeline[i].Note+" (seen)", got[i].Note)
		got[i].Note = res.Timeline[i].Note
	}
	assert.Equal(t, resultJSON(t, &engine.Result{Timeline: res.Timeline}), resultJSON(t, &engine.Result{Timeline: got}))
	assert.Equal(t, resultJSON(t, inOrder(t, p, evs)), resultJSON(t, res), "the callback changes nothing")
}

func TestTickRunsDueChecksWithoutEvents(t *testing.T) {
	p, evs := libStream(t, 0)
	ctx := context.Background()
	// The traffic stops after 30 hours.
	cut := sort.Search(len(evs), func(i int) bool { return evs[i].Time >= at(30*time.Hour) })
	head := evs[:cut]
	end := t0.Add(80 * time.Hour)

	ref, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	want, err := ref.Feed(ctx, &engine.SliceSource{Events: append([]engine.Event(nil), head...)}, end)
	require.NoError(t, err)

	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	for i := range head {
		require.NoError(t, r.Observe(ctx, &head[i]))
	}
	n := r.TimelineLen()
	var ticked []engine.Check
	for tt := t0.Add(30 * time.Hour); !tt.After(end); tt = tt.Add(17 * time.Minute) {
		cs, err := r.Tick(ctx, tt)
		require.NoError(t, err)
		for _, c := range cs {
			assert.False(t, c.Time.After(tt), "a tick runs only the checks due by its time")
		}
		ticked = append(ticked, cs...)
	}
	cs, err := r.Tick(ctx, end)
	require.NoError(t, err)
	ticked = append(ticked, cs...)
	got := r.Close(ctx, end)
	require.Greater(t, len(ticked), 20, "hourly checks between 30 h and 80 h")
	assert.Equal(t, len(got.Timeline)-n, len(ticked))
	assert.Equal(t, resultJSON(t, &engine.Result{Timeline: want.Timeline}), resultJSON(t, &engine.Result{Timeline: got.Timeline}),
		"ticking then closing gives the timeline of closing at the end")
	assert.Equal(t, resultJSON(t, &engine.Result{Timeline: ticked}), resultJSON(t, &engine.Result{Timeline: got.Timeline[n:]}))
	assert.Equal(t, want.Outcome.Status, got.Outcome.Status)
	assert.Equal(t, end, got.Outcome.Time, "a running rollout's outcome stands at the last tick")
	// No traffic for 24 h is a health finding that only ticks can surface.
	var noTraffic bool
	for _, c := range ticked {
		noTraffic = noTraffic || len(c.Health) > 0
	}
	assert.True(t, noTraffic, "the ticks see the traffic stop")

	_, err = r.Tick(ctx, end.Add(-time.Hour))
	require.ErrorIs(t, err, engine.ErrOutOfOrder)
	late := engine.Event{Time: end.Add(-time.Minute).UnixNano(), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "late"}
	require.ErrorIs(t, r.Observe(ctx, &late), engine.ErrOutOfOrder, "events before a tick are out of order")

	// A rollout without a start starts at its first tick.
	r2, err := engine.NewRollout(p, engine.Options{})
	require.NoError(t, err)
	cs, err = r2.Tick(ctx, t0)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, engine.DecisionStart, cs[0].Decision)
	assert.Equal(t, t0, cs[0].Time)
}

// jitter returns the events in an arrival order where each event is up to
// w late: sorted by time plus a random delay in [0, w), the same delay for
// events of equal time (so that they keep their order, as the engine
// keeps equal times in arrival order).
func jitter(evs []engine.Event, w time.Duration, seed uint64) []engine.Event {
	rng := rand.New(rand.NewPCG(seed, 1))
	type arr struct {
		key int64
		ev  engine.Event
	}
	as := make([]arr, len(evs))
	var d int64
	for i, ev := range evs {
		if i == 0 || ev.Time != evs[i-1].Time {
			d = rng.Int64N(int64(w))
		}
		as[i] = arr{ev.Time + d, ev}
	}
	sort.SliceStable(as, func(i, j int) bool { return as[i].key < as[j].key })
	out := make([]engine.Event, len(as))
	for i := range as {
		out[i] = as[i].ev
	}
	return out
}

func TestReorderWindow(t *testing.T) {
	p, evs := libStream(t, 0.5)
	want := resultJSON(t, inOrder(t, p, evs))
	const w = 20 * time.Minute
	shuffled := jitter(evs, w, 3)
	var moved int
	for i := range shuffled {
		if i > 0 && shuffled[i].Time < shuffled[i-1].Time {
			moved++
		}
	}
	require.Greater(t, moved, len(evs)/10, "the arrival order must be far from sorted")

	ctx := context.Background()
	// Without a window the first late event is an error.
	_, err := engine.Run(ctx, &engine.SliceSource{Events: append([]engine.Event(nil), shuffled...)}, p, engine.Options{Start: t0}, time.Time{})
	require.ErrorIs(t, err, engine.ErrOutOfOrder)

	var calls int
	r, err := engine.NewRollout(p, engine.Options{Start: t0, Reorder: w, OnDecision: func(engine.Check) { calls++ }})
	require.NoError(t, err)
	res, err := r.Feed(ctx, &engine.SliceSource{Events: shuffled}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, want, resultJSON(t, res), "within the window the result equals the in-order run")
	assert.Equal(t, len(res.Timeline), calls)
	assert.Zero(t, r.Pending())

	// Beyond the window: an error naming the event; the rollout goes on.
	r, err = engine.NewRollout(p, engine.Options{Start: t0, Reorder: time.Minute})
	require.NoError(t, err)
	require.NoError(t, r.Observe(ctx, &engine.Event{Time: at(time.Hour), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"}))
	require.NoError(t, r.Observe(ctx, &engine.Event{Time: at(time.Hour - 30*time.Second), Kind: engine.KindExposure, Variation: engine.Original, ContextKey: "b"}))
	assert.Equal(t, 2, r.Pending())
	err = r.Observe(ctx, &engine.Event{Time: at(time.Hour - 2*time.Minute), Kind: engine.KindMetric, Metric: 1, Value: 1, ContextKey: "ctx-late"})
	require.ErrorIs(t, err, engine.ErrOutOfOrder)
	assert.Contains(t, err.Error(), `metric event at 2026-01-05T00:58:00Z for context "ctx-late" (metric 1)`)
	assert.Contains(t, err.Error(), "beyond the out-of-order window of 1m0s")
	// Invalid events are refused on arrival, not when they are fed later.
	err = r.Observe(ctx, &engine.Event{Time: at(time.Hour), Kind: engine.KindMetric, Metric: 9, ContextKey: "c"})
	require.ErrorContains(t, err, `for context "c" (metric 9): metric event with metric index 9 out of range`)
	assert.Equal(t, 2, r.Pending())
	require.NoError(t, r.Flush(ctx))
	assert.Zero(t, r.Pending())
	assert.Equal(t, int64(2), r.Outcome().Counters.Exposures)

	_, err = engine.NewRollout(p, engine.Options{Reorder: -time.Second})
	require.ErrorContains(t, err, "negative")
}

func TestReorderTickWaitsForTheWindow(t *testing.T) {
	p := basePolicy()
	ctx := context.Background()
	r, err := engine.NewRollout(p, engine.Options{Start: t0, Reorder: 10 * time.Minute})
	require.NoError(t, err)
	// At 1h05 the 1h check cannot run yet: an event at 0h56 may still come.
	cs, err := r.Tick(ctx, t0.Add(65*time.Minute))
	require.NoError(t, err)
	assert.Empty(t, cs)
	require.NoError(t, r.Observe(ctx, &engine.Event{Time: at(56 * time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"}))
	// Allocation waits for the window too.
	assert.Equal(t, 1, r.Allocation(ctx, at(65*time.Minute)).Step)
	assert.Equal(t, 1, r.TimelineLen(), "no check yet")
	cs, err = r.Tick(ctx, t0.Add(70*time.Minute))
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, t0.Add(time.Hour), cs[0].Time)
	assert.Equal(t, [engine.NumArms]int{0, 1}, cs[0].Contexts, "the late event is counted before the check")
	err = r.Observe(ctx, &engine.Event{Time: at(59 * time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "b"})
	require.True(t, errors.Is(err, engine.ErrOutOfOrder))
}

// A zero seed is refused when the engine (or the generator) must bucket:
// it would give every such rollout the same split.
func TestZeroSeedIsRejectedWhenBucketing(t *testing.T) {
	ctx := context.Background()
	p := basePolicy()
	p.Seed = 0
	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	// Pre-assigned exposures (a replay of LaunchDarkly's own assignment) need no seed.
	require.NoError(t, r.Observe(ctx, &engine.Event{Time: at(time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"}))
	err = r.Observe(ctx, &engine.Event{Time: at(2 * time.Minute), Kind: engine.KindExposure, Variation: engine.Unassigned, ContextKey: "b"})
	require.ErrorIs(t, err, engine.ErrNoSeed)
	assert.ErrorContains(t, err, `context "b"`)
	assert.Equal(t, 1, r.Outcome().NewContexts)

	_, err = sim.Simulate(ctx, p, mcModel(1, 0, 0), engine.Options{}, nil)
	require.ErrorIs(t, err, engine.ErrNoSeed)

	seen := map[int64]bool{}
	for range 100 {
		s := engine.NewSeed()
		require.NotZero(t, s)
		require.GreaterOrEqual(t, s, int64(0))
		require.Less(t, s, int64(1)<<53, "exact in LaunchDarkly's JSON numbers")
		seen[s] = true
	}
	assert.Len(t, seen, 100, "drawn, not fixed")
	p.Seed = engine.NewSeed()
	_, err = sim.Simulate(ctx, p, mcModel(1, 0, 0), engine.Options{}, nil)
	require.NoError(t, err)
}
