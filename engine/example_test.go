package engine_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
)

// examplePolicy is a two-step rollout with hourly checks on a latency
// metric.
func examplePolicy() engine.Policy {
	return engine.Policy{
		FlagKey: "checkout", ProjectKey: "shop", EnvironmentKey: "production", Seed: 42,
		Steps:         []schedule.Step{{Percent: 10, Duration: 4 * time.Hour}, {Percent: 50, Duration: 4 * time.Hour}},
		CheckInterval: time.Hour,
		MinContexts:   20,
		Metrics:       []engine.Metric{{Key: "latency", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}
}

// exampleEvents is an hour of traffic starting at start+offset: n
// contexts per arm, each exposed and then measured; the new variation is
// 10 ms slower when slow is set.
func exampleEvents(start time.Time, offset time.Duration, n int, slow bool) []engine.Event {
	var evs []engine.Event
	for i := 0; i < n; i++ {
		for j, v := range []engine.Variation{engine.Original, engine.New} {
			key := fmt.Sprintf("%s-%s-%d", offset, v, i)
			t := start.Add(offset + time.Duration(2*i+j)*time.Second).UnixNano()
			evs = append(evs, engine.Event{Time: t, Kind: engine.KindExposure, Variation: v, ContextKey: key})
			ms := 100 + float64(i%7)
			if slow && v == engine.New {
				ms += 10
			}
			evs = append(evs, engine.Event{Time: t + int64(time.Millisecond), Kind: engine.KindMetric, Metric: 0, Value: ms, ContextKey: key})
		}
	}
	return evs
}

// A rollout fed events one at a time; the decision callback sees every
// decision as it is made.
func Example() {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r, err := engine.NewRollout(examplePolicy(), engine.Options{
		Start: start,
		OnDecision: func(c engine.Check) {
			if c.Decision != engine.DecisionContinue {
				fmt.Printf("+%v step %d: %s\n", c.Elapsed, c.Step, strings.TrimSpace(string(c.Decision)+" "+string(c.Reason)))
			}
		},
	})
	if err != nil {
		panic(err)
	}
	for h := 0; h < 8; h++ {
		evs := exampleEvents(start, time.Duration(h)*time.Hour+time.Minute, 30, h >= 5)
		for i := range evs {
			if err := r.Observe(ctx, &evs[i]); err != nil {
				panic(err)
			}
		}
	}
	res := r.Close(ctx, start.Add(8*time.Hour))
	fmt.Println(res.Outcome.Status, res.Outcome.Reason, res.Outcome.Metric)
	// Output:
	// +0s step 1: start
	// +4h0m0s step 1: advance
	// +7h0m0s step 2: rollback regression
	// rolled_back regression latency
}

// ObserveBatch observes a batch of events at a time (a service that
// receives them in batches), with the same results as Observe on each.
func ExampleRollout_ObserveBatch() {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r, err := engine.NewRollout(examplePolicy(), engine.Options{Start: start})
	if err != nil {
		panic(err)
	}
	for h := 0; h < 8; h++ {
		evs := exampleEvents(start, time.Duration(h)*time.Hour+time.Minute, 30, h >= 5)
		if n, err := r.ObserveBatch(ctx, evs); err != nil {
			panic(fmt.Sprintf("event %d of hour %d: %v", n+1, h, err))
		}
	}
	res := r.Close(ctx, start.Add(8*time.Hour))
	fmt.Println(res.Outcome.Status, res.Outcome.Reason, res.Outcome.Metric, res.Outcome.Counters.Events)
	// Output:
	// rolled_back regression latency 960
}

// Rollouts run one after another, as in a sweep: each hands its
// contexts' memory to the next once its result is taken.
func ExampleRollout_Release() {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, slow := range []bool{false, true} {
		r, err := engine.NewRollout(examplePolicy(), engine.Options{Start: start})
		if err != nil {
			panic(err)
		}
		for h := 0; h < 8; h++ {
			if _, err := r.ObserveBatch(ctx, exampleEvents(start, time.Duration(h)*time.Hour+time.Minute, 30, slow && h >= 5)); err != nil {
				panic(err)
			}
		}
		res := r.Close(ctx, start.Add(8*time.Hour))
		r.Release() // res stays valid; r is not used again
		fmt.Println(strings.TrimSpace(string(res.Outcome.Status) + " " + string(res.Outcome.Reason)))
	}
	// Output:
	// completed
	// rolled_back regression
}

// Tick runs the checks that fall due while no events arrive, so that a
// service notices traffic that stopped.
func ExampleRollout_Tick() {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r, err := engine.NewRollout(examplePolicy(), engine.Options{Start: start})
	if err != nil {
		panic(err)
	}
	evs := exampleEvents(start, time.Minute, 30, false)
	for i := range evs {
		if err := r.Observe(ctx, &evs[i]); err != nil {
			panic(err)
		}
	}
	checks, err := r.Tick(ctx, start.Add(3*time.Hour+30*time.Minute))
	if err != nil {
		panic(err)
	}
	for _, c := range checks {
		fmt.Printf("+%v %s, %d+%d contexts\n", c.Elapsed, c.Decision, c.Contexts[engine.Original], c.Contexts[engine.New])
	}
	// Output:
	// +1h0m0s continue, 30+30 contexts
	// +2h0m0s continue, 30+30 contexts
	// +3h0m0s continue, 30+30 contexts
}

// A snapshot taken mid-run and restored (after a restart, say) continues
// exactly where the rollout stopped.
func ExampleRollout_Snapshot() {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p := examplePolicy()
	r, err := engine.NewRollout(p, engine.Options{Start: start})
	if err != nil {
		panic(err)
	}
	feed := func(r *engine.Rollout, hours ...int) {
		for _, h := range hours {
			evs := exampleEvents(start, time.Duration(h)*time.Hour+time.Minute, 30, h >= 5)
			for i := range evs {
				if err := r.Observe(ctx, &evs[i]); err != nil {
					panic(err)
				}
			}
		}
	}
	feed(r, 0, 1, 2, 3, 4)
	snap, err := r.Snapshot()
	if err != nil {
		panic(err)
	}
	restored, err := engine.Restore(p, engine.Options{}, snap)
	if err != nil {
		panic(err)
	}
	feed(restored, 5, 6, 7)
	o := restored.Close(ctx, start.Add(8*time.Hour)).Outcome
	fmt.Println(restored.TimelineLen(), "checks;", o.Status, o.Reason, "after", o.Elapsed)
	// Output:
	// 8 checks; rolled_back regression after 7h0m0s
}

// With an out-of-order window, events that arrive a little late are
// analysed in time order; later ones are an error naming the event.
func ExampleOptions_reorder() {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r, err := engine.NewRollout(examplePolicy(), engine.Options{Start: start, Reorder: 5 * time.Minute})
	if err != nil {
		panic(err)
	}
	at := func(d time.Duration) int64 { return start.Add(d).UnixNano() }
	for _, ev := range []engine.Event{
		{Time: at(10 * time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"},
		{Time: at(7 * time.Minute), Kind: engine.KindExposure, Variation: engine.Original, ContextKey: "b"}, // 3 min late: fine
		{Time: at(2 * time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "c"},      // 8 min late
	} {
		if err := r.Observe(ctx, &ev); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// event out of time order: exposure event at 2026-03-01T09:02:00Z for context "c" is 8m0s before the latest event (2026-03-01T09:10:00Z), beyond the out-of-order window of 5m0s
}
