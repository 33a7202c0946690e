package sweep

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/sim"
)

// The aggregate simulator.
//
// Instead of generating events, it draws, for every interval between two
// engine evaluations and every analysed arm, the number of new analysed
// contexts and the sufficient statistics (count, sum, sum of squares) of
// their per-context metric values from their sampling distribution, and
// then takes the engine's decisions on them with the engine's own
// statistics (stats.Stratify, stats.Rho, stats.HalfWidthOneSided,
// stats.SequentialSRM):
//
//   - Evaluations happen where the engine's do: every check interval from
//     the start and at every step end (including extensions and holds).
//   - The number of contexts in an interval is Poisson with mean the integral
//     of the traffic rate (daily cycle included) over the interval times
//     the arm's bucket share (schedule.Step.Weights).
//   - Numeric metrics: (n, Σv, Σv²) of the interval's contexts are drawn
//     jointly from their law (numLaw, aggnumeric.go): exactly for normal
//     values and for few log-normal values, by the split "big-jump"
//     sampler for many. The value is the one the engine sees for a
//     context: the mean (or sum) of its events, each a draw of the
//     scenario's distribution plus the context's normal intercept of
//     standard deviation context_sd.
//   - Binary metrics: conversions are Binomial(n, rate [+ effect]).
//   - Regression decisions: the step-stratified estimate and the one-sided
//     confidence sequence, gated by min_per_arm, in metric order as the
//     engine does (a metric with auto-rollback wins over a halting one).
//   - Minimum contexts per step (policy and per metric), one extension,
//     then rollback or hold; the sequential SRM test on the analysed counts
//     with a per-step prior; rollback on SRM unless disabled.
//   - SRM faults: lost new-variation exposures thin the new arm;
//     mis-assigned control contexts join the new arm with control values;
//     duplicate exposures add new-arm contexts without metric events.
//   - Moving baselines and novelty effects: each interval's values are
//     scaled by the traffic-weighted mean baseline factor and its effect by
//     the mean novelty multiple (aggregate_realism.go).
//
// Approximations (documented; agreement with the event-level engine is
// checked per metric shape by TestFidelityGrid, and on a user's own
// scenario by CheckFidelity, `guardsim sweep --check-fidelity`):
//   - Returning contexts (Traffic.Population), which average more events
//     and convert more often, are sampled per context when more than 1% of
//     the horizon's exposures are expected to be returns (aggpop.go);
//     otherwise every exposure is drawn as a new context.
//   - Numeric values, zero-inflated ones included (aggzero.go), are
//     modelled; tail regressions (regression.tail_scale) are refused.
//   - Binary metrics' exponential delays are modelled (a conversion counts
//     once its event arrives; arrivals are taken as uniform within an
//     interval); numeric metrics' events count at exposure, so the plan
//     refuses numeric delays above 1% of the check interval.
//   - Checks run while their time is before the model's horizon.

// Outcome codes of one simulated rollout.
const (
	stRunning uint8 = iota
	stCompleted
	stRolledBack
	stHalted
)

const (
	rsNone uint8 = iota
	rsRegression
	rsSRM
	rsInsufficient
)

// outcome is the compact result of one rollout.
type outcome struct {
	elapsed     int64 // ns from the start to the end (or the last check)
	onset       int64 // ns from the start to the effect's onset (0: none, or from the start)
	newContexts int64
	status      uint8
	reason      uint8
	// regressed has bit m set when metric m (< 64) flagged the regression
	// at the check that ended the rollout (reason regression).
	regressed uint64
}

type aggStep struct {
	dur, ext   int64   // duration and extension length
	wNew, wCtl float64 // bucket shares of the arms (weights/100000)
	theta      [2]float64
}

type aggMetric struct {
	binary bool
	// Binary: conversion probability per context.
	rate float64
	// Numeric: the law of the per-context value, its mean and variance.
	law        *numLaw
	mu, sigma2 float64
	// effect is added to the new arm's per-context mean (binary: to rate)
	// from step effectStep (1-based) or time effectStart.
	effect      float64
	effectStep  int
	effectStart int64
	higher      bool
	noAuto      bool
	sum         bool // a numeric metric of sum aggregation
	minContexts float64
	// delay is the mean exponential delay (ns) of a binary metric's event.
	delay float64
}

