package scenarios

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func TestParseMargin(t *testing.T) {
	cases := []struct {
		in, unit string
		v        float64
		rel      bool
		err      string
	}{
		{"1%", "", 0.01, true, ""},
		{" 0.5 % ", "", 0.005, true, ""},
		{"2", "", 2, false, ""},
		{"2ms", "ms", 2, false, ""},
		{"1.5s", "ms", 1500, false, ""},
		{"500us", "ms", 0.5, false, ""},
		{"2ms", "s", 0.002, false, ""},
		{"2ms", "", 0, false, "has no time unit"},
		{"150%", "", 0, false, "not a percentage"},
		{"-1", "", 0, false, "non-negative"},
		{"abc", "", 0, false, "not a number, a percentage"},
	}
	for _, c := range cases {
		v, rel, err := ParseMargin(c.in, c.unit)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.InDelta(t, c.v, v, 1e-12, c.in)
		assert.Equal(t, c.rel, rel, c.in)
	}
	assert.Equal(t, "ms", metricUnit(Metric{Key: "latency_ms"}))
	assert.Equal(t, "s", metricUnit(Metric{Key: "x", Unit: "s"}))
	assert.Equal(t, "", metricUnit(Metric{Key: "latency"}))
}

func TestKindScenarios(t *testing.T) {
	dir := filepath.Join("..", "testdata", "scenarios")
	s, err := Load(filepath.Join(dir, "tail-p99.yaml"))
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	assert.Equal(t, engine.Percentile, p.Metrics[0].Kind)
	assert.Equal(t, 0.99, p.Metrics[0].Quantile)
	m := s.Model()
	assert.Equal(t, 1.3, m.Metrics[0].TailScale)
	assert.Equal(t, 0.98, m.Metrics[0].TailQuantile)

	s, err = Load(filepath.Join(dir, "fpr-ratio.yaml"))
	require.NoError(t, err)
	p, err = s.Policy()
	require.NoError(t, err)
	assert.Equal(t, []string{"error_rate", "errors", "requests"}, p.MetricKeys())
	m = s.Model()
	assert.True(t, m.Metrics[0].Ratio)
	assert.Equal(t, int32(1), m.Metrics[0].NumeratorIndex)
	assert.Equal(t, int32(2), m.Metrics[0].DenominatorIndex)

	s, err = Load(filepath.Join(dir, "margin-mean.yaml"))
	require.NoError(t, err)
	p, err = s.Policy()
	require.NoError(t, err)
	assert.Equal(t, 2.0, p.Metrics[0].Margin)
	assert.False(t, p.Metrics[0].MarginRelative)
}

func TestKindScenarioErrors(t *testing.T) {
	base := "name: x\ntraffic:\n  rate_per_hour: 10\nmetrics:\n  - key: m\n    direction: lower_is_better\n"
	cases := []struct{ name, extra, msg string }{
		{"percentile without quantile", "    kind: percentile\n", "quantile 0 must be in (0, 1)"},
		{"ratio without keys", "    kind: ratio\n", "needs numerator and denominator"},
		{"duration margin without unit", "    kind: numeric\n    margin: 2ms\n", "margin: \"2ms\" is a duration but the metric has no time unit"},
		{"aggregation on percentile", "    kind: percentile\n    quantile: 0.9\n    aggregation: sum\n", "aggregation applies to numeric metrics only"},
		{"bad method", "    kind: percentile\n    quantile: 0.9\n    method: fast\n", `method "fast"`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(base+c.extra), "test.yaml")
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.msg, c.name)
	}
}
