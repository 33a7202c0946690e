package engine

import (
	"context"
	"time"
)

// AlertKind is the kind of notification the engine sends.
type AlertKind string

const (
	// AlertRegression: a regression was detected on a metric (PagerDuty trigger).
	AlertRegression AlertKind = "regression_detected"
	// AlertReverted: the rollout was reverted (PagerDuty resolve).
	AlertReverted AlertKind = "rollout_reverted"
)

// Alert is a notification about a rollout.
type Alert struct {
	Kind           AlertKind `json:"kind"`
	Time           time.Time `json:"time"`
	ProjectKey     string    `json:"project_key"`
	EnvironmentKey string    `json:"environment_key"`
	FlagKey        string    `json:"flag_key"`
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
