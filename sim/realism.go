package sim

import (
	"math"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Realistic traffic: a metric baseline that moves over time, novelty
// effects, and duplicate exposures of the new variation. Each is off
// unless set, and then costs nothing: a model without them draws exactly
// the same stream as before they existed.

// Baseline makes a metric's untreated level move over time: at time t its
// values (numeric) or conversion probability (binary and ratio) are
// multiplied by
//
//	c(t) = 1 + DailyAmplitude·cos(2π(hour − PeakHour)/24) + TrendPerDay·days
//
// with hour the UTC hour of t and days the time since the rollout's start
// in days. The factor applies to a context's whole untreated value (event
// values and its intercept); an injected effect is added after it, so an
// A/A rollout stays A/A. c is evaluated at the exposure.
type Baseline struct {
	DailyAmplitude float64 `json:",omitempty"`
	PeakHour       float64 `json:",omitempty"`
	TrendPerDay    float64 `json:",omitempty"`
}

// Novelty makes an effect change with its age a: at age a the effect is
//
//	Effect · (1 + (Factor − 1)·2^(−a/HalfLife))
//
// so it starts at Factor·Effect and tends to Effect. Factor > 1 is a
// novelty effect that wears off; Factor < 1 (0: none at first) an effect
// that grows as users learn, or as caches and queues fill. The age is the
// time since the effect's onset (its start time, or the start of its step)
// — how long the change has been live — or, with PerContext, the time
// since the context's own first exposure to the new variation with the
// effect on (users get used to what they have seen; with every arrival a
// new context, that age is always zero).
type Novelty struct {
	Factor     float64
	HalfLife   time.Duration
	PerContext bool `json:",omitempty"`
}

// multiplier is the novelty multiple of the effect at age (ns) after onset.
func (n *Novelty) multiplier(age int64) float64 {
	if age < 0 {
		age = 0
	}
	return 1 + (n.Factor-1)*math.Exp2(-float64(age)/float64(n.HalfLife))
}

// factor is c(t) at UTC hour hour, days days after the start.
func (b *Baseline) factor(hour, days float64) float64 {
	c := 1.0
	if b.DailyAmplitude != 0 {
		c += b.DailyAmplitude * math.Cos(2*math.Pi*(hour-b.PeakHour)/24)
	}
	return c + b.TrendPerDay*days
}

// Range is the least and largest value c(t) can take over a horizon.
func (b *Baseline) Range(horizon time.Duration) (lo, hi float64) {
	trend := b.TrendPerDay * horizon.Hours() / 24
	a := math.Abs(b.DailyAmplitude)
	return 1 - a + min(trend, 0), 1 + a + max(trend, 0)
}

// validateRealism checks one metric's baseline and novelty (p names the
// metric in errors).
func (mm *MetricModel) validateRealism(p string, horizon time.Duration, check func(bool, string, ...any)) {
	if b := mm.Baseline; b != nil {
		check(b.DailyAmplitude >= 0 && b.DailyAmplitude < 1, "%s.baseline.daily_amplitude %g must be in [0, 1)", p, b.DailyAmplitude)
		check(b.PeakHour >= 0 && b.PeakHour < 24, "%s.baseline.peak_hour %g must be in [0, 24)", p, b.PeakHour)
		check(!math.IsNaN(b.TrendPerDay) && !math.IsInf(b.TrendPerDay, 0), "%s.baseline.trend_per_day %g must be finite", p, b.TrendPerDay)
		lo, hi := b.Range(horizon)
		check(lo > 0, "%s.baseline: the level falls to %.3g of the mean within the horizon %v (daily_amplitude %g, trend_per_day %g); it must stay positive", p, lo, horizon, b.DailyAmplitude, b.TrendPerDay)
		if mm.Binary || mm.Ratio {
			elo, ehi := mm.effectRange()
			check(mm.Rate*lo+elo >= 0 && mm.Rate*hi+ehi <= 1, "%s.baseline: rate %g times the baseline's range [%.3g, %.3g] plus the effect leaves [0, 1]", p, mm.Rate, lo, hi)
		}
	}
	if n := mm.Novelty; n != nil {
		check(n.HalfLife > 0, "%s.regression.novelty_half_life %v must be positive", p, n.HalfLife)
		check(n.Factor >= 0 && !math.IsInf(n.Factor, 0), "%s.regression.novelty %g must be a finite number ≥ 0", p, n.Factor)
		if (mm.Binary || mm.Ratio) && mm.Baseline == nil {
			elo, ehi := mm.effectRange()
			check(mm.Rate+elo >= 0 && mm.Rate+ehi <= 1, "%s.regression.novelty: rate %g plus novelty × effect (%g to %g) leaves [0, 1]", p, mm.Rate, elo, ehi)
		}
	}
}

// effectRange is the least and largest effect (0 included) under novelty.
func (mm *MetricModel) effectRange() (lo, hi float64) {
	lo, hi = min(mm.Effect, 0), max(mm.Effect, 0)
	if n := mm.Novelty; n != nil {
		e := mm.Effect * n.Factor
		lo, hi = min(lo, e), max(hi, e)
	}
	return lo, hi
}

// realism is the generator's state for the realism features.
type realism struct {
	// stepStart[s] is when step s (1-based) began, as far as the
	// generator has seen the allocation change (for step-based onsets).
	stepStart []int64
	dups      int
	// first[mi][i] is when context i was first served the new variation
	// with metric mi's effect on (per-context novelty; MinInt64: not yet).
	first [][]int64
}

// noteAllocation records the start of the steps the rollout entered: the
// check that advanced it happened at prevUntil (the previous allocation's
// end), or at the start for the first allocation.
func (g *Generator) noteAllocation(prevUntil int64) {
	at := prevUntil
	if at == math.MinInt64 {
		at = g.start
	}
	for len(g.real.stepStart) <= g.cur.Step {
		g.real.stepStart = append(g.real.stepStart, at)
	}
}

// baselineAt is metric mm's baseline factor at time t (1 without one).
func (g *Generator) baselineAt(mm *MetricModel, t int64) float64 {
	if mm.Baseline == nil {
		return 1
	}
	return mm.Baseline.factor(mod24(float64(t)/3.6e12), float64(t-g.start)/8.64e13)
}

// noveltyAt is the novelty multiple of metric mi's effect on context i at
// time t (the effect is on and the context served the new variation).
func (g *Generator) noveltyAt(mm *MetricModel, mi, i int, t int64) float64 {
	if mm.Novelty.PerContext {
		return mm.Novelty.multiplier(t - g.firstNew(mi, i, t))
	}
	onset := g.start + int64(mm.EffectStart)
	if mm.EffectStep > 0 {
		onset = g.start
		if s := mm.EffectStep; s < len(g.real.stepStart) {
			onset = g.real.stepStart[s]
		}
	}
	return mm.Novelty.multiplier(t - onset)
}

// firstNew is when context i was first served the new variation with
// metric mi's effect on, recording t if this is the first time.
func (g *Generator) firstNew(mi, i int, t int64) int64 {
	if g.real.first == nil {
		g.real.first = make([][]int64, len(g.m.Metrics))
	}
	f := g.real.first[mi]
	for len(f) <= i {
		f = append(f, math.MinInt64)
	}
	g.real.first[mi] = f
	if f[i] == math.MinInt64 {
		f[i] = t
	}
	return f[i]
}

// duplicate logs a second exposure of the new variation at t+1 under a
// fresh context key, without metric events, with probability
// Fault.DuplicateNew: a page that reloads after a redirect and loses its
// anonymous key, or a bot following a link only the new variation shows.
func (g *Generator) duplicate(t int64, logged engine.Variation) {
	if g.rng.Float64() >= g.m.Fault.DuplicateNew || t+1 >= g.end {
		return
	}
	g.real.dups++
	g.seq++
	var id uint32 // no ID without a population: the contexts' IDs are unbounded
	if g.m.Traffic.Population > 0 {
		g.dupIDs++
		id = g.dupIDs
	}
	g.pending.push(len(g.m.Metrics), pending{at: t + 1, seq: g.seq, id: id, ctx: uint32(g.real.dups), kind: engine.KindExposure, variation: logged, dup: true})
}
