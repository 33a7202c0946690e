package engine

import (
	"fmt"
	"time"
)

// HealthAction is what a failed health check does.
type HealthAction string

const (
	// HealthWarn records the failure in the timeline (Check.Health) and in
	// the note of the check where it starts (LaunchDarkly's health warnings).
	HealthWarn HealthAction = "warn"
	// HealthHold keeps the step from advancing while the check fails
	// (GrowthBook's default for its health checks).
	HealthHold HealthAction = "hold"
	// HealthRollback rolls back with the check's reason.
	HealthRollback HealthAction = "rollback"
	// HealthOff disables the check.
	HealthOff HealthAction = "off"
)

// HealthPolicy configures the health checks. The zero value (and a nil
// Policy.Health) means the defaults below.
type HealthPolicy struct {
	// NoTraffic fails when no analysed exposure arrived for NoTrafficAfter
	// (default 24 h, GrowthBook's DEFAULT_NO_TRAFFIC_GRACE_PERIOD_HOURS).
	NoTraffic      HealthAction  `json:"no_traffic,omitempty"`
	NoTrafficAfter time.Duration `json:"no_traffic_after,omitempty"`
	// MultipleExposures fails when at least MultipleExposureMin (default 10)
	// analysed contexts, and at least MultipleExposureShare (default 0.01)
	// of them, were seen in both arms (GrowthBook's multiple-exposure check:
	// DEFAULT_MULTIPLE_EXPOSURES_ENOUGH_DATA_THRESHOLD and
	// multipleExposureMinPercent).
	MultipleExposures     HealthAction `json:"multiple_exposures,omitempty"`
	MultipleExposureShare float64      `json:"multiple_exposure_share,omitempty"`
	MultipleExposureMin   int          `json:"multiple_exposure_min,omitempty"`
	// WrongKind fails when at least WrongKindShare (default 0.05, our
	// choice: LaunchDarkly checks the kind but publishes no threshold) of at
	// least 10 exposures carry a context kind other than the policy's.
	WrongKind      HealthAction `json:"wrong_context_kind,omitempty"`
	WrongKindShare float64      `json:"wrong_context_kind_share,omitempty"`
}

// Health defaults.
const (
	DefaultNoTrafficAfter        = 24 * time.Hour
	DefaultMultipleExposureShare = 0.01
	DefaultMultipleExposureMin   = 10
	DefaultWrongKindShare        = 0.05
)

// Reasons of health rollbacks. ReasonHealth is what Decide returns; the
// rollout replaces it by the failing check's own reason.
const (
	ReasonHealth            Reason = "health"
	ReasonNoTraffic         Reason = "no_traffic"
	ReasonMultipleExposures Reason = "multiple_exposures"
	ReasonWrongKind         Reason = "wrong_context_kind"
)

// HealthSettings returns the policy's health settings with defaults.
func (p Policy) HealthSettings() HealthPolicy {
	var h HealthPolicy
	if p.Health != nil {
		h = *p.Health
	}
	for _, a := range []*HealthAction{&h.NoTraffic, &h.MultipleExposures, &h.WrongKind} {
		if *a == "" {
			*a = HealthWarn
		}
	}
	if h.NoTrafficAfter == 0 {
		h.NoTrafficAfter = DefaultNoTrafficAfter
	}
	if h.MultipleExposureShare == 0 {
		h.MultipleExposureShare = DefaultMultipleExposureShare
	}
	if h.MultipleExposureMin == 0 {
		h.MultipleExposureMin = DefaultMultipleExposureMin
	}
	if h.WrongKindShare == 0 {
		h.WrongKindShare = DefaultWrongKindShare
	}
	return h
}

