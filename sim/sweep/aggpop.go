package sweep

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/sim"
)

// Returning contexts (traffic.population) at aggregate fidelity.
//
// With a finite population of N contexts, each arrival a uniform draw, a
// context that returns keeps its arm and stratum (the step of its first
// analysed exposure), its per-context value becomes the mean (or sum) over
// all its exposures' events, and a binary metric counts it once however
// often it converts. The per-interval moments are then neither additive
// nor those of new contexts, and no fast draw of them per interval is
// exact. So, when returns matter, the aggregate simulator samples per
// context instead of per interval ("population mode"):
//
//   - The members' buckets are iid uniform, so the numbers of members in
//     each step's new and control ranges are drawn once per rollout
//     (sequential binomials over the bands between the steps' weights), and
//     members are numbered so that the new range of step k is [0, Lₖ) and
//     its control range the top Cₖ members: ranges only grow with the
//     schedule's percentages (non-decreasing percentages are required).
//   - The analysed arrivals of an interval are Poisson with mean the
//     interval's expected arrivals times L/N (C/N), each a uniform member of
//     its range, at a uniform time in the interval; arrivals served outside
//     the analysis are not drawn (the sweep's events ignore them).
//   - Each arrival updates its member as the engine does (engine/rollout.go):
//     attribution at the first analysed exposure (binary and sum metrics
//     count the context with value 0 from then on, mean metrics from its
//     first event), e event values per numeric metric (the distribution,
//     zeros, the member's intercept and the effect), a conversion with
//     probability rate (+ effect) per exposure whose event arrives after its
//     exponential delay (a heap of pending events); the minimum-contexts
//     counts (distinct new-arm contexts served in the step, and per metric
//     those with data in the step) follow engine/minimum.go.
//
// This is exact in distribution (numeric delays are counted at exposure as
// in the per-interval mode, which refuses those above 1% of the check
// interval), at a cost linear in the analysed arrivals, still several times
// cheaper than the event-level engine. Populations in which at most 1% of
// the horizon's exposures are expected to be returns use the per-interval
// draws (maxReturnShare); SRM faults are refused in population mode.

// maxReturnShare is the largest expected share of returning exposures for
// which the per-interval draws (every exposure a new context) are used.
const maxReturnShare = 0.01

// maxPopulation bounds the per-context state of population mode (a few
// tens of bytes per member and metric, per worker).
const maxPopulation = 50_000_000

// returnShare is the expected share of lam arrivals from a population of n
// that return to a context seen before: 1 − N·(1 − e^(−Λ/N))/Λ.
func returnShare(lam float64, n int) float64 {
	if n <= 0 || !(lam > 0) {
		return 0
	}
	nf := float64(n)
	return 1 + nf*math.Expm1(-lam/nf)/lam
}

// popPlan is the population part of an aggPlan.
type popPlan struct {
	n int
	// bands are the widths of the bucket bands, bottom to top: the new
	// range's growth at each step, the outside range at the last step, then
	// the control range's growth at each step from the last back.
	bands []float64
	// per metric: a single event's law, zero share, intercept sd, events per
	// exposure, the per-event effect, and whether it has a minimum.
	ev   []*numLaw
	zero []float64
	csd  []float64
	e    []int
	sum  []bool
	evEf []float64
	min  []bool
	mean []bool // numeric mean metrics (not binary, not sum)
	// anyMin: some metric has a minimum; timed: some binary metric has a
	// delay (arrival times are drawn only then).
	anyMin, timed bool
}

