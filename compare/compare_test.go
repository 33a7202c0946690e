package compare

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func TestParseSpecAndLabel(t *testing.T) {
	sp, err := ParseSpec(" flagger:threshold=3, limit=0.2")
	require.NoError(t, err)
	assert.Equal(t, "flagger", sp.Name)
	assert.Equal(t, map[string]string{"threshold": "3", "limit": "0.2"}, sp.Params)
	assert.Equal(t, "flagger(limit=0.2,threshold=3)", sp.Label())
	for _, bad := range []string{"", ":a=1", "argo:failure", "argo:a=1,a=2", "argo:=3"} {
		_, err := ParseSpec(bad)
		assert.Error(t, err, bad)
	}
}

func TestPoliciesAppliesEachSpec(t *testing.T) {
	base := engine.Policy{Metrics: []engine.Metric{{Key: "m"}}}
	ps, err := Policies(base, []Spec{{Name: "launchdarkly"}, {Name: "growthbook", Params: map[string]string{"min_sample": "10"}}})
	require.NoError(t, err)
	assert.Equal(t, "launchdarkly", ps[0].Name)
	assert.Equal(t, engine.RollbackOnInsufficient, ps[0].OnInsufficient)
	assert.Equal(t, engine.HoldOnInsufficient, ps[1].OnInsufficient)
	_, err = Policies(base, []Spec{{Name: "argo"}, {Name: "argo"}})
	assert.ErrorContains(t, err, "twice")
	_, err = Policies(base, nil)
	assert.Error(t, err)
}

func TestSummariseDetection(t *testing.T) {
	res := &engine.Result{
		Timeline: []engine.Check{
			{Elapsed: time.Hour, Metrics: []engine.MetricCheck{{Key: "m"}}, Decision: engine.DecisionContinue},
			{Elapsed: 2 * time.Hour, Metrics: []engine.MetricCheck{{Key: "m", Regressed: true}}, Decision: engine.DecisionContinue, Note: "counting"},
			{Elapsed: 3 * time.Hour, Metrics: []engine.MetricCheck{{Key: "m", Regressed: true}}, Decision: engine.DecisionRollback, Reason: engine.ReasonRegression, Note: "rolled back"},
		},
		Outcome: engine.Outcome{Status: engine.StatusRolledBack, Reason: engine.ReasonRegression, Elapsed: 3 * time.Hour, NewContexts: 42},
	}
	s := Summarise(Run{Label: "x", Result: res})
	require.NotNil(t, s.Detection)
	assert.Equal(t, 3*time.Hour, *s.Detection)
	require.NotNil(t, s.FirstRegressionVerdict)
	assert.Equal(t, 2*time.Hour, *s.FirstRegressionVerdict)
	assert.Equal(t, 42, s.NewContexts)
	assert.Equal(t, "rolled back", s.Note)
	assert.NotNil(t, s.Alerts)
}