func (h HealthPolicy) validate() []error {
	var errs []error
	for _, c := range []struct {
		name string
		a    HealthAction
	}{{"no_traffic", h.NoTraffic}, {"multiple_exposures", h.MultipleExposures}, {"wrong_context_kind", h.WrongKind}} {
		switch c.a {
		case HealthWarn, HealthHold, HealthRollback, HealthOff:
		default:
			errs = append(errs, fmt.Errorf("health.%s %q must be warn, hold, rollback or off", c.name, c.a))
		}
	}
	if h.NoTrafficAfter <= 0 {
		errs = append(errs, fmt.Errorf("health.no_traffic_after %v must be positive", h.NoTrafficAfter))
	}
	if !(h.MultipleExposureShare > 0 && h.MultipleExposureShare <= 1) {
		errs = append(errs, fmt.Errorf("health.multiple_exposure_share %g must be in (0, 1]", h.MultipleExposureShare))
	}
	if h.MultipleExposureMin < 1 {
		errs = append(errs, fmt.Errorf("health.multiple_exposure_min %d must be at least 1", h.MultipleExposureMin))
	}
	if !(h.WrongKindShare > 0 && h.WrongKindShare <= 1) {
		errs = append(errs, fmt.Errorf("health.wrong_context_kind_share %g must be in (0, 1]", h.WrongKindShare))
	}
	return errs
}

// HealthIssue is one failing health check at a check.
type HealthIssue struct {
	Check  Reason       `json:"check"`
	Action HealthAction `json:"action"`
	Note   string       `json:"note"`
}

// healthState is what the health checks remember.
type healthState struct {
	lastAnalysed int64 // time of the last analysed exposure (start before any)
	multi        int   // analysed contexts seen in both arms
	failing      map[Reason]bool
}

// health evaluates the health checks at time t.
func (r *Rollout) health(t int64) []HealthIssue {
	h := r.healthCfg
	var out []HealthIssue
	add := func(check Reason, a HealthAction, format string, args ...any) {
		if a != HealthOff {
			out = append(out, HealthIssue{Check: check, Action: a, Note: fmt.Sprintf(format, args...)})
		}
	}
	last := max(r.hs.lastAnalysed, r.start)
	if gap := time.Duration(t - last); gap >= h.NoTrafficAfter {
		add(ReasonNoTraffic, h.NoTraffic, "no analysed exposure for %s", gap)
	}
	analysed := r.arms[Original] + r.arms[New]
	if r.hs.multi >= h.MultipleExposureMin && float64(r.hs.multi) >= h.MultipleExposureShare*float64(analysed) {
		add(ReasonMultipleExposures, h.MultipleExposures, "%d of %d analysed contexts (%.2g%%) were seen in both arms", r.hs.multi, analysed, 100*float64(r.hs.multi)/float64(analysed))
	}
	c := r.outcome.Counters
	if c.WrongKind >= 10 && float64(c.WrongKind) >= h.WrongKindShare*float64(c.Exposures) {
		add(ReasonWrongKind, h.WrongKind, "%d of %d exposures (%.2g%%) have a context kind other than %q", c.WrongKind, c.Exposures, 100*float64(c.WrongKind)/float64(c.Exposures), r.kind)
	}
	return out
}

// firstHealth returns the first issue with action a (nil if none).
func firstHealth(issues []HealthIssue, a HealthAction) *HealthIssue {
	for i := range issues {
		if issues[i].Action == a {
			return &issues[i]
		}
	}
	return nil
}

// noteHealth adds a warning to the note of the check at which a health
// check starts failing, and remembers which checks fail.
func (r *Rollout) noteHealth(c *Check) {
	if len(c.Health) == 0 && len(r.hs.failing) == 0 {
		return
	}
	now := map[Reason]bool{}
	for _, is := range c.Health {
		now[is.Check] = true
		if r.hs.failing[is.Check] || is.Action != HealthWarn {
			continue
		}
		w := "health warning: " + is.Note
		if c.Note == "" {
			c.Note = w
		} else {
			c.Note += "; " + w
		}
	}
	r.hs.failing = now
}
