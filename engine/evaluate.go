package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/guardsim/guardsim/engine/stats"
)

// evaluate runs the check due at time t and takes its decision.
func (r *Rollout) evaluate(ctx context.Context, t int64) {
	// The SRM test sees the counts gathered since the last check.
	r.srm.Observe(r.srmPending[:])
	share := r.pol.Steps[r.step].ExpectedNewShare()
	tot := r.srmPending[Original] + r.srmPending[New]
	r.srmExp[New] += tot * share
	r.srmExp[Original] += tot * (1 - share)
	r.srmCum[Original] += r.srmPending[Original]
	r.srmCum[New] += r.srmPending[New]
	r.srmPending = [NumArms]float64{}

	stepEnded := t >= r.stepEnd && !r.man.paused
	c := r.snapshot(t, stepEnded, false)

	// Regressions, in metric order; one with auto-rollback wins over one without.
	regressed := -1
	inconclusive := -1
	for m := range c.Metrics {
		if r.isDismissed(m, c.Metrics[m].Regressed) {
			continue
		}
		if c.Metrics[m].Regressed {
			if regressed < 0 || (r.pol.Metrics[regressed].NoAutoRollback && !r.pol.Metrics[m].NoAutoRollback) {
				regressed = m
			}
		}
		if c.Metrics[m].Verdict == VerdictInconclusive && inconclusive < 0 {
			inconclusive = m
		}
	}
	scoreNote := ""
	if r.scorer != nil {
		fail, m, _, note := r.scorer.Score(r.verdicts, stepEnded)
		scoreNote = note
		regressed = -1
		if fail {
			regressed = max(m, 0)
		}
	}

	c.Health = r.health(t)
	hRoll, hHold := firstHealth(c.Health, HealthRollback), firstHealth(c.Health, HealthHold)

	short := ""
	if stepEnded {
		short = r.shortfall()
	}
	c.Decision, c.Reason = Decide(CheckState{
		SRMMismatch:    c.SRM.Mismatch,
		SRMRollback:    !r.pol.NoSRMRollback,
		SRMHold:        r.pol.SRMHold,
		Regressed:      regressed >= 0,
		AutoRollback:   regressed >= 0 && !r.pol.Metrics[regressed].NoAutoRollback,
		Inconclusive:   inconclusive >= 0 && r.pol.PauseOnInconclusive,
		StepEnded:      stepEnded,
		Short:          short != "",
		LastStep:       r.step == r.nsteps-1,
		Extended:       r.extended,
		Hold:           r.pol.OnInsufficient == HoldOnInsufficient,
		HealthRollback: hRoll != nil,
		HealthHold:     hHold != nil,
	})
	switch {
	case c.Reason == ReasonSRM && r.pol.SRMChiSquare:
		c.Note = fmt.Sprintf("sample ratio mismatch: χ² p = %.3g < %g (new %d, original %d)",
			c.SRM.ChiSquareP, r.pol.SRMAlpha, c.Contexts[New], c.Contexts[Original])
		if c.Decision == DecisionHold {
			c.Note += "; unhealthy, holding"
		}
	case c.Reason == ReasonSRM:
		c.Note = fmt.Sprintf("sample ratio mismatch: sequential p = %.3g ≤ %g (new %d, original %d)",
			c.SRM.PValue, r.pol.SRMAlpha, c.Contexts[New], c.Contexts[Original])
		if c.Decision == DecisionHold {
			c.Note += "; holding"
		}
	case c.Reason == ReasonRegression && r.customDetector:
		mc := c.Metrics[regressed]
		c.Metric = mc.Key
		c.Note = fmt.Sprintf("regression on %s (%s): %s", mc.Key, r.detectorName, r.verdicts[regressed].Note)
		if scoreNote != "" {
			c.Note = fmt.Sprintf("%s fails: %s", r.detectorName, scoreNote)
		}
	case c.Reason == ReasonHealth:
		c.Reason = hRoll.Check
		c.Note = "health check failed: " + hRoll.Note
	case c.Decision == DecisionHold && hHold != nil:
		c.Note = "health check failing (" + hHold.Note + "); holding"
	case c.Reason == ReasonRegression:
		mc := c.Metrics[regressed]
		c.Metric = mc.Key
		c.Note = fmt.Sprintf("regression on %s: difference %.4g, interval [%.4g, %.4g], p = %.3g",
			mc.Key, mc.Estimate, mc.Lower, mc.Upper, mc.PValue)
	case c.Reason == ReasonInconclusive:
		c.Metric = c.Metrics[inconclusive].Key
		c.Note = fmt.Sprintf("inconclusive on %s (%s): %s; paused for manual judgement", c.Metric, r.detectorName, r.verdicts[inconclusive].Note)
	case c.Decision == DecisionComplete:
		c.Note = "last step passed; rolled forward to 100%"
	case c.Decision == DecisionAdvance:
		c.Note = fmt.Sprintf("step %d starts at %g%%", r.step+2, r.pol.Steps[r.step+1].Percent)
	case c.Decision == DecisionExtend:
		c.Note = "minimum not met (" + short + "); step extended once"
	case c.Decision == DecisionHold:
		c.Note = "minimum not met (" + short + "); holding"
	case c.Reason == ReasonInsufficientSample:
		c.Note = "minimum not met after the extension (" + short + ")"
	}

	r.noteHealth(&c)

	// Apply the decision.
	switch c.Decision {
	case DecisionAdvance:
		r.enterStep(r.step+1, t)
		r.change(ctx, ChangeAdvanced, t, ReasonNone)
	case DecisionExtend:
		r.extended = true
		r.stepEnd = t + int64(r.pol.ExtensionLength(r.step))
	case DecisionHold:
		r.holding = true
		if c.Reason == ReasonSRM {
			// Unhealthy: the step cannot end before the next check.
			r.stepEnd = max(r.stepEnd, t+int64(r.pol.CheckInterval))
		} else {
			r.stepEnd = t + int64(r.pol.CheckInterval)
		}
	case DecisionComplete:
		r.finish(t, c.Decision.Status(), c.Reason, "")
		r.outcome.Step, r.outcome.Percent = r.nsteps+1, 100
		r.change(ctx, ChangeCompleted, t, ReasonNone)
	case DecisionRollback:
		if c.Reason == ReasonRegression {
			r.alertRegression(ctx, t, c, c.Metric)
		}
		r.finish(t, c.Decision.Status(), c.Reason, c.Metric)
		r.alertReverted(ctx, t, c)
		r.change(ctx, ChangeRolledBack, t, c.Reason)
	case DecisionHalt:
		if c.Reason == ReasonRegression {
			r.alertRegression(ctx, t, c, c.Metric)
		}
		r.finish(t, c.Decision.Status(), c.Reason, c.Metric)
		r.man.stoppedAt = t
	}
	r.timeline = append(r.timeline, c)

	for r.nextCheck <= t {
		r.nextCheck += int64(r.pol.CheckInterval)
	}
	r.updateNextEval()
}