// aggPlan is everything the aggregate simulator needs for one cell.
type aggPlan struct {
	horizon, ci    int64
	steps          []aggStep
	hold           bool
	minContexts    int64
	minPerArm      float64
	alpha, rho     float64
	srmAlpha, srmK float64
	srmRollback    bool

	// Traffic: expected arrivals per hour, daily amplitude and the phase
	// (radians) of the start.
	ratePerHour, amp, phase0, sin0 float64

	drop, mis  float64
	faultStart int64
	// splits are the times (from the start) at which an effect or the fault
	// switches on; intervals are cut there.
	splits  []int64
	metrics []aggMetric
	// det runs a named policy's detectors (nil: the default rule inline).
	det *aggDetect
	// The effect's onset: at onsetTime, or at the start of the 0-based step
	// onsetStep (-1: not step-based).
	onsetTime int64
	onsetStep int
	// cumGrid[k] caches cum(k·ci) for the evaluations on the check grid
	// (most of them); nil computes every value.
	cumGrid []float64
	// real holds the moving baselines, novelty effects and duplicate
	// exposures (aggregate_realism.go); nil when the model has none.
	real *aggRealism
	// pop, when non-nil, samples returning contexts per context
	// (aggpop.go).
	pop *popPlan
}

// newAggPlan derives the aggregate plan of a (defaulted, validated) policy
// and model.
func newAggPlan(p engine.Policy, m sim.Model) (*aggPlan, error) {
	if len(m.Metrics) != len(p.Metrics) {
		return nil, fmt.Errorf("the model has %d metrics and the policy %d", len(m.Metrics), len(p.Metrics))
	}
	alpha := p.MetricAlpha()
	pl := &aggPlan{
		horizon:     int64(m.Horizon),
		ci:          int64(p.CheckInterval),
		hold:        p.OnInsufficient == engine.HoldOnInsufficient,
		minContexts: int64(p.MinContexts),
		minPerArm:   float64(p.MinPerArm),
		alpha:       alpha,
		rho:         stats.Rho(p.NStar, alpha, true),
		srmAlpha:    p.SRMAlpha,
		srmK:        p.SRMConcentration,
		srmRollback: !p.NoSRMRollback,
		ratePerHour: m.Traffic.RatePerHour,
		amp:         m.Traffic.DailyAmplitude,
		drop:        m.Fault.DropNew,
		mis:         m.Fault.Misassign,
		faultStart:  int64(m.Fault.Start),
		onsetStep:   -1,
	}
	if m.OmitVariation {
		pl.mis = 0 // the engine buckets the context itself: the mislabel is lost
	}
	startHour := math.Mod(float64(m.Start.UnixNano())/3.6e12, 24)
	pl.phase0 = 2 * math.Pi * (startHour - m.Traffic.PeakHour) / 24
	pl.sin0 = math.Sin(pl.phase0)
	for i, st := range p.Steps {
		w := st.Weights()
		share := st.ExpectedNewShare()
		pl.steps = append(pl.steps, aggStep{
			dur:   int64(st.Duration),
			ext:   int64(p.ExtensionLength(i)),
			wNew:  float64(w[0]) / 100000,
			wCtl:  float64(w[2]) / 100000,
			theta: [2]float64{1 - share, share},
		})
	}
	if pl.drop > 0 || pl.mis > 0 {
		pl.splits = append(pl.splits, pl.faultStart)
	}
	for i, mm := range m.Metrics {
		em := p.Metrics[i]
		am := aggMetric{
			higher:      em.Direction == engine.HigherIsBetter,
			noAuto:      em.NoAutoRollback,
			minContexts: float64(em.MinContexts),
			effect:      mm.Effect,
			effectStep:  mm.EffectStep,
			effectStart: int64(mm.EffectStart),
		}
		switch {
		case em.Kind == engine.Percentile || em.Kind == engine.Ratio:
			return nil, fmt.Errorf("metric %s: %s metrics cannot be simulated at aggregate fidelity (no per-interval sufficient statistics reproduce a quantile's or ratio's sampling exactly); use the event fidelity", em.Key, em.Kind)
		case em.Margin != 0:
			return nil, fmt.Errorf("metric %s: margins are not simulated at aggregate fidelity; use the event fidelity", em.Key)
		case em.Kind == engine.Binary && mm.Binary:
			am.binary = true
			am.rate = mm.Rate
			am.delay = float64(mm.Delay)
		case em.Kind == engine.Numeric && !mm.Binary:
			if 2*mm.Delay > p.CheckInterval/100 {
				return nil, fmt.Errorf("metric %s: the aggregate fidelity counts a numeric metric's events at exposure, which is right only for delays under 1%% of the check interval, and its delay is uniform up to %v (check interval %v); use the event-level fidelity", em.Key, 2*mm.Delay, p.CheckInterval)
			}
			e := max(mm.EventsPerExposure, 1)
			sum := em.Aggregation == engine.Sum
			if mm.TailScale != 0 && mm.TailScale != 1 {
				return nil, fmt.Errorf("metric %s: the aggregate fidelity does not model tail regressions (regression.tail_scale %g); use the event-level fidelity", em.Key, mm.TailScale)
			}
			am.law = newMetricLaw(mm, e, sum)
			am.mu, am.sigma2 = am.law.mu, am.law.sigma2
			am.sum = sum
			if sum {
				am.effect = float64(e) * mm.Effect // the effect is added to every event
			}
		default:
			return nil, fmt.Errorf("metric %s: the aggregate simulator needs a binary model for a binary metric and a numeric model for a numeric one", em.Key)
		}
		if am.effect != 0 && am.effectStep == 0 && am.effectStart > 0 {
			pl.splits = append(pl.splits, am.effectStart)
		}
		if am.effect != 0 && pl.onsetStep < 0 && pl.onsetTime == 0 {
			if am.effectStep > 0 {
				pl.onsetStep = am.effectStep - 1
			} else {
				pl.onsetTime = am.effectStart
			}
		}
		pl.metrics = append(pl.metrics, am)
	}
	if pl.ci <= 0 || len(pl.steps) == 0 {
		return nil, errors.New("invalid policy: no steps or check interval")
	}
	pl.initRealism(m)
	var err error
	if pl.pop, err = newPopPlan(pl, p, m); err != nil {
		return nil, err
	}
	if n := pl.horizon/pl.ci + 1; n <= 1<<16 {
		pl.cumGrid = make([]float64, n)
		for k := range pl.cumGrid {
			pl.cumGrid[k] = pl.cum(int64(k) * pl.ci)
		}
	}
	slices.Sort(pl.splits)
	pl.splits = slices.Compact(pl.splits)
	return pl, nil
}

