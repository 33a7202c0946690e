package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// scripted is a detector that records what it saw and answers a fixed verdict
// from a given check on.
type scripted struct {
	seen    []engine.DetectorInput
	from    int
	verdict engine.VerdictKind
}

func (s *scripted) Check(in *engine.DetectorInput) engine.Verdict {
	cp := *in
	cp.Strata = append(cp.Strata[:0:0], in.Strata...)
	s.seen = append(s.seen, cp)
	if len(s.seen) >= s.from {
		return engine.Verdict{Kind: s.verdict, Score: float64(len(s.seen)), Note: "scripted"}
	}
	return engine.Verdict{Kind: engine.VerdictPass, Note: "scripted pass"}
}

type scriptedFactory struct{ d *scripted }

func (f scriptedFactory) Name() string { return "scripted" }
func (f scriptedFactory) NewDetectors(engine.Policy) ([]engine.Detector, error) {
	return []engine.Detector{f.d}, nil
}

func TestDetectorDrivesTheDecision(t *testing.T) {
	var s stream
	s.arms(30*time.Minute, "a", 40, func(engine.Variation, int) float64 { return 1 })
	s.arms(150*time.Minute, "b", 40, func(engine.Variation, int) float64 { return 1 })
	d := &scripted{from: 3, verdict: engine.VerdictRegression}
	p := basePolicy()
	p.Detector = scriptedFactory{d}
	res, err := engine.Run(context.Background(), &engine.SliceSource{Events: s.evs}, p, engine.Options{Start: t0}, t0.Add(5*time.Hour))
	require.NoError(t, err)

	// The third check (3h) rolls back on the scripted regression.
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason)
	assert.Equal(t, 3*time.Hour, res.Outcome.Elapsed)
	require.Len(t, d.seen, 3, "the start row is not a check")
	for i, in := range d.seen {
		assert.Equal(t, time.Duration(i+1)*time.Hour, in.Elapsed)
		assert.Equal(t, 0, in.Step)
		assert.False(t, in.StepEnded)
		assert.Equal(t, "latency", in.Metric.Key)
	}
	// The detector sees the per-step, per-arm moments: 40 contexts per arm
	// after the first batch, 80 after the second.
	assert.Equal(t, 40.0, d.seen[0].Strata[0].A.N)
	assert.Equal(t, 40.0, d.seen[0].Strata[0].B.N)
	assert.Equal(t, 80.0, d.seen[2].Strata[0].B.N)
	// A non-default detector's verdict is in the timeline.
	last := res.Timeline[len(res.Timeline)-1].Metrics[0]
	require.NotNil(t, last.Detail)
	assert.Equal(t, engine.VerdictRegression, last.Detail.Verdict)
	assert.Equal(t, 3.0, last.Detail.Score)
	assert.Equal(t, "scripted", last.Detail.Note)
	assert.True(t, last.Regressed)
}

func TestDefaultDetectorKeepsTheTimelineFormat(t *testing.T) {
	var s stream
	s.arms(30*time.Minute, "a", 40, func(v engine.Variation, i int) float64 { return 10 + noise(i) })
	res, err := engine.Run(context.Background(), &engine.SliceSource{Events: s.evs}, basePolicy(), engine.Options{Start: t0}, t0.Add(2*time.Hour))
	require.NoError(t, err)
	for _, c := range res.Timeline {
		for _, m := range c.Metrics {
			assert.Nil(t, m.Detail)
		}
	}
	assert.Equal(t, "confidence-sequence", res.Policy.DetectorFactory().Name())
	// After the first check the default detector has an estimate.
	assert.True(t, res.Timeline[1].Metrics[0].Ready)
	assert.Equal(t, engine.VerdictPass, res.Timeline[1].Metrics[0].Verdict)
}
