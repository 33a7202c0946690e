package engine

import "time"

// CheckState is what the decision rule needs to know at a check. Both the
// Rollout and the aggregate Monte Carlo simulator (sim/sweep) decide with
// Decide, so the two fidelities share one rule.
type CheckState struct {
	// SRMMismatch: the sequential SRM p-value is at or below the SRM alpha;
	// SRMRollback: the policy rolls back on it.
	SRMMismatch, SRMRollback bool
	// SRMHold: the policy holds on SRM before looking at the metrics.
	SRMHold bool
	// Regressed: some metric regressed; AutoRollback: one of the regressed
	// metrics has auto-rollback on.
	Regressed, AutoRollback bool
	// Inconclusive: some metric's verdict was inconclusive and the policy
	// pauses on it.
	Inconclusive bool
	// StepEnded: the check is at or after the end of the step (or of its
	// extension); Short: the step misses a minimum number of contexts;
	// LastStep: it is the last monitored step; Extended: its one extension
	// was used; Hold: the policy holds rather than rolls back when short.
	StepEnded, Short, LastStep, Extended, Hold bool
	// HealthRollback: a health check whose action is rollback fails;
	// HealthHold: one whose action is hold fails (health.go).
	HealthRollback, HealthHold bool
}

// Decide applies the decision order: SRM hold (when the policy holds on
// it) or rollback, then a health rollback, then regression (rollback, or
// halt when no regressed metric has auto-rollback), then an inconclusive
// pause, then, at
// the end of a step, the minimum contexts: complete or advance, extend once,
// then hold or roll back.
func Decide(s CheckState) (Decision, Reason) {
	switch {
	case s.SRMMismatch && s.SRMHold:
		return DecisionHold, ReasonSRM
	case s.SRMMismatch && s.SRMRollback:
		return DecisionRollback, ReasonSRM
	case s.HealthRollback:
		return DecisionRollback, ReasonHealth
	case s.Regressed && s.AutoRollback:
		return DecisionRollback, ReasonRegression
	case s.Regressed:
		return DecisionHalt, ReasonRegression
	case s.Inconclusive:
		return DecisionHalt, ReasonInconclusive
	case !s.StepEnded:
		return DecisionContinue, ReasonNone
	case s.HealthHold:
		return DecisionHold, ReasonNone
	case !s.Short && s.LastStep:
		return DecisionComplete, ReasonNone
	case !s.Short:
		return DecisionAdvance, ReasonNone
	case !s.Extended:
		return DecisionExtend, ReasonNone
	case s.Hold:
		return DecisionHold, ReasonNone
	}
	return DecisionRollback, ReasonInsufficientSample
}

// ExtensionLength is the length of step i's one extension: the policy's
// Extension, or the step's own duration when that is zero.
func (p Policy) ExtensionLength(i int) time.Duration {
	if p.Extension == 0 {
		return p.Steps[i].Duration
	}
	return p.Extension
}

// Status is the status a final decision leaves the rollout in (running for
// the others).
func (d Decision) Status() Status {
	switch d {
	case DecisionComplete:
		return StatusCompleted
	case DecisionRollback:
		return StatusRolledBack
	case DecisionHalt:
		return StatusHalted
	}
	return StatusRunning
}

// MaxDuration is how long a rollout of the policy can run when it rolls
// back on insufficient sample: every step with its one extension.
func (p Policy) MaxDuration() time.Duration {
	var d time.Duration
	for i, st := range p.Steps {
		d += st.Duration + p.ExtensionLength(i)
	}
	return d
}