// cum is the expected number of arrivals in [0, t) (t in ns from the start):
// the integral of rate·(1 + A·cos(phase)) over the interval.
func (pl *aggPlan) cum(t int64) float64 {
	h := float64(t) / 3.6e12
	c := pl.ratePerHour * h
	if pl.amp != 0 {
		c += pl.ratePerHour * pl.amp * 24 / (2 * math.Pi) * (math.Sin(pl.phase0+2*math.Pi*h/24) - pl.sin0)
	}
	return c
}

// cumAt is cum(t), from the cache when t is on the check grid.
func (pl *aggPlan) cumAt(t int64) float64 {
	if t%pl.ci == 0 {
		if k := t / pl.ci; k < int64(len(pl.cumGrid)) {
			return pl.cumGrid[k]
		}
	}
	return pl.cum(t)
}

// aggSim is one worker's simulator state, reused across rollouts.
type aggSim struct {
	pcg    *rand.PCG
	rng    *rand.Rand
	strata [][]stats.Stratum
	// late[m][step][arm] counts binary conversions whose event has not
	// arrived yet (delayed metrics).
	late [][][2]int
	srm  *stats.SequentialSRM
	// Realism state (aggregate_realism.go): per metric the segment's mean
	// baseline factor and novelty multiple, per step its start and the
	// duplicate new-arm contexts.
	cbar, gbar []float64
	stepStart  []int64
	dupNew     []float64
	// pop is population mode's per-context state (aggpop.go).
	pop popSim
}