// newPopPlan returns nil when the model's population needs no per-context
// sampling, and an error when population mode cannot model it.
func newPopPlan(pl *aggPlan, p engine.Policy, m sim.Model) (*popPlan, error) {
	n := m.Traffic.Population
	if n <= 0 {
		return nil, nil
	}
	lam := pl.cum(pl.horizon)
	r := returnShare(lam, n)
	if r <= maxReturnShare {
		return nil, nil
	}
	why := fmt.Sprintf("traffic.population %d: about %.0f%% of the %.0f exposures expected over the horizon are returning contexts", n, 100*r, lam)
	if n > maxPopulation {
		return nil, fmt.Errorf("%s, which the aggregate fidelity samples per context, and it holds at most %d contexts; use the event-level fidelity", why, maxPopulation)
	}
	if pl.real != nil {
		return nil, fmt.Errorf("%s, which the aggregate fidelity samples per context, and it does not model a moving baseline, novelty effects or duplicate exposures (aggregate_realism.go) on them; use the event-level fidelity", why)
	}
	if pl.drop > 0 || pl.mis > 0 {
		return nil, fmt.Errorf("%s, and the aggregate fidelity does not model an SRM fault on returning contexts (srm_fault); use the event-level fidelity", why)
	}
	pp := &popPlan{n: n}
	prevN, prevC := 0.0, 0.0
	for i, st := range pl.steps {
		if st.wNew < prevN || st.wCtl < prevC {
			return nil, fmt.Errorf("%s, and the aggregate fidelity models them only when the new and control percentages never decrease (step %d lowers them); use the event-level fidelity", why, i+1)
		}
		pp.bands = append(pp.bands, st.wNew-prevN)
		prevN, prevC = st.wNew, st.wCtl
	}
	pp.bands = append(pp.bands, math.Max(1-prevN-prevC, 0))
	for i := len(pl.steps) - 1; i >= 0; i-- {
		lo := 0.0
		if i > 0 {
			lo = pl.steps[i-1].wCtl
		}
		pp.bands = append(pp.bands, pl.steps[i].wCtl-lo)
	}
	for i, mm := range m.Metrics {
		em := p.Metrics[i]
		e := max(mm.EventsPerExposure, 1)
		pp.ev = append(pp.ev, newNumLawAB(mm.Distribution == sim.LogNormal, mm.Mean, mm.SD, 0, 1, 1))
		pp.zero = append(pp.zero, mm.ZeroShare)
		pp.csd = append(pp.csd, mm.ContextSD)
		pp.e = append(pp.e, e)
		pp.sum = append(pp.sum, em.Aggregation == engine.Sum)
		pp.evEf = append(pp.evEf, mm.Effect)
		pp.min = append(pp.min, em.MinContexts > 0)
		pp.mean = append(pp.mean, !mm.Binary && em.Aggregation != engine.Sum)
		pp.anyMin = pp.anyMin || em.MinContexts > 0
		pp.timed = pp.timed || (mm.Binary && mm.Delay > 0)
	}
	return pp, nil
}

// popSlot is a member's value of one metric; slot 0 of each member also
// holds the member's state, valid only when epoch is the simulator's (no
// clearing between rollouts). One 32-byte slot per member and metric keeps
// an arrival to one cache line for a one-metric scenario.
type popSlot struct {
	v, icpt  float64
	count    int32
	dataStep int16 // 1 + the last step with data of this metric (0: none)
	arm      int8
	// Member state (slot 0 only).
	epoch       uint32
	stratum     int16
	lastNewStep int16 // the last step in which it was served new (−1: none)
}

// popEvent is a delayed conversion event.
type popEvent struct {
	t      int64
	member int32
	metric int32
}

// popSim is the per-worker state of population mode.
type popSim struct {
	epoch uint32
	slots []popSlot // member i's slots are [i·M, (i+1)·M)
	newLo []int     // newLo[k]: members in step k's new range [0, newLo[k])
	ctlN  []int     // ctlN[k]: members in step k's control range (the top ones)
	heap  []popEvent
	// stepData[m] counts the new-arm contexts with data of metric m in the
	// current step (metrics with a minimum).
	stepData []int
	counts   []int     // scratch: members per bucket band
	eff      []float64 // per metric: the new arm's per-event effect in the segment
}

