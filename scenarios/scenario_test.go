package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

func TestBuiltinsLoadAndValidate(t *testing.T) {
	names := Names()
	require.GreaterOrEqual(t, len(names), 5)
	for _, want := range []string{"aa-no-effect", "latency-regression", "conversion-regression", "srm-fault", "low-traffic"} {
		assert.Contains(t, names, want)
	}
	for _, n := range names {
		s, err := Load(n)
		require.NoError(t, err, n)
		assert.Equal(t, n, s.Name, "file name and name field agree")
		assert.NotEmpty(t, s.Description)
		_, err = s.Policy()
		require.NoError(t, err)
	}
}

// TestBuiltinOutcomes runs every built-in scenario end to end: each must end
// the way its description says.
func TestBuiltinOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		status engine.Status
		reason engine.Reason
		metric string
	}{
		{"aa-no-effect", engine.StatusCompleted, "", ""},
		{"latency-regression", engine.StatusRolledBack, engine.ReasonRegression, "latency_ms"},
		{"conversion-regression", engine.StatusRolledBack, engine.ReasonRegression, "checkout_conversion"},
		{"srm-fault", engine.StatusRolledBack, engine.ReasonSRM, ""},
		{"low-traffic", engine.StatusRolledBack, engine.ReasonInsufficientSample, ""},
		{"heavy-tail-latency", engine.StatusCompleted, "", ""},
		{"diurnal-baseline", engine.StatusCompleted, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.name)
			require.NoError(t, err)
			p, err := s.Policy()
			require.NoError(t, err)
			res, err := sim.Simulate(context.Background(), p, s.Model(), engine.Options{}, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.status, res.Outcome.Status)
			assert.Equal(t, tc.reason, res.Outcome.Reason)
			assert.Equal(t, tc.metric, res.Outcome.Metric)
		})
	}
}

func TestDeterministicAndSeedDependent(t *testing.T) {
	run := func(seed uint64) *engine.Result {
		s, err := Load("latency-regression")
		require.NoError(t, err)
		s.Seed = seed
		p, err := s.Policy()
		require.NoError(t, err)
		res, err := sim.Simulate(context.Background(), p, s.Model(), engine.Options{}, nil)
		require.NoError(t, err)
		return res
	}
	a, b, c := run(3), run(3), run(4)
	assert.Equal(t, a, b, "same seed, same result")
	assert.NotEqual(t, a.Outcome.Seed, c.Outcome.Seed, "each rollout draws its own bucketing seed")
	assert.NotEqual(t, a.Outcome.Counters, c.Outcome.Counters)
}