func newAggSim() *aggSim {
	pcg := rand.NewPCG(0, 0)
	return &aggSim{pcg: pcg, rng: rand.New(pcg)}
}

// aggStream is the PCG stream constant of the aggregate simulator.
const aggStream = 0xda3e39cb94b95bdb

func (s *aggSim) reset(pl *aggPlan, seed uint64) {
	s.pcg.Seed(seed, aggStream)
	if len(s.strata) != len(pl.metrics) {
		s.strata = make([][]stats.Stratum, len(pl.metrics))
	}
	for m := range s.strata {
		if cap(s.strata[m]) < len(pl.steps) {
			s.strata[m] = make([]stats.Stratum, len(pl.steps))
		}
		s.strata[m] = s.strata[m][:len(pl.steps)]
		clear(s.strata[m])
	}
	if len(s.late) != len(pl.metrics) {
		s.late = make([][][2]int, len(pl.metrics))
	}
	for m := range s.late {
		if cap(s.late[m]) < len(pl.steps) {
			s.late[m] = make([][2]int, len(pl.steps))
		}
		s.late[m] = s.late[m][:len(pl.steps)]
		clear(s.late[m])
	}
	// SequentialSRM has no reset; a fresh one per rollout is three small
	// allocations, outside the per-interval loop.
	s.srm = stats.NewSequentialSRM(pl.srmK)
	s.resetRealism(pl)
	if pl.pop != nil {
		s.pop.reset(s, pl)
	}
}

// rollState is the state machine of one simulated rollout.
type rollState struct {
	// exp are the expected analysed counts per arm under each interval's
	// split (for the χ² SRM test of GrowthBook's policy).
	exp     [2]float64
	arms    [2]int64
	pending [2]float64
	stepNew int64
}

// run simulates one rollout.
func (s *aggSim) run(pl *aggPlan, seed uint64) outcome {
	s.reset(pl, seed)
	var st rollState
	step := 0
	stepEnd := pl.steps[0].dur
	extended := false
	s.srm.StartStep(pl.steps[0].theta[:])
	var dr *aggDetectRun
	if pl.det != nil {
		dr = pl.det.start()
	}
	nextCheck := pl.ci
	var t int64
	onset := pl.onsetTime
	cumT := pl.cumAt(0)
	last := len(pl.steps) - 1
	for {
		te := min(nextCheck, stepEnd)
		if te >= pl.horizon {
			return outcome{elapsed: t, onset: onset, newContexts: st.arms[1], status: stRunning}
		}
		cumT = s.traffic(pl, &st, step, t, te, cumT)
		t = te

		// Evaluate at te, as engine.Rollout.evaluate does.
		s.srm.Observe(st.pending[:])
		tot := st.pending[0] + st.pending[1]
		st.exp[1] += tot * pl.steps[step].theta[1]
		st.exp[0] += tot * pl.steps[step].theta[0]
		st.pending = [2]float64{}
		regressed, auto, inconclusive := false, false, false
		var mask uint64
		stepEnded := te >= stepEnd
		if pl.det != nil {
			regressed, auto, inconclusive, mask = pl.det.check(dr, s.strata, step, stepEnded, step == last, te, pl.metrics)
		} else {
			for m := range pl.metrics {
				if s.regressed(pl, m) {
					regressed = true
					mask |= metricBit(m)
					if !pl.metrics[m].noAuto {
						auto = true
					}
				}
			}
		}
		srmMismatch := s.srm.PValue() <= pl.srmAlpha
		if pl.det != nil && pl.det.pol.SRMChiSquare {
			counts := [2]float64{float64(st.arms[0]), float64(st.arms[1])}
			_, p := stats.ChiSquareGOF(counts[:], st.exp[:])
			srmMismatch = counts[0]+counts[1] >= float64(pl.det.pol.SRMMinTotal) && p < pl.srmAlpha
		}
		decision, reason := engine.Decide(engine.CheckState{
			SRMMismatch:  srmMismatch,
			SRMRollback:  pl.srmRollback,
			SRMHold:      pl.det != nil && pl.det.pol.SRMHold,
			Inconclusive: inconclusive,
			Regressed:    regressed,
			AutoRollback: auto,
			StepEnded:    stepEnded,
			Short:        stepEnded && s.short(pl, &st, step),
			LastStep:     step == last,
			Extended:     extended,
			Hold:         pl.hold,
		})
		switch decision {
		case engine.DecisionRollback, engine.DecisionHalt, engine.DecisionComplete:
			o := outcome{elapsed: te, onset: onset, newContexts: st.arms[1], status: statusCode(decision.Status()), reason: reasonCode(reason)}
			if o.reason == rsRegression {
				o.regressed = mask
			}
			return o
		case engine.DecisionAdvance:
			step++
			if step == pl.onsetStep {
				onset = te
			}
			if pl.real != nil {
				s.stepStart[step] = te
			}
			stepEnd = te + pl.steps[step].dur
			extended = false
			st.stepNew = 0
			clear(s.pop.stepData)
			s.srm.StartStep(pl.steps[step].theta[:])
		case engine.DecisionExtend:
			extended = true
			stepEnd = te + pl.steps[step].ext
		case engine.DecisionHold:
			if reason == engine.ReasonSRM {
				stepEnd = max(stepEnd, te+pl.ci)
			} else {
				stepEnd = te + pl.ci
			}
		}
		for nextCheck <= te {
			nextCheck += pl.ci
		}
	}
}

