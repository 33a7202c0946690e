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

// A zero-inflated metric: the share of zero values is zero_share, and the
// non-zero values have the distribution's mean.
func TestZeroInflatedEvents(t *testing.T) {
	p := policy()
	p.Metrics = []engine.Metric{{Key: "revenue", Kind: engine.Numeric, Direction: engine.HigherIsBetter}}
	m := model()
	m.Horizon = 40 * time.Hour
	m.Metrics = []sim.MetricModel{{Key: "revenue", Distribution: sim.LogNormal, Mean: 40, SD: 60, EventsPerExposure: 1, ZeroShare: 0.95}}
	_, evs := collect(t, p, m)
	var zeros, vals, nonzeroSum float64
	for _, e := range evs {
		if e.Kind != engine.KindMetric {
			continue
		}
		vals++
		if e.Value == 0 {
			zeros++
		} else {
			nonzeroSum += e.Value
		}
	}
	require.Greater(t, vals, 50000.0)
	assert.InDelta(t, 0.95, zeros/vals, 4*math.Sqrt(0.95*0.05/vals))
	nonzero := vals - zeros
	assert.InDelta(t, 40, nonzeroSum/nonzero, 5*60/math.Sqrt(nonzero))
}

// zero_share is checked: in [0, 1), numeric metrics only.
func TestZeroShareValidate(t *testing.T) {
	for _, c := range []struct {
		mm   sim.MetricModel
		want string
	}{
		{sim.MetricModel{Key: "r", Distribution: sim.Normal, EventsPerExposure: 1, ZeroShare: 1}, "metrics[0] (r).zero_share 1 must be in [0, 1)"},
		{sim.MetricModel{Key: "r", Distribution: sim.Normal, EventsPerExposure: 1, ZeroShare: -0.1}, "metrics[0] (r).zero_share -0.1 must be in [0, 1)"},
		{sim.MetricModel{Key: "c", Binary: true, Rate: 0.1, ZeroShare: 0.5}, "metrics[0] (c).zero_share applies to numeric and percentile metrics only"},
	} {
		m := model()
		m.Metrics = []sim.MetricModel{c.mm}
		assert.ErrorContains(t, m.Validate(), c.want)
	}
}