func TestParseErrors(t *testing.T) {
	base := "name: x\nmetrics:\n  - key: m\n    kind: numeric\n    direction: lower_is_better\n    mean: 1\n    sd: 1\ntraffic:\n  rate_per_hour: 100\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown field has its line", "name: x\nrollout:\n  alpah: 0.05\n", `line 3: unknown field "alpah" in rollout (known fields: project_key,`},
		{"bad duration", "name: x\nrollout:\n  check_interval: 5 minutes\n", `line 3: rollout.check_interval: invalid duration "5 minutes"`},
		{"wrong type", "name: x\nseed: abc\n", "line 2"},
		{"missing name", "rollout: {}\n", "name: required"},
		{"bad alpha", base + "rollout:\n  alpha: 0.9\n", "rollout: alpha 0.9"},
		{"bad kind", "name: x\nmetrics:\n  - key: m\n    kind: count\n    direction: lower_is_better\n", `kind "count" must be binary, numeric, percentile or ratio`},
		{"bad direction", "name: x\nmetrics:\n  - key: m\n    kind: binary\n    direction: up\n", `direction "up"`},
		{"no metrics", "name: x\ntraffic:\n  rate_per_hour: 1\n", "at least one metric"},
		{"bad step", base + "rollout:\n  steps:\n    - {percent: 80, duration: 1h}\n", "step 1: percent 80"},
		{"negative rate", "name: x\nmetrics:\n  - key: m\n    kind: binary\n    direction: higher_is_better\n    rate: 0.1\ntraffic:\n  rate_per_hour: -5\n", "traffic.rate_per_hour -5"},
		{"bad on_insufficient", base + "rollout:\n  on_insufficient: wait\n", "on_insufficient"},
		{"bad distribution", "name: x\nmetrics:\n  - key: m\n    kind: numeric\n    direction: lower_is_better\n    distribution: weibull\ntraffic:\n  rate_per_hour: 1\n", `distribution "weibull"`},
		{"two documents", base + "---\nname: y\n", "more than one YAML document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "test.yaml")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadFromFileAndUnknown(t *testing.T) {
	data, err := Builtin("aa-no-effect")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "mine.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	s, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, path, s.Source)

	_, err = Load("no-such-scenario")
	assert.ErrorContains(t, err, "built-ins: aa-no-effect")
	_, err = Load(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorContains(t, err, "does not exist")
}

func TestPolicyAndModelMapping(t *testing.T) {
	y := `name: m
seed: 9
start: 2026-03-01T00:00:00Z
rollout:
  flag_key: f
  seed: 42
  steps:
    - {percent: 2, duration: 6h}
    - {percent: 20, control_percent: 10, duration: 2d}
  check_interval: 30m
  min_contexts: 0
  extension: 3h
  on_insufficient: hold
  alpha: 0.01
  nstar: 1000
  srm_rollback: false
traffic: {rate_per_hour: 50, population: 10}
metrics:
  - {key: a, kind: numeric, aggregation: sum, direction: higher_is_better, auto_rollback: false, mean: 1, sd: 2, regression: {effect: 0.5, start_step: 2}}
  - {key: b, kind: binary, direction: lower_is_better, rate: 0.2, min_contexts: 7}
`
	s, err := Parse([]byte(y), "m.yaml")
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	assert.Equal(t, int64(42), p.Seed)
	assert.Equal(t, 48*time.Hour, p.Steps[1].Duration)
	assert.Equal(t, 10.0, p.Steps[1].Control())
	assert.Equal(t, 30*time.Minute, p.CheckInterval)
	assert.Equal(t, 0, p.MinContexts)
	assert.Equal(t, engine.HoldOnInsufficient, p.OnInsufficient)
	assert.True(t, p.NoSRMRollback)
	assert.Equal(t, engine.Sum, p.Metrics[0].Aggregation)
	assert.True(t, p.Metrics[0].NoAutoRollback)
	assert.Equal(t, 7, p.Metrics[1].MinContexts)
	m := s.Model()
	assert.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), m.Start)
	assert.Equal(t, 6*time.Hour+3*time.Hour+48*time.Hour+3*time.Hour, m.Horizon, "steps plus one extension each")
	assert.Equal(t, 2, m.Metrics[0].EffectStep)
	assert.True(t, m.Metrics[1].Binary)
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90m": 90 * time.Minute, "2d": 48 * time.Hour, "1.5d": 36 * time.Hour, "36h": 36 * time.Hour} {
		got, err := ParseDuration(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "xd", "5 minutes", "NaNd"} {
		_, err := ParseDuration(bad)
		assert.Error(t, err, bad)
	}
}

// FuzzParse: arbitrary YAML never panics; it parses into a valid scenario
// or returns an error naming the file.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		data, _ := Builtin(n)
		f.Add(data)
	}
	f.Add([]byte("name: x\nrollout:\n  steps: [{percent: 1, duration: 1h}]\n"))
	f.Add([]byte("{]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			assert.Contains(t, err.Error(), "fuzz.yaml")
			return
		}
		p, err := s.Policy()
		require.NoError(t, err)
		require.NoError(t, p.Validate())
		m := s.Model()
		require.NoError(t, m.Validate())
	})
}

func TestRolloutFileNeedsNoSimulation(t *testing.T) {
	y := "name: checkout\nrollout:\n  flag_key: new-checkout\n  alpha: 0.01\nmetrics:\n  - {key: latency_ms, kind: numeric, direction: lower_is_better}\n"
	path := filepath.Join(t.TempDir(), "rollout.yaml")
	require.NoError(t, os.WriteFile(path, []byte(y), 0o644))
	_, err := Load(path)
	assert.ErrorContains(t, err, "rate_per_hour", "as a scenario it lacks traffic")
	s, err := LoadRollout(path)
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	assert.Equal(t, "new-checkout", p.FlagKey)
	assert.Equal(t, 0.01, p.Alpha)
	_, err = ParseRollout([]byte("name: x\nrollout:\n  alpha: 2\nmetrics:\n  - {key: m, kind: binary, direction: up}\n"), "r.yaml")
	assert.ErrorContains(t, err, "r.yaml")
	s, err = LoadRollout("latency-regression")
	require.NoError(t, err, "a built-in scenario is a rollout file too")
	assert.Equal(t, "latency-regression", s.Name)
}

// rollout.seed 0 would give every such simulation the same split: refused.
func TestZeroRolloutSeedIsRefused(t *testing.T) {
	s, err := Load("aa-no-effect")
	require.NoError(t, err)
	zero := int64(0)
	s.Rollout.Seed = &zero
	assert.ErrorContains(t, s.Validate(), "rollout.seed: 0 is not a bucketing seed")
	seven := int64(7)
	s.Rollout.Seed = &seven
	require.NoError(t, s.Validate())
	assert.Equal(t, int64(7), s.BucketSeed())
}
