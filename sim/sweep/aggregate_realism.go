package sweep

import (
	"math"

	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/sim"
)

// The realism features of sim.Model in the aggregate fidelity: a moving
// metric baseline, novelty effects and duplicate exposures.
//
// A context arriving in a segment [a, b) arrives at a time distributed as
// the traffic rate w(t) there, so its conversion probability is, marginally,
// rate·c̄ + effect·ḡ with c̄ and ḡ the w-weighted means of the baseline
// factor c(t) and of the novelty multiple g(t) over the segment; the
// contexts are independent, so the binomial draw of the conversions stays
// exact. A numeric value is c(t)·V + effect·g(t): its mean is exact with c̄
// and ḡ, and the drawn moments are those of c̄·V + effect·ḡ, which leaves
// out the variance of c and g within one segment — for a daily cycle of
// amplitude A and hourly checks, a relative variance of about
// (A·2π/24)²/12 ≈ 2·10⁻⁴ at A = 0.2, far below what a sweep can see.
// Both means have closed forms (the integrals of products of cosines, of
// t·cos and of e^(−λt)·cos), so nothing is integrated numerically.
//
// Duplicate exposures (srm_fault.duplicate_new) are a Poisson thinning of
// the logged new-variation exposures: extra new-arm contexts (or, when the
// engine buckets the contexts itself, contexts bucketed afresh into either
// arm) without metric events: zeros for binary and sum metrics, absent from
// a mean metric's sample.

// aggRealism holds a plan's realism constants; nil in a plan without any.
type aggRealism struct {
	metrics []realMetric
	// dup is the share of logged new exposures duplicated under a fresh
	// key; omit means the engine buckets the duplicates.
	dup  float64
	omit bool
}

// realMetric is one metric's baseline and novelty, in hours from the start.
type realMetric struct {
	baseline bool
	b, psi   float64 // daily amplitude and phase at the start (radians)
	kappa    float64 // trend per hour
	novelty  bool
	nu       float64 // novelty factor
	lambda   float64 // decay rate per hour: ln 2 / half-life
	// perContext: the novelty clock is the context's own, which reads zero
	// at the exposure of a new context (the aggregate fidelity's contexts
	// are all new): the effect is nu times the effect throughout.
	perContext bool
}

// omega is the daily cycle's angular frequency per hour.
const omega = 2 * math.Pi / 24

// initRealism sets pl.real from the model (nil when no feature is set) and
// adds the duplicates' fault start to the splits.
func (pl *aggPlan) initRealism(m sim.Model) {
	r := &aggRealism{metrics: make([]realMetric, len(m.Metrics)), dup: m.Fault.DuplicateNew, omit: m.OmitVariation}
	any := r.dup > 0
	startHour := math.Mod(float64(m.Start.UnixNano())/3.6e12, 24)
	for i, mm := range m.Metrics {
		rm := &r.metrics[i]
		if b := mm.Baseline; b != nil {
			rm.baseline = true
			rm.b = b.DailyAmplitude
			rm.psi = omega * (startHour - b.PeakHour)
			rm.kappa = b.TrendPerDay / 24
			any = true
		}
		if n := mm.Novelty; n != nil && mm.Effect != 0 {
			rm.novelty = true
			rm.nu = n.Factor
			rm.lambda = math.Ln2 / n.HalfLife.Hours()
			rm.perContext = n.PerContext
			any = true
		}
	}
	if !any {
		return
	}
	pl.real = r
	if r.dup > 0 {
		pl.splits = append(pl.splits, pl.faultStart)
	}
}

// w1 is ∫ w(h)/R dh up to h: the traffic's primitive (cum divided by the
// rate, without its constant).
func (pl *aggPlan) w1(h float64) float64 {
	return h + pl.amp/omega*math.Sin(omega*h+pl.phase0)
}

// baselinePrim is ∫ (w(h)/R)·c(h) dh up to h, without a constant, where
// w/R = 1 + A·cos(ωh + φ) and c = 1 + B·cos(ωh + ψ) + κ·h.
func (pl *aggPlan) baselinePrim(rm *realMetric, h float64) float64 {
	A, phi := pl.amp, pl.phase0
	B, psi := rm.b, rm.psi
	x := omega*h + phi
	f := h + A/omega*math.Sin(x) + B/omega*math.Sin(omega*h+psi)
	if A != 0 && B != 0 {
		// cos x·cos y = ½(cos(x − y) + cos(x + y))
		f += A * B / 2 * (h*math.Cos(phi-psi) + math.Sin(2*omega*h+phi+psi)/(2*omega))
	}
	if rm.kappa != 0 {
		// ∫ h·cos(ωh + φ) = h·sin(ωh + φ)/ω + cos(ωh + φ)/ω²
		f += rm.kappa * (h*h/2 + A*(h*math.Sin(x)/omega+math.Cos(x)/(omega*omega)))
	}
	return f
}