// reset starts a rollout: a new epoch and the members' ranges.
func (ps *popSim) reset(s *aggSim, pl *aggPlan) {
	pp := pl.pop
	nm := len(pl.metrics)
	if len(ps.slots) != pp.n*nm {
		ps.slots = make([]popSlot, pp.n*nm)
		ps.epoch = 0
	}
	ps.epoch++
	if ps.epoch == 0 { // wrapped: every stale stamp could match again
		clear(ps.slots)
		ps.epoch = 1
	}
	ps.heap = ps.heap[:0]
	ps.stepData = append(ps.stepData[:0], make([]int, nm)...)
	ps.eff = append(ps.eff[:0], make([]float64, nm)...)
	k := len(pl.steps)
	ps.newLo = append(ps.newLo[:0], make([]int, k)...)
	ps.ctlN = append(ps.ctlN[:0], make([]int, k)...)
	rem, w := pp.n, 1.0
	ps.counts = append(ps.counts[:0], make([]int, len(pp.bands))...)
	counts := ps.counts
	for i, b := range pp.bands {
		c := rem
		if i < len(pp.bands)-1 && w > 0 {
			c = binomial(s.rng, rem, math.Min(b/w, 1))
		}
		counts[i] = c
		rem -= c
		w -= b
	}
	acc := 0
	for i := range k {
		acc += counts[i]
		ps.newLo[i] = acc
	}
	// The top band is the first step's control range, the one below it the
	// second step's growth, and so on.
	acc = 0
	for i := range k {
		acc += counts[len(counts)-1-i]
		ps.ctlN[i] = acc
	}
}

// popSegment draws the analysed arrivals of [a, b) (lam expected arrivals
// of all traffic) and then delivers the conversion events due before b.
func (s *aggSim) popSegment(pl *aggPlan, st *rollState, step int, a, b int64, lam float64) {
	ps := &s.pop
	pp := pl.pop
	L := float64(b - a)
	nf := float64(pp.n)
	for m := range pl.metrics {
		mt := &pl.metrics[m]
		ps.eff[m] = 0
		if mt.effect != 0 && effectOn(mt, step, a) {
			ps.eff[m] = pp.evEf[m]
		}
	}
	for arm := range 2 {
		size := ps.newLo[step]
		if arm == 0 {
			size = ps.ctlN[step]
		}
		if size == 0 {
			continue
		}
		k := poisson(s.rng, lam*float64(size)/nf)
		for range k {
			i := s.rng.IntN(size)
			if arm == 0 {
				i = pp.n - 1 - i
			}
			t := a
			if pp.timed {
				t += int64(s.rng.Float64() * L)
			}
			s.popArrive(pl, st, step, t, i, arm)
		}
	}
	for len(ps.heap) > 0 && ps.heap[0].t < b {
		ev := ps.popEvent()
		s.popConvert(pl, step, int(ev.member), int(ev.metric))
	}
}

