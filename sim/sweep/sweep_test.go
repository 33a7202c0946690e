package sweep

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/scenarios"
)

func TestParseGrid(t *testing.T) {
	good := []struct {
		in    string
		want  []GridParam
		cells int
	}{
		{"alpha=0.01,0.05;nstar=1000,5000;effect=0,0.01,0.02", []GridParam{
			{"alpha", []float64{0.01, 0.05}}, {"nstar", []float64{1000, 5000}}, {"effect", []float64{0, 0.01, 0.02}},
		}, 12},
		{" effect = -0.02 , 0 ; ", []GridParam{{"effect", []float64{-0.02, 0}}}, 2},
		{"min_contexts=0,100;check_interval=0.5,1;step_hours=12;min_per_arm=2,30", []GridParam{
			{"min_contexts", []float64{0, 100}}, {"check_interval", []float64{0.5, 1}}, {"step_hours", []float64{12}}, {"min_per_arm", []float64{2, 30}},
		}, 8},
		{"nstar=1e4", []GridParam{{"nstar", []float64{10000}}}, 1},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			g, err := ParseGrid(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, g.Params)
			assert.Len(t, g.Cells(), tc.cells)
			g2, err := ParseGrid(g.String())
			require.NoError(t, err)
			assert.Equal(t, g, g2, "String round-trips")
		})
	}
	bad := []struct{ in, mention string }{
		{"", "empty"},
		{"alpha", `"alpha"`},
		{"alpha=0.05;;effect=0", "part 2 is empty"},
		{"beta=1", `unknown parameter "beta"`},
		{"alpha=0.05;alpha=0.01", "given twice"},
		{"alpha=", "empty value"},
		{"alpha=0.05,,0.01", "empty value"},
		{"alpha=abc", `"abc" is not a finite number`},
		{"effect=NaN", "not a finite number"},
		{"effect=Inf", "not a finite number"},
		{"alpha=0.5", "must be in (0, 0.5)"},
		{"alpha=0", "must be in (0, 0.5)"},
		{"nstar=-1", "must be positive"},
		{"min_contexts=1.5", "must be an integer"},
		{"min_contexts=-1", "must not be negative"},
		{"min_per_arm=1", "at least 2"},
		{"check_interval=0", "positive number of hours"},
		{"step_hours=-24", "positive number of hours"},
		{"step_hours=3e6", "at most 2562047"},
		{"check_interval=1e300", "at most 2562047"},
		{"effect=0,0", "repeated"},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.in, func(t *testing.T) {
			_, err := ParseGrid(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrGrid)
			assert.Contains(t, err.Error(), tc.mention)
		})
	}
}

func TestCellsOrderAndLabels(t *testing.T) {
	g, err := ParseGrid("alpha=0.01,0.05;effect=0,1;nstar=5000")
	require.NoError(t, err)
	cells := g.Cells()
	require.Len(t, cells, 4)
	assert.Equal(t, []Param{{Name: "alpha", Value: 0.01}, {Name: "effect", Value: 0}, {Name: "nstar", Value: 5000}}, cells[0])
	assert.Equal(t, []Param{{Name: "alpha", Value: 0.01}, {Name: "effect", Value: 1}, {Name: "nstar", Value: 5000}}, cells[1])
	assert.Equal(t, []Param{{Name: "alpha", Value: 0.05}, {Name: "effect", Value: 0}, {Name: "nstar", Value: 5000}}, cells[2])
	assert.Equal(t, "alpha=0.01 nstar=5000", PolicyLabel(cells[1]))
	assert.Equal(t, "scenario policy", PolicyLabel([]Param{{Name: "effect", Value: 1}}))
}

func loadScenario(t testing.TB, name string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	return s
}

// scenarioConfig is the sweep configuration of a scenario's policy and model.
func scenarioConfig(t testing.TB, s *scenarios.Scenario) Config {
	t.Helper()
	p, err := s.Policy()
	require.NoError(t, err)
	return Config{Name: s.Name, Policy: p, Model: s.Model(), FixedHorizon: s.Horizon != 0}
}

// loadConfig is scenarioConfig of a built-in scenario or scenario file.
func loadConfig(t testing.TB, name string) Config {
	t.Helper()
	return scenarioConfig(t, loadScenario(t, name))
}