// noveltyPrim is ∫ (w(h)/R)·e^(−λ(h − h0)) dh up to h ≥ h0, without a
// constant.
func (pl *aggPlan) noveltyPrim(rm *realMetric, h, h0 float64) float64 {
	l := rm.lambda
	e := math.Exp(-l * (h - h0))
	x := omega*h + pl.phase0
	return -e/l + pl.amp*e*(omega*math.Sin(x)-l*math.Cos(x))/(l*l+omega*omega)
}

// minSegment is the shortest segment (hours) whose means are taken from
// the primitives; shorter ones use the factors at their midpoint.
const minSegment = 1.0 / 3600

// realSegment sets s.cbar and s.gbar, per metric, for the segment [a, b)
// (ns from the start).
func (s *aggSim) realSegment(pl *aggPlan, a, b int64) {
	ha, hb := float64(a)/3.6e12, float64(b)/3.6e12
	wd := pl.w1(hb) - pl.w1(ha)
	short := hb-ha < minSegment || !(wd > 0)
	mid := (ha + hb) / 2
	for m := range pl.real.metrics {
		rm := &pl.real.metrics[m]
		s.cbar[m], s.gbar[m] = 1, 1
		if rm.baseline {
			if short {
				s.cbar[m] = 1 + rm.b*math.Cos(omega*mid+rm.psi) + rm.kappa*mid
			} else {
				s.cbar[m] = (pl.baselinePrim(rm, hb) - pl.baselinePrim(rm, ha)) / wd
			}
		}
		if rm.perContext {
			s.gbar[m] = rm.nu // every context is new: age 0 at its exposure
		} else if rm.novelty {
			h0 := float64(s.onsetOf(pl, m)) / 3.6e12
			if ha < h0 {
				continue // the effect is not on yet (group applies none)
			}
			if short {
				s.gbar[m] = 1 + (rm.nu-1)*math.Exp(-rm.lambda*(mid-h0))
			} else {
				s.gbar[m] = 1 + (rm.nu-1)*(pl.noveltyPrim(rm, hb, h0)-pl.noveltyPrim(rm, ha, h0))/wd
			}
		}
	}
}

// onsetOf is metric m's effect onset in ns from the start: its start time,
// or the start of its step.
func (s *aggSim) onsetOf(pl *aggPlan, m int) int64 {
	mt := &pl.metrics[m]
	if mt.effectStep > 0 {
		if mt.effectStep > len(s.stepStart) {
			return math.MaxInt64 // a step the schedule does not have
		}
		return s.stepStart[mt.effectStep-1]
	}
	return mt.effectStart
}

// resetRealism prepares the per-rollout realism state.
func (s *aggSim) resetRealism(pl *aggPlan) {
	if pl.real == nil {
		return
	}
	if len(s.cbar) != len(pl.metrics) {
		s.cbar = make([]float64, len(pl.metrics))
		s.gbar = make([]float64, len(pl.metrics))
	}
	if cap(s.stepStart) < len(pl.steps) {
		s.stepStart = make([]int64, len(pl.steps))
		s.dupNew = make([]float64, len(pl.steps))
	}
	s.stepStart = s.stepStart[:len(pl.steps)]
	s.dupNew = s.dupNew[:len(pl.steps)]
	for k := range s.stepStart {
		s.stepStart[k] = math.MaxInt64 // not reached
	}
	s.stepStart[0] = 0
	clear(s.dupNew)
}

// scaled is the moments of c·v for moments mo of v.
func scaled(mo stats.Moments, c float64) stats.Moments {
	return stats.Moments{N: mo.N, Shift: c * mo.Shift, Sum: c * mo.Sum, SumSq: c * c * mo.SumSq}
}

// duplicates adds the duplicate exposures of the lam expected logged
// new-variation exposures of a segment.
func (s *aggSim) duplicates(pl *aggPlan, st *rollState, step int, lam float64) {
	lam *= pl.real.dup
	if !pl.real.omit {
		s.dupGroup(pl, st, step, poisson(s.rng, lam), 1)
		return
	}
	// The engine buckets a fresh key: either arm, by the step's shares.
	sp := &pl.steps[step]
	s.dupGroup(pl, st, step, poisson(s.rng, lam*sp.wCtl), 0)
	s.dupGroup(pl, st, step, poisson(s.rng, lam*sp.wNew), 1)
}

// dupGroup adds n contexts without metric events to arm.
func (s *aggSim) dupGroup(pl *aggPlan, st *rollState, step int, n int, arm int) {
	if n == 0 {
		return
	}
	nf := float64(n)
	st.arms[arm] += int64(n)
	st.pending[arm] += nf
	if arm == 1 {
		st.stepNew += int64(n)
		s.dupNew[step] += nf
	}
	for m := range pl.metrics {
		mt := &pl.metrics[m]
		if !mt.binary && !mt.sum {
			continue // a mean metric's sample holds contexts with values only
		}
		str := &s.strata[m][step]
		if arm == 1 {
			str.B.Merge(stats.Moments{N: nf})
		} else {
			str.A.Merge(stats.Moments{N: nf})
		}
	}
}
