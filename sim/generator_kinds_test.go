package sim_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// A ratio metric emits denominator events (value 1, five per exposure) and
// numerator events at the given rate per request, under the policy's
// extra event keys; the new arm's rate carries the effect.
func TestRatioEvents(t *testing.T) {
	p := policy()
	p.Metrics = []engine.Metric{{Key: "error_rate", Kind: engine.Ratio, Numerator: "errors", Denominator: "requests", Direction: engine.LowerIsBetter, NoAutoRollback: true}}
	require.Equal(t, []string{"error_rate", "errors", "requests"}, p.MetricKeys())
	m := model()
	m.Horizon = 30 * time.Hour
	m.Metrics = []sim.MetricModel{{Key: "error_rate", Ratio: true, Rate: 0.05, Effect: 0.05, EventsPerExposure: 5, Delay: time.Second, NumeratorIndex: 1, DenominatorIndex: 2}}
	res, evs := collect(t, p, m)
	arm := map[string]engine.Variation{}
	var num, den [3]float64
	exposures := 0
	for _, e := range evs {
		switch {
		case e.Kind == engine.KindExposure:
			exposures++
			if _, ok := arm[e.ContextKey]; !ok || arm[e.ContextKey] == engine.Outside {
				arm[e.ContextKey] = e.Variation
			}
		case e.Metric == 1:
			num[arm[e.ContextKey]]++
			assert.Equal(t, 1.0, e.Value)
		case e.Metric == 2:
			den[arm[e.ContextKey]]++
		default:
			t.Fatalf("event of metric %d: a ratio metric has no events of its own key", e.Metric)
		}
	}
	assert.InDelta(t, 5*float64(exposures), den[0]+den[1]+den[2], 0.01*5*float64(exposures)) // events past the horizon are cut
	rate := func(v engine.Variation) float64 { return num[v] / den[v] }
	assert.InDelta(t, 0.05, rate(engine.Original), 4*math.Sqrt(0.05*0.95/den[engine.Original]))
	assert.InDelta(t, 0.10, rate(engine.New), 4*math.Sqrt(0.1*0.9/den[engine.New]))
	// The engine sees the same ratio difference.
	last := res.Timeline[len(res.Timeline)-1].Metrics[0]
	assert.InDelta(t, 0.05, last.Estimate, 0.02)
}

// A tail regression scales only the new arm's values above the baseline's
// tail quantile: the share of new values above the threshold is unchanged,
// and every such value is at least scale × threshold.
func TestTailRegression(t *testing.T) {
	p := policy()
	p.Metrics = p.Metrics[:1]
	p.Metrics[0].Kind = engine.Percentile
	p.Metrics[0].Quantile = 0.99
	p.Metrics[0].NoAutoRollback = true
	m := model()
	m.Horizon = 30 * time.Hour
	m.Metrics = m.Metrics[:1]
	m.Metrics[0].TailQuantile, m.Metrics[0].TailScale = 0.9, 2
	_, evs := collect(t, p, m)
	s2 := math.Log1p(0.25 * 0.25)
	thr := math.Exp(math.Log(200) - s2/2 + math.Sqrt(s2)*1.2815515655446004)
	arm := map[string]engine.Variation{}
	var above, total, far [3]float64
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			if _, ok := arm[e.ContextKey]; !ok || arm[e.ContextKey] == engine.Outside {
				arm[e.ContextKey] = e.Variation
			}
			continue
		}
		v := arm[e.ContextKey]
		total[v]++
		if e.Value > thr {
			above[v]++
			if v == engine.New {
				assert.GreaterOrEqual(t, e.Value, 2*thr)
			}
		}
		if v != engine.New && e.Value > 2*thr {
			far[v]++
		}
	}
	// Unscaled arms rarely exceed twice the threshold (about 0.04% of
	// log-normal values with sd/mean 0.25).
	assert.Less(t, far[engine.Original]/total[engine.Original], 0.002)
	for _, v := range []engine.Variation{engine.Original, engine.New} {
		assert.InDelta(t, 0.1, above[v]/total[v], 4*math.Sqrt(0.09/total[v]), "%v", v)
	}
}