// regressed applies the engine's regression rule to metric m.
func (s *aggSim) regressed(pl *aggPlan, m int) bool {
	d, ok := stats.Stratify(s.strata[m])
	if !ok {
		return false
	}
	if d.NA < pl.minPerArm || d.NB < pl.minPerArm {
		return false
	}
	// The half-width is never negative, so an estimate on the harmless side
	// (or zero) cannot regress: skip the logarithm.
	higher := pl.metrics[m].higher
	if (higher && !(d.Estimate < 0)) || (!higher && !(d.Estimate > 0)) {
		return false
	}
	hw := stats.HalfWidthOneSided(d.S2(), d.N, pl.rho, pl.alpha)
	if higher {
		return d.Estimate+hw < 0
	}
	return d.Estimate-hw > 0
}

// short reports whether the step misses a minimum number of contexts.
func (s *aggSim) short(pl *aggPlan, st *rollState, step int) bool {
	if st.stepNew < pl.minContexts {
		return true
	}
	for m := range pl.metrics {
		mc := pl.metrics[m].minContexts
		if mc == 0 {
			continue
		}
		// A metric's minimum counts the new-arm contexts with data in the
		// step (engine/minimum.go): every one here (each context is new and
		// numeric events arrive at exposure), only the converters of a
		// binary metric.
		b := s.strata[m][step].B
		n := b.N
		if pl.metrics[m].binary {
			n = math.Round(b.Mean() * b.N)
		} else if pl.metrics[m].sum && pl.real != nil {
			n -= s.dupNew[step] // duplicates have no data
		}
		if pl.pop != nil {
			n = float64(s.pop.stepData[m])
		}
		if n < mc {
			return true
		}
	}
	return false
}

// traffic draws the contexts and metric moments of [a, b) in the given step
// and returns cum(b).
func (s *aggSim) traffic(pl *aggPlan, st *rollState, step int, a, b int64, cumA float64) float64 {
	for _, sp := range pl.splits {
		if sp > a && sp < b {
			cumS := pl.cumAt(sp)
			s.segment(pl, st, step, a, sp, cumS-cumA)
			a, cumA = sp, cumS
		}
	}
	cumB := pl.cumAt(b)
	s.segment(pl, st, step, a, b, cumB-cumA)
	return cumB
}

