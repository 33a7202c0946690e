package engine_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
)

// TestStepLimit: a rollout with schedule.MaxSteps steps runs to completion
// with contexts exposed in its last steps; one more step is rejected.
func TestStepLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("32767 step ends, each evaluating every stratum")
	}
	p := basePolicy()
	p.MinContexts = 0
	p.Steps = make([]schedule.Step, schedule.MaxSteps)
	for i := range p.Steps {
		p.Steps[i] = schedule.Step{Percent: 10, Duration: time.Minute}
	}
	s := &stream{}
	for i := schedule.MaxSteps - 3; i < schedule.MaxSteps; i++ {
		at := time.Duration(i)*time.Minute + time.Second
		s.expose(at, "a"+itoa(i), engine.New)
		s.expose(at, "b"+itoa(i), engine.Original)
		s.metric(at+time.Second, "a"+itoa(i), 0, 1)
	}
	res, err := engine.Run(context.Background(), &engine.SliceSource{Events: s.evs}, p, engine.Options{Start: t0}, t0.Add(time.Duration(schedule.MaxSteps+1)*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, engine.StatusCompleted, res.Outcome.Status)
	assert.Equal(t, 3, res.Outcome.NewContexts)

	p.Steps = append(p.Steps, schedule.Step{Percent: 10, Duration: time.Minute})
	_, err = engine.NewRollout(p, engine.Options{Start: t0})
	require.ErrorContains(t, err, "schedule has 32768 steps; at most 32767 are supported")
}

// TestDurationOverflow: steps, extensions and check interval that together
// overflow int64 nanoseconds are rejected.
func TestDurationOverflow(t *testing.T) {
	p := basePolicy().WithDefaults()
	p.Steps = []schedule.Step{{Percent: 10, Duration: math.MaxInt64 / 4}, {Percent: 20, Duration: math.MaxInt64 / 4}}
	require.ErrorContains(t, p.Validate(), "int64-nanosecond clock", "the extensions double it")
	p.Extension = time.Hour
	require.NoError(t, p.Validate())
	p.CheckInterval = math.MaxInt64 / 2
	require.ErrorContains(t, p.Validate(), "int64-nanosecond clock")
	_, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.ErrorContains(t, err, "int64-nanosecond clock")
}