// popArrive is one analysed exposure of member i at time t.
func (s *aggSim) popArrive(pl *aggPlan, st *rollState, step int, t int64, i, arm int) {
	ps := &s.pop
	pp := pl.pop
	r := s.rng
	nm := len(pl.metrics)
	vals := ps.slots[i*nm : (i+1)*nm]
	mb := &vals[0]
	if mb.epoch != ps.epoch {
		for m := range vals {
			vals[m] = popSlot{arm: int8(arm)}
			if c := pp.csd[m]; c > 0 {
				vals[m].icpt = c * r.NormFloat64()
			}
			if !pp.mean[m] {
				s.popMoments(m, step, arm).Add(0)
			}
		}
		mb.epoch, mb.stratum, mb.lastNewStep = ps.epoch, int16(step), -1
		st.arms[arm]++
		st.pending[arm]++
	}
	stratum := int(mb.stratum)
	if arm == 1 && int(mb.lastNewStep) != step {
		mb.lastNewStep = int16(step)
		st.stepNew++
		if pp.anyMin {
			for m := range vals {
				if pp.min[m] && int(vals[m].dataStep) == step+1 {
					ps.stepData[m]++
				}
			}
		}
	}
	for m := range vals {
		mt := &pl.metrics[m]
		eff := 0.0
		if arm == 1 {
			eff = ps.eff[m]
		}
		v := &vals[m]
		if mt.binary {
			if r.Float64() < mt.rate+eff {
				if v.v == 1 && !pp.min[m] {
					continue // converted already: nothing changes
				}
				if mt.delay == 0 {
					s.popConvert(pl, step, i, m)
				} else {
					ps.pushEvent(popEvent{t: t + 1 + int64(r.ExpFloat64()*mt.delay), member: int32(i), metric: int32(m)})
				}
			}
			continue
		}
		e := pp.e[m]
		ev := pp.ev[m]
		z := pp.zero[m]
		var sum float64
		for range e {
			if z == 0 || r.Float64() >= z {
				if ev.logNormal {
					sum += math.Exp(ev.lm + ev.ls*r.NormFloat64())
				} else {
					sum += ev.evMean + ev.evSD*r.NormFloat64()
				}
			}
		}
		ef := float64(e)
		sum += ef * (v.icpt + eff)
		mo := s.popMoments(m, stratum, arm)
		switch {
		case pp.sum[m]:
			mo.Replace(v.v, v.v+sum)
			v.v += sum
		case v.count == 0:
			nv := sum / ef
			mo.Add(nv)
			v.v = nv
		default:
			nv := v.v + (sum-ef*v.v)/(float64(v.count)+ef)
			mo.Replace(v.v, nv)
			v.v = nv
		}
		v.count += int32(e)
		if arm == 1 && pp.min[m] {
			ps.data(mb, v, m, step)
		}
	}
}

// popConvert delivers a conversion event of binary metric m for member i.
func (s *aggSim) popConvert(pl *aggPlan, step, i, m int) {
	ps := &s.pop
	nm := len(pl.metrics)
	mb := &ps.slots[i*nm]
	v := &ps.slots[i*nm+m]
	if mb.arm == 1 && pl.pop.min[m] {
		ps.data(mb, v, m, step)
	}
	if v.v == 0 {
		s.popMoments(m, int(mb.stratum), int(mb.arm)).Replace(0, 1)
		v.v = 1
	}
	v.count++
}

// data records data of metric m of new-arm member mb in the current step
// (engine/minimum.go hadData): counted at once if the member was served
// new in the step, else when it is.
func (ps *popSim) data(mb, v *popSlot, m, step int) {
	if int(v.dataStep) == step+1 {
		return
	}
	v.dataStep = int16(step + 1)
	if int(mb.lastNewStep) == step {
		ps.stepData[m]++
	}
}

func (s *aggSim) popMoments(m, stratum, arm int) *stats.Moments {
	if arm == 1 {
		return &s.strata[m][stratum].B
	}
	return &s.strata[m][stratum].A
}

// effectOn reports whether metric mt's effect applies to an exposure in
// the given step of a segment starting at a.
func effectOn(mt *aggMetric, step int, a int64) bool {
	if mt.effectStep > 0 {
		return step+1 >= mt.effectStep
	}
	return a >= mt.effectStart
}

// pushEvent and popEvent keep ps.heap a binary min-heap by time. They are
// written out rather than used through container/heap, whose Push and Pop
// pass each element as an interface value (an allocation per push) and
// whose Less and Swap are interface calls: on the same pattern sim's
// BenchmarkEventHeap measures container/heap about 2× slower with two
// allocations per push and pop. The sifts are container/heap's (same
// comparisons, same swaps), so events at equal times pop in the same order.
func (ps *popSim) pushEvent(e popEvent) {
	ps.heap = append(ps.heap, e)
	h := ps.heap
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].t <= h[i].t {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (ps *popSim) popEvent() popEvent {
	h := ps.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		c := l
		if l+1 < len(h) && h[l+1].t < h[l].t {
			c = l + 1
		}
		if h[i].t <= h[c].t {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	ps.heap = h
	return top
}
