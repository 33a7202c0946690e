package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

const actionsYAML = `
name: scripted
rollout:
  flag_key: scripted
  health:
    no_traffic: rollback
    no_traffic_after: 12h
    multiple_exposures: hold
    wrong_context_kind: "off"
  actions:
    - {at: 30h, action: pause}
    - {at: 40h, action: resume}
    - {at: 50h, action: dismiss, metric: latency_ms}
    - {at: 60h, action: rollback}
traffic: {rate_per_hour: 100}
metrics:
  - {key: latency_ms, kind: numeric, direction: lower_is_better, mean: 100, sd: 10}
`

func TestActionsAndHealthParse(t *testing.T) {
	s, err := Parse([]byte(actionsYAML), "scripted.yaml")
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	assert.Equal(t, []engine.Action{
		{At: 30 * time.Hour, Kind: engine.ActionPause},
		{At: 40 * time.Hour, Kind: engine.ActionResume},
		{At: 50 * time.Hour, Kind: engine.ActionDismiss, Metric: "latency_ms"},
		{At: 60 * time.Hour, Kind: engine.ActionRollback},
	}, p.Actions)
	h := p.HealthSettings()
	assert.Equal(t, engine.HealthRollback, h.NoTraffic)
	assert.Equal(t, 12*time.Hour, h.NoTrafficAfter)
	assert.Equal(t, engine.HealthHold, h.MultipleExposures)
	assert.Equal(t, engine.HealthOff, h.WrongKind)
	assert.Equal(t, engine.DefaultMultipleExposureShare, h.MultipleExposureShare)
}

func TestActionErrorsNameTheField(t *testing.T) {
	for bad, want := range map[string]string{
		"    - {at: 30h, action: explode}":              `rollout: actions[0].action "explode" must be rollback, dismiss, pause or resume`,
		"    - {at: 30h, action: dismiss, metric: foo}": `rollout: actions[0].metric "foo" is not a monitored metric`,
		"    - {at: 30h, action: pause, when: now}":     `line 4: unknown field "when" in rollout.actions[0]`,
	} {
		y := "name: x\nrollout:\n  actions:\n" + bad + "\ntraffic: {rate_per_hour: 1}\nmetrics:\n  - {key: m, kind: binary, direction: higher_is_better}\n"
		_, err := Parse([]byte(y), "x.yaml")
		assert.ErrorContains(t, err, want, bad)
	}
}