// segment draws the contexts arriving in the segment [a, b) with lam
// expected arrivals, within which nothing switches on or off, after the
// delayed conversions of earlier contexts that arrive in it.
func (s *aggSim) segment(pl *aggPlan, st *rollState, step int, a, b int64, lam float64) {
	if pl.pop != nil {
		s.popSegment(pl, st, step, a, b, lam)
		return
	}
	s.release(pl, step, float64(b-a))
	if pl.real != nil {
		s.realSegment(pl, a, b)
	}
	sp := &pl.steps[step]
	L := float64(b - a)
	drop, mis := 0.0, 0.0
	if a >= pl.faultStart {
		drop, mis = pl.drop, pl.mis
	}
	// Control contexts logged as control, control contexts logged as new,
	// new contexts whose exposure is logged.
	s.group(pl, st, step, a, L, poisson(s.rng, lam*sp.wCtl*(1-mis)), 0, false)
	if mis > 0 {
		s.group(pl, st, step, a, L, poisson(s.rng, lam*sp.wCtl*mis), 1, false)
	}
	s.group(pl, st, step, a, L, poisson(s.rng, lam*sp.wNew*(1-drop)), 1, true)
	if pl.real != nil && pl.real.dup > 0 && a >= pl.faultStart {
		s.duplicates(pl, st, step, lam*sp.wNew*(1-drop))
	}
}

// release adds the delayed conversions whose events arrive within the next
// L ns: exponential delays are memoryless, so each pending one arrives with
// probability 1 − e^(−L/delay) whenever it was exposed.
func (s *aggSim) release(pl *aggPlan, step int, L float64) {
	for m := range pl.metrics {
		d := pl.metrics[m].delay
		if !pl.metrics[m].binary || d == 0 {
			continue
		}
		pr := -math.Expm1(-L / d)
		for k := 0; k <= step; k++ {
			for arm := range 2 {
				late := s.late[m][k][arm]
				if late == 0 {
					continue
				}
				c := binomial(s.rng, late, pr)
				s.late[m][k][arm] -= c
				mo := &s.strata[m][k].A
				if arm == 1 {
					mo = &s.strata[m][k].B
				}
				// Replace(0, 1) for each: binary moments have shift 0.
				mo.Sum += float64(c)
				mo.SumSq += float64(c)
			}
		}
	}
}

// group adds n contexts to arm (0 original, 1 new) with values of the new
// variation when treated.
func (s *aggSim) group(pl *aggPlan, st *rollState, step int, a int64, L float64, n int, arm int, treated bool) {
	if n == 0 {
		return
	}
	nf := float64(n)
	st.arms[arm] += int64(n)
	st.pending[arm] += nf
	if arm == 1 {
		st.stepNew += int64(n)
	}
	r := s.rng
	for m := range pl.metrics {
		mt := &pl.metrics[m]
		eff := 0.0
		if treated && mt.effect != 0 {
			if mt.effectStep > 0 {
				if step+1 >= mt.effectStep {
					eff = mt.effect
				}
			} else if a >= mt.effectStart {
				eff = mt.effect
			}
		}
		rate, cb := mt.rate, 1.0
		if pl.real != nil {
			if cb = s.cbar[m]; cb != 1 {
				rate *= cb
			}
			if eff != 0 {
				eff *= s.gbar[m]
			}
		}
		var mo stats.Moments
		if mt.binary {
			c := binomial(r, n, min(max(rate+eff, 0), 1))
			if d := mt.delay; d > 0 && c > 0 {
				// A context exposed uniformly in the segment has its event
				// by the segment's end with probability 1 − d/L·(1 − e^(−L/d)).
				late := c - binomial(r, c, 1+d/L*math.Expm1(-L/d))
				s.late[m][step][arm] += late
				c -= late
			}
			mo = stats.BinaryMoments(float64(c), nf)
		} else if cb != 1 {
			mo = scaled(mt.law.draw(r, n, eff/cb), cb)
		} else {
			mo = mt.law.draw(r, n, eff)
		}
		str := &s.strata[m][step]
		if arm == 1 {
			str.B.Merge(mo)
		} else {
			str.A.Merge(mo)
		}
	}
}
