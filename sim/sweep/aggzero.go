package sweep

import (
	"math"
	"math/rand/v2"

	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/sim"
)

// Zero-inflated numeric metrics (sim.MetricModel.ZeroShare, e.g. revenue:
// 95% of exposures buy nothing, the others a log-normal amount).
//
// Each event value is 0 with probability z and a draw X of the metric's
// distribution otherwise, so a context's value is
// V = a·Z + b·(X₁ + … + X_T) with T ~ Binomial(e, 1 − z) the number of its
// non-zero events. Given T = t, V has exactly the law of a metric with t
// events of the distribution (and the same a, b): normal for normal events
// (exact draws), the split sampler or exact simulation for log-normal ones
// (aggnumeric.go). So a draw of n contexts splits n multinomially over
// t = 0 … e (sequential binomials), draws each group from its conditional
// law, and pools the groups' moments: exact for normal events, as exact as
// the log-normal sampler otherwise. The cost is e + 1 group draws, not n.

// zeroMix is the mixture over the number of non-zero events.
type zeroMix struct {
	// cond[t] is P(T = t | T ≥ t) for t < e: the sequential binomial
	// probabilities of the multinomial split.
	cond []float64
	// groups[t] is the law of V given T = t.
	groups []*numLaw
}

// newMetricLaw is the law of a numeric metric model's per-context value.
func newMetricLaw(mm sim.MetricModel, e int, sum bool) *numLaw {
	logNormal := mm.Distribution == sim.LogNormal
	if mm.ZeroShare <= 0 {
		return newNumLaw(logNormal, mm.Mean, mm.SD, mm.ContextSD, e, sum)
	}
	return newZeroLaw(logNormal, mm.Mean, mm.SD, mm.ContextSD, e, sum, mm.ZeroShare)
}

// newZeroLaw is newNumLaw with each event value zero with probability z.
func newZeroLaw(logNormal bool, mean, sd, contextSD float64, e int, sum bool, z float64) *numLaw {
	a, b := valueCoefs(contextSD, e, sum)
	ef := float64(e)
	q := 1 - z
	l := &numLaw{e: e, a: a, b: b, evMean: mean, evSD: sd}
	l.mu = b * ef * q * mean
	// Var X = (1 − z)·sd² + z(1 − z)·mean² for a zero-inflated event.
	l.sigma2 = a*a + b*b*ef*(q*sd*sd+z*q*mean*mean)
	mix := &zeroMix{cond: make([]float64, e), groups: make([]*numLaw, e+1)}
	surv := 1.0 // P(T ≥ t)
	for t := 0; t <= e; t++ {
		mix.groups[t] = newNumLawAB(logNormal, mean, sd, a, b, t)
		if t == e {
			break
		}
		lc, _ := math.Lgamma(ef + 1)
		l1, _ := math.Lgamma(float64(t) + 1)
		l2, _ := math.Lgamma(ef - float64(t) + 1)
		pmf := math.Exp(lc - l1 - l2 + float64(t)*math.Log(q) + (ef-float64(t))*math.Log(z))
		if surv > 0 {
			mix.cond[t] = math.Min(pmf/surv, 1)
		}
		surv -= pmf
	}
	l.zero = mix
	return l
}

// draw returns the moments of n contexts' values (effect eff added), with
// shift mu.
func (z *zeroMix) draw(r *rand.Rand, n int, eff, mu float64) stats.Moments {
	var s, q float64
	rem := n
	last := len(z.groups) - 1
	for t := 0; t <= last && rem > 0; t++ {
		c := rem
		if t < last {
			c = binomial(r, rem, z.cond[t])
		}
		rem -= c
		if c == 0 {
			continue
		}
		mo := z.groups[t].draw(r, c, eff)
		// The group's deviations from its own mean, re-centred on mu.
		d := mo.Shift - mu
		s += mo.Sum + mo.N*d
		q += mo.SumSq + 2*d*mo.Sum + mo.N*d*d
	}
	return stats.Moments{N: float64(n), Shift: mu, Sum: s, SumSq: q}
}
