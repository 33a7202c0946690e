package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine/schedule"
)

func overrideBase() Policy {
	return Policy{
		FlagKey: "f", Steps: schedule.Default(0), CheckInterval: time.Hour, MinContexts: 100,
		Alpha: 0.05, OverallAlpha: 0.1, NStar: 5000, Seed: 3,
		Metrics: []Metric{{Key: "m", Kind: Numeric}},
	}.WithDefaults()
}

func TestOverridesApply(t *testing.T) {
	base := overrideBase()
	alpha, nstar, minCtx := 0.01, 800.0, 7
	ci, ext := 2*time.Hour, 6*time.Hour
	hold := HoldOnInsufficient
	seed := int64(42)
	steps := []schedule.Step{{Percent: 5, Duration: 12 * time.Hour}, {Percent: 50, Duration: 72 * time.Hour}}
	o := Overrides{Alpha: &alpha, NStar: &nstar, MinContexts: &minCtx, CheckInterval: &ci, Steps: steps, Extension: &ext, OnInsufficient: &hold, Seed: &seed}
	p, err := o.Apply(base)
	require.NoError(t, err)
	assert.Equal(t, 0.01, p.Alpha)
	assert.Zero(t, p.OverallAlpha, "alpha clears overall_alpha")
	assert.Equal(t, 800.0, p.NStar)
	assert.Equal(t, 7, p.MinContexts)
	assert.Equal(t, 2*time.Hour, p.CheckInterval)
	assert.Equal(t, steps, p.Steps)
	assert.Equal(t, 6*time.Hour, p.Extension)
	assert.Equal(t, HoldOnInsufficient, p.OnInsufficient)
	assert.Equal(t, int64(42), p.Seed)
	assert.Equal(t, []string{"alpha=0.01", "nstar=800", "min_contexts=7", "check_interval=2h0m0s",
		"schedule=5:12h0m0s,50:72h0m0s", "extension=6h0m0s", "on_insufficient=hold", "bucket_seed=42"}, o.Strings())
	steps[0].Percent = 9
	assert.Equal(t, 5.0, p.Steps[0].Percent, "the policy keeps its own copy of the steps")

	// No overrides: the policy is unchanged.
	p, err = Overrides{}.Apply(base)
	require.NoError(t, err)
	assert.Equal(t, base, p)
	assert.True(t, Overrides{}.Empty())
}

func TestOverridesInvalid(t *testing.T) {
	bad := 0.7
	_, err := Overrides{Alpha: &bad}.Apply(overrideBase())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "after overrides (alpha=0.7)")
	_, err = Overrides{Steps: []schedule.Step{{Percent: 80, Duration: time.Hour}}}.Apply(overrideBase())
	assert.ErrorContains(t, err, "schedule=80:1h0m0s")
}

func TestParseInsufficientAction(t *testing.T) {
	a, err := ParseInsufficientAction("hold")
	require.NoError(t, err)
	assert.Equal(t, HoldOnInsufficient, a)
	a, err = ParseInsufficientAction("rollback")
	require.NoError(t, err)
	assert.Equal(t, RollbackOnInsufficient, a)
	_, err = ParseInsufficientAction("pause")
	assert.ErrorContains(t, err, "want rollback or hold")
}

func ExampleOverrides() {
	p := Policy{FlagKey: "checkout", Steps: schedule.Default(0), Metrics: []Metric{{Key: "latency_ms", Kind: Numeric}}}.WithDefaults()
	alpha := 0.01
	steps, _ := schedule.Parse("5:12h,50:2d")
	o := Overrides{Alpha: &alpha, Steps: steps}
	p, err := o.Apply(p)
	if err != nil {
		panic(err)
	}
	fmt.Println(o.Strings())
	fmt.Println(p.Alpha, len(p.Steps))
	// Output:
	// [alpha=0.01 schedule=5:12h0m0s,50:48h0m0s]
	// 0.01 2
}