func (r *Rollout) finish(t int64, s Status, reason Reason, metric string) {
	r.status = s
	r.outcome.Status = s
	r.outcome.Reason = reason
	r.outcome.Metric = metric
	r.outcome.Time = time.Unix(0, t).UTC()
	r.outcome.Elapsed = time.Duration(t - r.start)
	r.outcome.Step = r.step + 1
	r.outcome.Percent = r.pol.Steps[r.step].Percent
}

// snapshot computes the statistics of a check at time t (decision unset).
// At the start row (start true) the detectors are not consulted.
func (r *Rollout) snapshot(t int64, stepEnded, start bool) Check {
	s := r.pol.Steps[r.step]
	c := Check{
		Time:            time.Unix(0, t).UTC(),
		Elapsed:         time.Duration(t - r.start),
		Step:            r.step + 1,
		Percent:         s.Percent,
		Extended:        r.extended || r.holding,
		Contexts:        r.arms,
		StepNewContexts: r.stepNew[r.step],
		Metrics:         make([]MetricCheck, len(r.pol.Metrics)),
	}
	for m, met := range r.pol.Metrics {
		c.Metrics[m] = r.metricCheck(m, met, t, stepEnded, start)
	}
	c.SRM = SRMCheck{PValue: r.srm.PValue(), LogBF: r.srm.LogBF()}
	c.SRM.ChiSquare, c.SRM.ChiSquareP = stats.ChiSquareGOF(r.srmCum[:], r.srmExp[:])
	c.SRM.Mismatch = c.SRM.PValue <= r.pol.SRMAlpha
	if r.pol.SRMChiSquare {
		n := r.srmCum[Original] + r.srmCum[New]
		c.SRM.Mismatch = n >= float64(r.pol.SRMMinTotal) && c.SRM.ChiSquareP < r.pol.SRMAlpha
	}
	return c
}

