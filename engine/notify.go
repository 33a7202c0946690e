package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AlertKind is the kind of notification the engine sends.
type AlertKind string

// Alert events (PagerDuty alert events: trigger and resolve), the two
// event types of LaunchDarkly's guarded-rollout PagerDuty integration.
const (
	// AlertRegression: a regression was detected on a metric (PagerDuty
	// trigger; LaunchDarkly's "measured rollout regression detected").
	AlertRegression AlertKind = "regression_detected"
	// AlertReverted: the rollout was reverted (PagerDuty resolve;
	// LaunchDarkly's "measured rollout reverted"). Sent on every revert,
	// whatever its reason, and when a halting regression is dismissed.
	AlertReverted AlertKind = "rollout_reverted"
)

// Change events (PagerDuty change events: no incident, no page), sent only
// when the policy's AlertPolicy.ChangeEvents is set.
const (
	ChangeStarted    AlertKind = "rollout_started"
	ChangeAdvanced   AlertKind = "step_advanced"
	ChangeCompleted  AlertKind = "rollout_completed"
	ChangeRolledBack AlertKind = "rollout_rolled_back"
)

// AlertKinds lists the alert event kinds an AlertPolicy.Events filter may
// name; ChangeKinds the change event kinds.
var (
	AlertKinds  = []AlertKind{AlertRegression, AlertReverted}
	ChangeKinds = []AlertKind{ChangeStarted, ChangeAdvanced, ChangeCompleted, ChangeRolledBack}
)

// IsChange reports whether k is a change event kind.
func (k AlertKind) IsChange() bool { return slices.Contains(ChangeKinds, k) }

// launchDarklyEventNames are the names of LaunchDarkly's integration
// event filter (manifest formVariables.eventFilter), accepted as aliases.
var launchDarklyEventNames = map[string]AlertKind{
	"measured-rollout-regression": AlertRegression,
	"measured-rollout-reverted":   AlertReverted,
}

