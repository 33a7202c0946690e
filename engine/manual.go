package engine

import (
	"context"
	"fmt"
	"time"
)

// ActionKind is a scripted manual action.
type ActionKind string

const (
	// ActionRollback rolls the rollout back (reason manual) and resolves an
	// open PagerDuty incident.
	ActionRollback ActionKind = "rollback"
	// ActionDismiss dismisses the regression that halted the rollout (or the
	// named metric's) and lets it continue; the open incident is resolved
	// and a later regression alerts again. The dismissed metric is ignored
	// until its interval stops showing a regression.
	ActionDismiss ActionKind = "dismiss"
	// ActionPause stops the schedule's clock: the step neither advances nor
	// is extended, while the SRM, health and regression checks keep running.
	ActionPause ActionKind = "pause"
	// ActionResume restarts the clock; the step's end moves by the pause.
	ActionResume ActionKind = "resume"
)

// Action is a manual action taken At a time after the rollout's start.
type Action struct {
	At     time.Duration `json:"at"`
	Kind   ActionKind    `json:"action"`
	Metric string        `json:"metric,omitempty"` // dismiss: the metric (default: the one that halted)
}

// Decisions and reasons of manual actions.
const (
	DecisionPause   Decision = "pause"
	DecisionResume  Decision = "resume"
	DecisionDismiss Decision = "dismiss"
	// ReasonManual is a manual rollback.
	ReasonManual Reason = "manual"
)

// validateActions checks the scripted actions of a policy.
func (p Policy) validateActions() []error {
	var errs []error
	for i, a := range p.Actions {
		if a.At < 0 {
			errs = append(errs, fmt.Errorf("actions[%d].at %v must not be negative", i, a.At))
		}
		if i > 0 && a.At < p.Actions[i-1].At {
			errs = append(errs, fmt.Errorf("actions[%d].at %v is before the previous action's %v", i, a.At, p.Actions[i-1].At))
		}
		switch a.Kind {
		case ActionRollback, ActionPause, ActionResume:
			if a.Metric != "" {
				errs = append(errs, fmt.Errorf("actions[%d].metric applies to dismiss only", i))
			}
		case ActionDismiss:
			if a.Metric != "" {
				if _, ok := p.MetricIndex(a.Metric); !ok {
					errs = append(errs, fmt.Errorf("actions[%d].metric %q is not a monitored metric", i, a.Metric))
				}
			}
		default:
			errs = append(errs, fmt.Errorf("actions[%d].action %q must be rollback, dismiss, pause or resume", i, a.Kind))
		}
	}
	return errs
}

// manualState is the rollout's state for scripted actions and pauses.
type manualState struct {
	next      int   // index of the next action to apply
	paused    bool  // the schedule's clock is stopped
	stoppedAt int64 // when the clock stopped (pause or halt)
	dismissed []bool
}

// live reports whether the rollout still observes events and runs checks
// or actions: running, or halted with actions still to come.
func (r *Rollout) live() bool {
	return r.status == StatusRunning || r.awaiting()
}

// awaiting reports whether the rollout is halted with scripted actions to come.
func (r *Rollout) awaiting() bool {
	return r.status == StatusHalted && r.man.next < len(r.pol.Actions)
}

// actionAt is the absolute time of action i.
func (r *Rollout) actionAt(i int) int64 { return r.start + int64(r.pol.Actions[i].At) }

// nextEvalWithActions folds the next action and pauses into nextEval.
func (r *Rollout) nextEvalWithActions() {
	if r.man.paused && r.stepEnd < r.nextCheck {
		r.nextEval = r.nextCheck // the step's end waits for the resume
	}
	if r.man.next < len(r.pol.Actions) {
		at := r.actionAt(r.man.next)
		if r.status == StatusHalted || at < r.nextEval {
			r.nextEval = at
		}
	}
}

// applyActions applies the actions due at or before t, each as its own
// timeline row.
func (r *Rollout) applyActions(ctx context.Context, t int64) {
	for r.man.next < len(r.pol.Actions) && r.actionAt(r.man.next) <= t && r.live() {
		a := r.pol.Actions[r.man.next]
		r.man.next++
		c := r.snapshot(t, false, false)
		c.Decision = Decision(a.Kind)
		switch a.Kind {
		case ActionRollback:
			c.Decision, c.Reason = DecisionRollback, ReasonManual
			c.Note = "manual rollback"
			r.finish(t, StatusRolledBack, ReasonManual, "")
			r.alertReverted(ctx, t, c)
			r.change(ctx, ChangeRolledBack, t, ReasonManual)
		case ActionPause:
			c.Decision = DecisionPause
			switch {
			case r.status != StatusRunning:
				c.Note = "pause: the rollout is halted; nothing to pause"
			case r.man.paused:
				c.Note = "pause: already paused"
			default:
				r.man.paused, r.man.stoppedAt = true, t
				c.Note = "paused: the step does not advance until resumed; checks continue"
			}
		case ActionResume:
			c.Decision = DecisionResume
			if !r.man.paused {
				c.Note = "resume: not paused"
				break
			}
			r.man.paused = false
			r.stepEnd += t - r.man.stoppedAt
			c.Note = fmt.Sprintf("resumed after %s; the step now ends %s after the start", time.Duration(t-r.man.stoppedAt), time.Duration(r.stepEnd-r.start))
		case ActionDismiss:
			c.Decision = DecisionDismiss
			if r.status != StatusHalted {
				c.Note = "dismiss: no halting regression to dismiss"
				break
			}
			key := a.Metric
			if key == "" {
				key = r.outcome.Metric
			}
			if r.man.dismissed == nil {
				r.man.dismissed = make([]bool, len(r.pol.Metrics))
			}
			what := "halt"
			if m, ok := r.pol.MetricIndex(key); ok && r.outcome.Reason == ReasonRegression {
				r.man.dismissed[m] = true
				what = "regression on " + key
				c.Metric = key
			}
			c.Note = fmt.Sprintf("%s dismissed after %s halted; the rollout continues", what, time.Duration(t-r.man.stoppedAt))
			if r.triggered {
				c.Reason = ReasonDismissed
				r.alertReverted(ctx, t, c)
				c.Reason = ReasonNone
				r.triggered = false
			}
			r.status = StatusRunning
			r.outcome.Status, r.outcome.Reason, r.outcome.Metric = StatusRunning, ReasonNone, ""
			r.outcome.Time, r.outcome.Elapsed = time.Time{}, 0
			r.stepEnd += t - r.man.stoppedAt // the halt stopped the clock
			for r.nextCheck <= t {
				r.nextCheck += int64(r.pol.CheckInterval)
			}
		}
		r.timeline = append(r.timeline, c)
	}
	r.updateNextEval()
}

// ReasonDismissed is the reason of the PagerDuty resolve sent when a
// regression is dismissed.
const ReasonDismissed Reason = "dismissed"

// isDismissed reports whether metric m's regression is dismissed, and
// re-arms it once its interval no longer shows a regression.
func (r *Rollout) isDismissed(m int, regressed bool) bool {
	if r.man.dismissed == nil || !r.man.dismissed[m] {
		return false
	}
	if !regressed {
		r.man.dismissed[m] = false
		return false
	}
	return true
}
