package sweep

import (
	"fmt"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/engine/stats"
)

// aggDetect runs a named policy's detectors inside the aggregate simulator:
// the detectors see the same per-step, per-arm moments they see in the
// engine (DetectorInput.Strata), drawn by the sampler instead of built from
// events, and the SRM and pause rules of the policy are applied as the
// engine applies them. The default rule (guardsim's confidence sequence)
// is applied inline by aggSim.regressed and needs none of this.
//
// aggDetect is part of the cell's plan, shared by the workers, and
// immutable; each rollout's detector state is an aggDetectRun.
type aggDetect struct {
	pol    engine.Policy
	fact   engine.DetectorFactory
	scorer engine.Scorer
}

// aggDetectRun is one rollout's detectors.
type aggDetectRun struct {
	ds       []engine.Detector
	verdicts []engine.Verdict
	in       engine.DetectorInput
}

// newAggDetect returns nil for the default rule, and an error naming the
// policy when the aggregate fidelity cannot model its detector.
func newAggDetect(p engine.Policy) (*aggDetect, error) {
	f := p.DetectorFactory()
	if _, def := f.(engine.ConfidenceSequence); def && !p.SRMHold && !p.SRMChiSquare && !p.PauseOnInconclusive {
		return nil, nil
	}
	if ok, why := detect.Aggregate(p); !ok {
		return nil, fmt.Errorf("the aggregate fidelity cannot model policy %s: %s; use --fidelity event", p.Name, why)
	}
	a := &aggDetect{pol: p, fact: f}
	a.scorer, _ = f.(engine.Scorer)
	if _, err := f.NewDetectors(p); err != nil {
		return nil, err
	}
	return a, nil
}

// start makes the detectors of a new rollout.
func (a *aggDetect) start() *aggDetectRun {
	ds, err := a.fact.NewDetectors(a.pol)
	if err != nil {
		// newAggDetect built them with the same policy.
		panic(err)
	}
	return &aggDetectRun{ds: ds, verdicts: make([]engine.Verdict, len(ds))}
}

// check runs the detectors at a check and returns what the decision needs.
func (a *aggDetect) check(r *aggDetectRun, strata [][]stats.Stratum, step int, stepEnded, last bool, elapsed int64, metrics []aggMetric) (regressed, auto, inconclusive bool, mask uint64) {
	blame := -1
	for m, d := range r.ds {
		r.in = engine.DetectorInput{
			Metric: a.pol.Metrics[m], Index: m, Strata: strata[m],
			Step: step, StepEnded: stepEnded, LastStep: last, Elapsed: time.Duration(elapsed),
		}
		v := d.Check(&r.in)
		r.verdicts[m] = v
		switch v.Kind {
		case engine.VerdictRegression:
			mask |= metricBit(m)
			if blame < 0 || (metrics[blame].noAuto && !metrics[m].noAuto) {
				blame = m
			}
		case engine.VerdictInconclusive:
			inconclusive = inconclusive || a.pol.PauseOnInconclusive
		}
	}
	if a.scorer != nil {
		fail, m, _, _ := a.scorer.Score(r.verdicts, stepEnded)
		blame = -1
		if fail {
			blame = max(m, 0)
		}
	}
	if blame >= 0 {
		if mask == 0 { // a scorer's verdict on no single regressing metric
			mask = metricBit(blame)
		}
		return true, !metrics[blame].noAuto, inconclusive, mask
	}
	return false, false, inconclusive, 0
}