// ParseAlertKind reads an events-filter entry: regression_detected or
// rollout_reverted, or LaunchDarkly's measured-rollout-regression and
// measured-rollout-reverted.
func ParseAlertKind(s string) (AlertKind, error) {
	s = strings.TrimSpace(s)
	if k, ok := launchDarklyEventNames[s]; ok {
		return k, nil
	}
	if k := AlertKind(s); slices.Contains(AlertKinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown alert event %q (want regression_detected or rollout_reverted, or LaunchDarkly's measured-rollout-regression or measured-rollout-reverted)", s)
}

// AlertPolicy says what the rollout's notifications carry and which are
// sent: the fields of LaunchDarkly's guarded-rollout PagerDuty template
// (flag name, source, tags) and its event filter, plus optional change
// events. The zero value sends both alert events, no change events.
type AlertPolicy struct {
	// FlagName is the flag's human name in the summary "Regression
	// detected for measured rollout on flag <FlagName>" (default FlagKey).
	FlagName string `json:"flag_name,omitempty"`
	// Source is PagerDuty's payload.source (default: the notifier's own,
	// "guardsim"; LaunchDarkly sends "app.launchdarkly.com").
	Source string `json:"source,omitempty"`
	// Tags go to custom_details.tags (LaunchDarkly: the flag's tags).
	Tags []string `json:"tags,omitempty"`
	// Events is the event filter: nil sends every alert event
	// (LaunchDarkly's default, both selected); a non-nil list sends only
	// those listed (empty: no alert events at all).
	Events []AlertKind `json:"events"`
	// ChangeEvents sends PagerDuty change events on rollout start, step
	// advance, completion and rollback.
	ChangeEvents bool `json:"change_events,omitempty"`
}

// Sends reports whether the policy sends alerts of kind k.
func (p *AlertPolicy) Sends(k AlertKind) bool {
	if k.IsChange() {
		return p != nil && p.ChangeEvents
	}
	if p == nil || p.Events == nil {
		return true
	}
	return slices.Contains(p.Events, k)
}

// Validate checks the alert policy, naming the offending field.
func (p *AlertPolicy) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	for i, k := range p.Events {
		if !slices.Contains(AlertKinds, k) {
			errs = append(errs, fmt.Errorf("alerts.events[%d] %q is not an alert event (want regression_detected or rollout_reverted)", i, k))
		}
	}
	for i, t := range p.Tags {
		if strings.TrimSpace(t) == "" {
			errs = append(errs, fmt.Errorf("alerts.tags[%d] must not be blank", i))
		}
	}
	return errors.Join(errs...)
}

// Alert is a notification about a rollout: an alert event (regression,
// revert) or a change event.
type Alert struct {
	Kind AlertKind `json:"kind"`
	// Time is the rollout's (virtual) time of the decision; with the kind
	// and dedup key it identifies the alert across restarts.
	Time time.Time `json:"time"`
	// WallTime, when set, is the wall-clock time of the decision (live
	// mode): notifiers stamp it on the wire instead of Time.
	WallTime       time.Time `json:"wall_time,omitzero"`
	ProjectKey     string    `json:"project_key"`
	EnvironmentKey string    `json:"environment_key"`
	FlagKey        string    `json:"flag_key"`
	// FlagName is the flag's name for summaries (FlagKey when unset).
	FlagName string `json:"flag_name,omitempty"`
	// Source and Tags, when set, override the notifier's own.
	Source string   `json:"source,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// Metric is the regressed metric (regression alerts).
	Metric string `json:"metric,omitempty"`
	// Reason is the rollback reason (reverted alerts).
	Reason  Reason  `json:"reason,omitempty"`
	Summary string  `json:"summary"`
	Step    int     `json:"step"`
	Percent float64 `json:"percent"`
	// Estimate, Lower and Upper describe the regressed metric.
	Estimate float64 `json:"estimate"`
	Lower    float64 `json:"lower"`
	Upper    float64 `json:"upper"`
}

// DedupKey is the incident key shared by an alert's trigger and resolve:
// projKey:envKey:flagKey, as LaunchDarkly's integration uses.
func (a Alert) DedupKey() string {
	return a.ProjectKey + ":" + a.EnvironmentKey + ":" + a.FlagKey
}

// Name is FlagName, or FlagKey when the flag has no name.
func (a Alert) Name() string {
	if a.FlagName != "" {
		return a.FlagName
	}
	return a.FlagKey
}

// WireTime is the time to stamp on the wire: WallTime when set, else Time.
func (a Alert) WireTime() time.Time {
	if !a.WallTime.IsZero() {
		return a.WallTime
	}
	return a.Time
}

// RegressionSummary is LaunchDarkly's trigger summary for flag name.
func RegressionSummary(flagName string) string {
	return "Regression detected for measured rollout on flag " + flagName
}

// AlertRecord is an alert and what became of it.
type AlertRecord struct {
	Alert Alert `json:"alert"`
	// Delivered is true when the notifier accepted the alert.
	Delivered bool `json:"delivered"`
	// Error is the delivery error after the notifier's own retries.
	Error string `json:"error,omitempty"`
}

// Notifier receives the rollout's alerts. Implementations do I/O, retry on
// their own, and return an error only when the alert could not be delivered.
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// NotifierFunc adapts a function to the Notifier interface.
type NotifierFunc func(ctx context.Context, a Alert) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, a Alert) error { return f(ctx, a) }

// alertRegression sends the trigger of a regression on metric.
func (r *Rollout) alertRegression(ctx context.Context, t int64, c Check, metric string) {
	var mc MetricCheck
	for _, x := range c.Metrics {
		if x.Key == metric {
			mc = x
		}
	}
	a := r.alert(AlertRegression, t)
	a.Metric = metric
	a.Estimate, a.Lower, a.Upper = mc.Estimate, mc.Lower, mc.Upper
	a.Summary = RegressionSummary(a.Name())
	r.send(ctx, a)
	r.triggered = true
}

// alertReverted sends the resolve of a revert (every rollback, whatever
// its reason, as LaunchDarkly's "measured rollout reverted"; a dismissed
// halt).
func (r *Rollout) alertReverted(ctx context.Context, t int64, c Check) {
	a := r.alert(AlertReverted, t)
	a.Reason = c.Reason
	a.Metric = c.Metric
	a.Summary = fmt.Sprintf("Measured rollout reverted on flag %s (%s)", a.Name(), c.Reason)
	r.send(ctx, a)
	r.triggered = false
}

// change sends change event k when the policy asks for change events.
func (r *Rollout) change(ctx context.Context, k AlertKind, t int64, reason Reason) {
	if !r.pol.Alerts.Sends(k) {
		return
	}
	a := r.alert(k, t)
	a.Reason = reason
	switch k {
	case ChangeStarted:
		a.Summary = fmt.Sprintf("Guarded rollout started on flag %s: step 1 at %g%%", a.Name(), a.Percent)
	case ChangeAdvanced:
		a.Summary = fmt.Sprintf("Guarded rollout on flag %s advanced to step %d at %g%%", a.Name(), a.Step, a.Percent)
	case ChangeCompleted:
		a.Step, a.Percent = r.nsteps+1, 100
		a.Summary = fmt.Sprintf("Guarded rollout on flag %s completed: rolled forward to 100%%", a.Name())
	case ChangeRolledBack:
		a.Summary = fmt.Sprintf("Guarded rollout on flag %s rolled back at step %d (%g%%): %s", a.Name(), a.Step, a.Percent, reason)
	}
	r.send(ctx, a)
}

func (r *Rollout) alert(k AlertKind, t int64) Alert {
	a := Alert{
		Kind:           k,
		Time:           time.Unix(0, t).UTC(),
		ProjectKey:     r.pol.ProjectKey,
		EnvironmentKey: r.pol.EnvironmentKey,
		FlagKey:        r.pol.FlagKey,
		Step:           r.step + 1,
		Percent:        r.pol.Steps[r.step].Percent,
	}
	if ap := r.pol.Alerts; ap != nil {
		a.FlagName, a.Source = ap.FlagName, ap.Source
		a.Tags = append([]string(nil), ap.Tags...)
	}
	return a
}

// send delivers a unless the policy's event filter drops its kind.
func (r *Rollout) send(ctx context.Context, a Alert) {
	if r.notifier == nil || !r.pol.Alerts.Sends(a.Kind) {
		return
	}
	rec := AlertRecord{Alert: a, Delivered: true}
	if err := r.notifier.Notify(ctx, a); err != nil {
		rec.Delivered = false
		rec.Error = err.Error()
	}
	r.outcome.Alerts = append(r.outcome.Alerts, rec)
}

// flushStart sends the pending start change event (see begin).
func (r *Rollout) flushStart(ctx context.Context) {
	if !r.startPending {
		return
	}
	r.startPending = false
	r.change(ctx, ChangeStarted, r.start, ReasonNone)
	r.updateNextEval()
}
