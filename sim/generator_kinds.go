package sim

import "github.com/guardsim/guardsim/engine"

// tailOn reports whether a tail regression is active at time t (the same
// start rule as Effect: from step EffectStep, else from EffectStart).
func (g *Generator) tailOn(mm *MetricModel, t int64) bool {
	if mm.EffectStep > 0 {
		return g.cur.Step >= mm.EffectStep
	}
	return t-g.start >= int64(mm.EffectStart)
}

// scheduleRatio emits a ratio metric's component events for one exposure:
// EventsPerExposure denominator events (requests), each followed with
// probability rate + effect (rate: Rate times the baseline) by a numerator event (an error) at the same
// time, spread uniformly over [0, 2·Delay] after the exposure. mi is the
// ratio metric's index in the model (its events' queue).
func (g *Generator) scheduleRatio(t int64, i int, id uint32, mi int, rate, effect float64) {
	mm := &g.m.Metrics[mi]
	for k := 0; k < mm.EventsPerExposure; k++ {
		at := t + 1 + int64(g.rng.Float64()*2*float64(mm.Delay))
		if at >= g.end {
			continue
		}
		g.seq++
		g.pending.push(mi, pending{at: at, seq: g.seq, value: 1, id: id, ctx: uint32(i), metric: mm.DenominatorIndex, kind: engine.KindMetric})
		if g.rng.Float64() < rate+effect {
			g.seq++
			g.pending.push(mi, pending{at: at, seq: g.seq, value: 1, id: id, ctx: uint32(i), metric: mm.NumeratorIndex, kind: engine.KindMetric})
		}
	}
}