func (r *Rollout) metricCheck(m int, met Metric, t int64, stepEnded, start bool) MetricCheck {
	var a, b stats.Moments
	for _, s := range r.strata[m] {
		a.Merge(s.A)
		b.Merge(s.B)
	}
	mc := MetricCheck{
		Key:      met.Key,
		Original: ArmStats{N: int(a.N), Mean: a.Mean(), Var: a.Var()},
		New:      ArmStats{N: int(b.N), Mean: b.Mean(), Var: b.Var()},
	}
	if r.kinds != nil {
		if a, b, ok := r.kinds.armStats(m, met); ok {
			mc.Original, mc.New = a, b
		}
	}
	// The start row is not a check: the detectors have nothing to judge.
	if start {
		mc.PValue = 1
		return mc
	}
	v := r.detectors[m].Check(&DetectorInput{
		Metric:    met,
		Index:     m,
		Strata:    r.strata[m],
		Step:      r.step,
		StepEnded: stepEnded,
		LastStep:  r.step == r.nsteps-1,
		Elapsed:   time.Duration(t - r.start),
		Quantiles: r.quantStrata(m),
		Ratios:    r.ratioStrata(m),
	})
	r.verdicts[m] = v
	mc.Verdict = v.Kind
	mc.PValue = v.Score
	mc.Regressed = v.Kind == VerdictRegression
	if v.Estimated {
		mc.Ready = true
		mc.Estimate, mc.StdErr = v.Estimate, v.StdErr
		mc.Lower, mc.Upper = v.Lower, v.Upper
	}
	if r.customDetector || met.Kind == Percentile || met.Kind == Ratio || met.Margin != 0 {
		mc.Detail = &VerdictDetail{Verdict: v.Kind, Score: v.Score, Note: v.Note}
	}
	return mc
}

// Timeline returns a copy of the checks so far: changing it does not
// change the rollout (TimelineFrom copies only the newer rows).
func (r *Rollout) Timeline() []Check { return cloneChecks(r.timeline) }

// Outcome returns the outcome so far (status running until the rollout ends).
func (r *Rollout) Outcome() Outcome {
	o := r.outcome
	if r.status == StatusRunning {
		o.Status = StatusRunning
		if r.startSet {
			o.Time = time.Unix(0, r.last).UTC()
			o.Elapsed = time.Duration(r.last - r.start)
		}
		o.Step = r.step + 1
		o.Percent = r.pol.Steps[r.step].Percent
	}
	o.NewContexts = r.arms[New]
	o.Seed = r.pol.Seed
	o.Alerts = append([]AlertRecord(nil), r.outcome.Alerts...)
	return o
}

// Result returns the policy, timeline and outcome.
func (r *Rollout) Result() *Result {
	res := &Result{Policy: r.pol, Timeline: r.timeline, Outcome: r.Outcome()}
	if r.startSet {
		res.Start = time.Unix(0, r.start).UTC()
	}
	return res
}
