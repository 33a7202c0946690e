package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"github.com/guardsim/guardsim/engine"
)

// Alerts is the alerts section of a scenario or rollout file: the fields
// of LaunchDarkly's guarded-rollout PagerDuty template, its event filter,
// and optional PagerDuty change events (see docs/SCENARIOS.md).
type Alerts struct {
	// FlagName is the flag's name in the trigger summary "Regression
	// detected for measured rollout on flag <flag_name>" (default: the
	// rollout's flag_key).
	FlagName string `yaml:"flag_name"`
	// Source is payload.source (default guardsim; LaunchDarkly sends
	// app.launchdarkly.com).
	Source string `yaml:"source"`
	// Tags go to custom_details.tags (LaunchDarkly: the flag's tags).
	Tags []string `yaml:"tags"`
	// Events filters the alert events: regression_detected and
	// rollout_reverted (or LaunchDarkly's measured-rollout-regression and
	// measured-rollout-reverted); omitted: both, as LaunchDarkly's default.
	Events []string `yaml:"events"`
	// ChangeEvents sends PagerDuty change events on rollout start, step
	// advance, completion and rollback.
	ChangeEvents bool `yaml:"change_events"`
}

// alertPolicy converts the section (nil when absent) into the engine's
// AlertPolicy; errors name the field.
func (a *Alerts) alertPolicy() (*engine.AlertPolicy, error) {
	if a == nil {
		return nil, nil
	}
	ap := &engine.AlertPolicy{FlagName: strings.TrimSpace(a.FlagName), Source: strings.TrimSpace(a.Source), ChangeEvents: a.ChangeEvents}
	var errs []error
	if a.FlagName != "" && ap.FlagName == "" {
		errs = append(errs, errors.New("alerts.flag_name must not be blank"))
	}
	if a.Source != "" && ap.Source == "" {
		errs = append(errs, errors.New("alerts.source must not be blank"))
	}
	for i, t := range a.Tags {
		t = strings.TrimSpace(t)
		if t == "" {
			errs = append(errs, fmt.Errorf("alerts.tags[%d] must not be blank", i))
		}
		ap.Tags = append(ap.Tags, t)
	}
	if a.Events != nil {
		ap.Events = []engine.AlertKind{}
		seen := map[engine.AlertKind]bool{}
		for i, e := range a.Events {
			k, err := engine.ParseAlertKind(e)
			if err != nil {
				errs = append(errs, fmt.Errorf("alerts.events[%d]: %w", i, err))
				continue
			}
			if seen[k] {
				errs = append(errs, fmt.Errorf("alerts.events[%d]: %s is listed twice", i, k))
				continue
			}
			seen[k] = true
			ap.Events = append(ap.Events, k)
		}
	}
	return ap, errors.Join(errs...)
}
