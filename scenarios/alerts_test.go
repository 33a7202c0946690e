package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

const alertsBase = "name: x\nmetrics:\n  - key: m\n    kind: binary\n    direction: lower_is_better\n"

func TestAlertsSection(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want *engine.AlertPolicy
	}{
		{"absent", "", nil},
		{"LaunchDarkly template fields", "alerts:\n  flag_name: New checkout\n  source: app.launchdarkly.com\n  tags: [team:payments, tier1]\n",
			&engine.AlertPolicy{FlagName: "New checkout", Source: "app.launchdarkly.com", Tags: []string{"team:payments", "tier1"}}},
		{"events filter, LaunchDarkly names", "alerts:\n  events: [measured-rollout-reverted]\n",
			&engine.AlertPolicy{Events: []engine.AlertKind{engine.AlertReverted}}},
		{"events filter, guardsim names", "alerts:\n  events: [regression_detected, rollout_reverted]\n",
			&engine.AlertPolicy{Events: []engine.AlertKind{engine.AlertRegression, engine.AlertReverted}}},
		{"empty events: none", "alerts:\n  events: []\n  change_events: true\n",
			&engine.AlertPolicy{Events: []engine.AlertKind{}, ChangeEvents: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseRollout([]byte(alertsBase+tc.yaml), "f.yaml")
			require.NoError(t, err)
			p, err := s.Policy()
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Alerts)
		})
	}
}

func TestAlertsSectionErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "alerts:\n  sorce: x\n", `line 7: unknown field "sorce" in alerts (known fields: flag_name, source, tags, events, change_events)`},
		{"bool", "alerts:\n  change_events: sometimes\n", `line 7: alerts.change_events: want true or false, got text "sometimes"`},
		{"tags not a list", "alerts:\n  tags: 5\n", `line 7: alerts.tags: want a list`},
		{"unknown event", "alerts:\n  events: [regression_detected, paged]\n", `alerts.events[1]: unknown alert event "paged"`},
		{"change kind as event", "alerts:\n  events: [rollout_started]\n", `alerts.events[0]: unknown alert event "rollout_started"`},
		{"duplicate event", "alerts:\n  events: [rollout_reverted, measured-rollout-reverted]\n", `alerts.events[1]: rollout_reverted is listed twice`},
		{"blank tag", "alerts:\n  tags: [a, \" \"]\n", `alerts.tags[1] must not be blank`},
		{"blank flag name", "alerts:\n  flag_name: \"  \"\n", `alerts.flag_name must not be blank`},
		{"blank source", "alerts:\n  source: \" \"\n", `alerts.source must not be blank`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRollout([]byte(alertsBase+tc.yaml), "f.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "f.yaml: ")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