// TestApply checks that each parameter lands in the policy or the model.
func TestApply(t *testing.T) {
	base := loadConfig(t, "latency-regression")
	cfg := base
	cfg.Metric, cfg.Fidelity = "checkout_conversion", Aggregate
	g, err := ParseGrid("alpha=0.02;nstar=800;effect=-0.01;min_contexts=7;check_interval=2;step_hours=12;min_per_arm=9")
	require.NoError(t, err)
	cells, err := plan(cfg, g)
	require.NoError(t, err)
	require.Len(t, cells, 1)
	c := cells[0]
	assert.Equal(t, 0.02, c.pol.Alpha)
	assert.Equal(t, 800.0, c.pol.NStar)
	assert.Equal(t, 7, c.pol.MinContexts)
	assert.Equal(t, 2*time.Hour, c.pol.CheckInterval)
	assert.Equal(t, 9, c.pol.MinPerArm)
	for _, st := range c.pol.Steps {
		assert.Equal(t, 12*time.Hour, st.Duration)
	}
	assert.Equal(t, 5*2*12*time.Hour, c.model.Horizon, "default horizon follows the step duration")
	assert.Equal(t, -0.01, c.model.Metrics[1].Effect)
	assert.Equal(t, 12.0, c.model.Metrics[0].Effect, "other metrics keep the scenario's regression")
	assert.Equal(t, 3, c.model.Metrics[0].EffectStep)
	assert.True(t, c.model.AnalysedOnly)
	assert.Equal(t, -0.01, c.effect)

	cfg.Metric = "nope"
	_, err = plan(cfg, g)
	assert.ErrorContains(t, err, `metric "nope" is not in the scenario`)
	// An effect the model rejects (conversion rate + effect < 0).
	g2, _ := ParseGrid("effect=-0.5")
	cfg.Metric = "checkout_conversion"
	_, err = plan(cfg, g2)
	assert.ErrorContains(t, err, "effect=-0.5")
}

func TestDefaultGrid(t *testing.T) {
	for _, name := range scenarios.Names() {
		cfg := loadConfig(t, name)
		spec, err := DefaultGrid(cfg)
		require.NoError(t, err, name)
		g, err := ParseGrid(spec)
		require.NoError(t, err, "%s: %s", name, spec)
		require.True(t, g.Has(ParamEffect))
		_, err = plan(cfg, g)
		require.NoError(t, err, "%s: %s", name, spec)
	}
	spec, err := DefaultGrid(loadConfig(t, "conversion-regression"))
	require.NoError(t, err)
	assert.Contains(t, spec, "effect=0,-", "harmful side of a higher-is-better metric")
}

func quickConfig(t testing.TB, fid Fidelity, reps, workers int) Config {
	cfg := loadConfig(t, "testdata/fidelity.yaml")
	cfg.Grid = "alpha=0.01,0.05;effect=0,5"
	cfg.Reps, cfg.Seed, cfg.Fidelity, cfg.Workers = reps, 42, fid, workers
	return cfg
}

// TestDeterminism: the same seed gives the same result for any number of
// workers, and another seed a different one.
func TestDeterminism(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		fid  Fidelity
		reps int
	}{{Aggregate, 600}, {EventLevel, 6}}
	for _, tc := range cases {
		t.Run(string(tc.fid), func(t *testing.T) {
			r1, err := Run(ctx, quickConfig(t, tc.fid, tc.reps, 1))
			require.NoError(t, err)
			cfg := quickConfig(t, tc.fid, tc.reps, 2)
			var calls, last, total int
			cfg.Progress = func(done, tot int) {
				calls++
				assert.Greater(t, done, last, "progress never goes back")
				last, total = done, tot
			}
			r2, err := Run(ctx, cfg)
			require.NoError(t, err)
			assert.Equal(t, 4*tc.reps, total, "total is cells × reps")
			assert.Equal(t, total, last, "the last call reports every rollout done")
			assert.Positive(t, calls)
			r3, err := Run(ctx, quickConfig(t, tc.fid, tc.reps, 3))
			require.NoError(t, err)
			assert.Equal(t, r1, r2, "workers 1 vs 2")
			assert.Equal(t, r1, r3, "workers 1 vs 3")
			require.Len(t, r1.Cells, 4)
			assert.Equal(t, "alpha=0.01", r1.Cells[0].Policy)
			assert.Equal(t, 0.05, r1.Cells[3].Alpha)
			assert.Equal(t, 5.0, r1.Cells[3].Effect)
			cfg = quickConfig(t, tc.fid, tc.reps, 2)
			cfg.Seed = 43
			r4, err := Run(ctx, cfg)
			require.NoError(t, err)
			assert.NotEqual(t, r1.Cells, r4.Cells, "another seed")
		})
	}
}

