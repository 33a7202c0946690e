package detect_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/sim"
)

// Every named policy's detectors can be snapshotted: a rollout restored
// mid-run and fed the rest gives the uninterrupted run's result.
func TestNamedPoliciesSnapshot(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	base := engine.Policy{
		FlagKey: "f", Seed: 9, Steps: []schedule.Step{{Percent: 10, Duration: 8 * time.Hour}, {Percent: 25, Duration: 8 * time.Hour}, {Percent: 50, Duration: 8 * time.Hour}}, CheckInterval: time.Hour, MinContexts: 20,
		Metrics: []engine.Metric{
			{Key: "latency", Kind: engine.Numeric, Direction: engine.LowerIsBetter},
		},
	}
	m := sim.Model{
		Seed: 9, Start: t0, Horizon: 25 * time.Hour, AnalysedOnly: true,
		Traffic: sim.Traffic{RatePerHour: 3000},
		Metrics: []sim.MetricModel{
			{Key: "latency", Distribution: sim.Normal, Mean: 10, SD: 1, EventsPerExposure: 1, Delay: time.Minute, Effect: 0.2, EffectStep: 3},
		},
	}
	var evs []engine.Event
	_, err := sim.Simulate(ctx, base, m, engine.Options{}, func(b []engine.Event) error {
		evs = append(evs, b...)
		return nil
	})
	require.NoError(t, err)
	for _, np := range detect.Policies() {
		t.Run(np.Name, func(t *testing.T) {
			p, err := np.Apply(base, nil)
			require.NoError(t, err)
			run := func(cut int) string {
				r, err := engine.NewRollout(p, engine.Options{Start: t0})
				require.NoError(t, err)
				for i := range evs[:cut] {
					require.NoError(t, r.Observe(ctx, &evs[i]))
				}
				if cut < len(evs) {
					snap, err := r.Snapshot()
					require.NoError(t, err)
					r, err = engine.Restore(p, engine.Options{}, snap)
					require.NoError(t, err)
					for i := range evs[cut:] {
						require.NoError(t, r.Observe(ctx, &evs[cut+i]))
					}
				}
				b, err := json.Marshal(r.Close(ctx, time.Time{}))
				require.NoError(t, err)
				return string(b)
			}
			want := run(len(evs))
			for _, f := range []float64{0.15, 0.45, 0.75} {
				require.Equal(t, want, run(int(f*float64(len(evs)))), "snapshot after %g of the events", f)
			}
		})
	}
}

// Detector state alone: detectors restored from MarshalState between
// checks answer the next checks as the originals do, on inputs that flip
// between harm and no harm (so counters and baselines matter).
func TestDetectorStatesRoundTrip(t *testing.T) {
	base := engine.Policy{
		FlagKey: "f", Seed: 3, Steps: []schedule.Step{{Percent: 50, Duration: 100 * time.Hour}}, CheckInterval: time.Hour, MinContexts: 1,
		Metrics: []engine.Metric{{Key: "latency", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}
	// inputs: cumulative moments growing by 200 contexts an hour, the new
	// arm worse in hours 3–5 and 9–10, and constant in hour 7 (Kayenta's
	// noise for constant samples).
	var a, b stats.Moments
	var ins []*engine.DetectorInput
	for h := 1; h <= 12; h++ {
		for i := 0; i < 200; i++ {
			x := 10 + float64(i%5)
			if h == 7 {
				x = 10
			}
			a.Add(x)
			if (h >= 3 && h <= 5) || h >= 9 && h <= 10 {
				x += 3
			}
			b.Add(x)
		}
		ins = append(ins, &engine.DetectorInput{Metric: base.Metrics[0], Strata: []stats.Stratum{{A: a, B: b}}, Elapsed: time.Duration(h) * time.Hour})
	}
	for _, np := range detect.Policies() {
		t.Run(np.Name, func(t *testing.T) {
			p, err := np.Apply(base, nil)
			require.NoError(t, err)
			p = p.WithDefaults()
			f := p.DetectorFactory()
			verdicts := func(cut int) []engine.Verdict {
				ds, err := f.NewDetectors(p)
				require.NoError(t, err)
				var out []engine.Verdict
				for i, in := range ins {
					if i == cut {
						fresh, err := f.NewDetectors(p)
						require.NoError(t, err)
						for k := range ds {
							st, err := ds[k].(engine.StatefulDetector).MarshalState()
							require.NoError(t, err)
							require.NoError(t, fresh[k].(engine.StatefulDetector).UnmarshalState(st))
						}
						ds = fresh
					}
					out = append(out, ds[0].Check(in))
				}
				return out
			}
			want := verdicts(-1)
			for cut := 1; cut < len(ins); cut++ {
				require.Equal(t, want, verdicts(cut), "restored before check %d", cut+1)
			}
		})
	}
}