// checkCell asserts the internal consistency of a cell.
func checkCell(t *testing.T, c Cell) {
	t.Helper()
	assert.InDelta(t, float64(c.Detections)/float64(c.Reps), c.Rate, 1e-12)
	assert.LessOrEqual(t, c.RateLo, c.Rate, "Wilson interval contains the rate")
	assert.GreaterOrEqual(t, c.RateHi, c.Rate, "Wilson interval contains the rate")
	lo, hi := stats.Wilson(c.Detections, c.Reps, stats.Z95)
	assert.Equal(t, lo, c.RateLo)
	assert.Equal(t, hi, c.RateHi)
	assert.LessOrEqual(t, c.Rate+c.SRMShare+c.InsufficientShare+c.CompletedShare, 1+1e-12)
	if c.Detections > 0 {
		assert.Positive(t, c.DetectMedian)
		assert.GreaterOrEqual(t, c.DetectP90, c.DetectMedian)
	} else {
		assert.Zero(t, c.DetectMedian)
	}
}

// TestAggregateFPR: A/A sweeps of a one-metric scenario in aggregate mode
// keep the false-positive rate at α = 0.05 within α + 3 SE.
func TestAggregateFPR(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 8000 aggregate rollouts")
	}
	s := loadScenario(t, "testdata/fidelity.yaml")
	s.Metrics = s.Metrics[:1]
	cfg := scenarioConfig(t, s)
	cfg.Grid, cfg.Reps, cfg.Seed = "alpha=0.01,0.05;effect=0", 4000, 11
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	for _, c := range res.Cells {
		checkCell(t, c)
		se := math.Sqrt(c.Alpha * (1 - c.Alpha) / float64(c.Reps))
		t.Logf("alpha %g: FPR %.4f [%.4f, %.4f], bound %.4f", c.Alpha, c.Rate, c.RateLo, c.RateHi, c.Alpha+3*se)
		assert.LessOrEqual(t, c.Rate, c.Alpha+3*se)
		assert.GreaterOrEqual(t, c.CompletedShare, 1-c.Alpha-3*se-0.01)
	}
}

// TestSRMFault: the aggregate simulator reproduces the srm-fault scenario's
// rollback on SRM.
func TestSRMFault(t *testing.T) {
	cfg := loadConfig(t, "srm-fault")
	cfg.Grid, cfg.Reps, cfg.Seed = "effect=0", 200, 1
	// Its returning contexts (population 200,000) need per-context
	// sampling, which does not model an SRM fault: refused.
	_, err := Run(context.Background(), cfg)
	require.ErrorContains(t, err, "does not model an SRM fault on returning contexts")
	cfg.Model.Traffic.Population = 0
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	c := res.Cells[0]
	checkCell(t, c)
	t.Logf("srm-fault: SRM share %.3f, new contexts %.0f", c.SRMShare, c.NewContextsMean)
	assert.GreaterOrEqual(t, c.SRMShare, 0.95)
	assert.Positive(t, c.NewContextsMean)
}

// TestLowTraffic: the aggregate simulator ends the low-traffic scenario on
// insufficient sample, as the engine does.
func TestLowTraffic(t *testing.T) {
	cfg := loadConfig(t, "low-traffic")
	cfg.Grid, cfg.Reps, cfg.Seed = "effect=0;min_contexts=100,0", 200, 1
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Cells[0].InsufficientShare, 0.95)
	assert.Zero(t, res.Cells[1].InsufficientShare, "no minimum, no insufficient sample")
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, fid := range []Fidelity{Aggregate, EventLevel} {
		_, err := Run(ctx, quickConfig(t, fid, 100, 2))
		assert.ErrorIs(t, err, context.Canceled, string(fid))
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	_, err := Run(ctx, Config{})
	assert.Error(t, err)
	cfg := quickConfig(t, "fast", 10, 1)
	_, err = Run(ctx, cfg)
	assert.ErrorContains(t, err, `fidelity "fast"`)
	cfg = quickConfig(t, Aggregate, 10, 1)
	cfg.Grid = "alpha=2"
	_, err = Run(ctx, cfg)
	assert.True(t, errors.Is(err, ErrGrid))
}

func TestAggregateRefusesScriptedActions(t *testing.T) {
	s, err := scenarios.Load("aa-no-effect")
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	p.Actions = []engine.Action{{At: time.Hour, Kind: engine.ActionPause}}
	_, err = Run(context.Background(), Config{Name: s.Name, Policy: p, Model: s.Model(), Grid: "effect=0", Reps: 2, Fidelity: Aggregate})
	assert.ErrorContains(t, err, "does not model scripted actions")
}
