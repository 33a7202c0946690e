package stats

import (
	"math"
	"sort"
)

// Nonparametric anytime-valid quantile comparisons after Howard & Ramdas,
// "Sequential estimation of quantiles with applications to A/B-testing and
// best-arm identification" (Bernoulli 28(3), 2022), Theorem 5. For a
// candidate common quantile x, arm k's indicator 1{X ≤ x} is a Bernoulli
// stream centred at p under the null, so a beta-binomial mixture over it
// is a test supermartingale Mₖ(x); the product over both arms at the true
// common quantile is one too, and so is its infimum over x. The p-value is
// 1/inf_x ΠMₖ(x), valid uniformly over time.

// minimise returns the minimiser on [0, 1] of a convex function by golden
// section search to 1e-12.
func minimise(f func(float64) float64) float64 {
	const inv = 0.6180339887498949
	a, b := 0.0, 1.0
	c, d := b-inv*(b-a), a+inv*(b-a)
	fc, fd := f(c), f(d)
	for b-a > 1e-12 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - inv*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + inv*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}

// quantileArm is one arm's side of the two-sided test.
type quantileArm struct {
	x    []float64 // ascending
	n    float64
	p    float64
	mix  BetaBinomialMixture
	best float64 // minimiser a* of the log mixture over the share below
}

func newQuantileArm(sorted []float64, p float64, mix BetaBinomialMixture) quantileArm {
	q := quantileArm{x: sorted, n: float64(len(sorted)), p: p, mix: mix}
	q.best = minimise(q.logM)
	return q
}

// logM is the arm's log mixture when a share a of its values lies at or
// below the candidate quantile.
func (q quantileArm) logM(a float64) float64 {
	return q.mix.LogMixture((a-q.p)*q.n, q.p*(1-q.p)*q.n)
}

// at is inf over the empirical distribution's values at x: any share in
// [#{< x}, #{≤ x}]/n is compatible with x, and the convex log mixture is
// smallest at a* or the nearer end.
func (q quantileArm) at(x float64) float64 {
	lo := float64(sort.SearchFloat64s(q.x, x)) / q.n
	hi := float64(countLE(q.x, x)) / q.n
	return q.logM(math.Min(math.Max(q.best, lo), hi))
}

// flat is the range of x over which the arm's log mixture is at its
// minimum: [x₍⌈a*n⌉₎, x₍⌊a*n⌋+1₎].
func (q quantileArm) flat() (lo, hi float64) {
	n := len(q.x)
	i := min(n, max(1, int(math.Ceil(q.best*q.n))))
	j := min(n, max(1, int(math.Floor(q.best*q.n))+1))
	return q.x[i-1], q.x[j-1]
}

// countLE is the number of values ≤ x in an ascending slice.
func countLE(s []float64, x float64) int {
	return sort.Search(len(s), func(i int) bool { return s[i] > x })
}

// QuantileABPValue is the two-sided anytime-valid p-value of Howard &
// Ramdas' equal-quantile test (confseq QuantileABTest) for two ascending
// samples a and b and quantile p: min(1, exp(−L)) with
// L = inf_x [log M_a(x) + log M_b(x)], each arm's two-sided beta-binomial
// mixture (g = p, h = 1 − p) tuned at v_opt = tOpt·p(1−p), alphaOpt. The
// infimum is exact: it is taken over every value of either sample between
// the arms' minimising ranges (outside them both terms move the same way).
// Empty samples give 1.
func QuantileABPValue(a, b []float64, p, tOpt, alphaOpt float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 1
	}
	mix := NewBetaBinomialMixture(tOpt*p*(1-p), alphaOpt, p, 1-p, false)
	qa, qb := newQuantileArm(a, p, mix), newQuantileArm(b, p, mix)
	alo, ahi := qa.flat()
	blo, bhi := qb.flat()
	lo, hi := math.Min(alo, blo), math.Max(ahi, bhi)
	best := math.Inf(1)
	for _, s := range [][]float64{a, b} {
		for i := sort.SearchFloat64s(s, lo); i < len(s) && s[i] <= hi; i++ {
			if i > 0 && s[i] == s[i-1] {
				continue
			}
			best = math.Min(best, qa.at(s[i])+qb.at(s[i]))
		}
	}
	return math.Min(1, math.Exp(-best))
}

// QuantileShift is the null of a one-sided quantile test of arm b against
// arm a, H₀: q_b ≤ Scale·q_a + Shift for the p-quantiles (Scale 1, Shift 0:
// b's quantile is not above a's). The zero value means Scale 1.
type QuantileShift struct {
	Scale float64
	Shift float64
}

// QuantileGreaterLogE is the log of the one-sided e-value against
// H₀: q_b ≤ σ·q_a + δ for ascending samples a and b and quantile p (the
// directional form of Howard & Ramdas' Theorem 5; confseq implements only
// the two-sided test). With b's values mapped to (y − δ)/σ (monotone, so
// the null becomes q_b′ ≤ q_a), it is
// inf_x [log M_a⁺(x) + log M_b⁻(x)], where M_a⁺ is the one-sided
// beta-binomial mixture (g = p, h = 1−p) betting that a's share strictly
// below x exceeds p, and M_b⁻ the one (g = 1−p, h = p) betting that b's
// share at or below x is under p. Under H₀ at x* = q_a both are test
// supermartingales (continuous or not: P(A < x*) ≤ p ≤ P(B′ ≤ x*)), so
// exp(−LogE) is an anytime-valid p-value. Both terms are monotone in x
// (M_a⁺ rising, M_b⁻ falling), so the infimum over the merged sample
// values is found by branch and bound on value ranges. Empty samples give 0
// (no evidence).
func QuantileGreaterLogE(a, b []float64, p, tOpt, alphaOpt float64, null QuantileShift) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	sc := null.Scale
	if sc == 0 {
		sc = 1
	}
	v := p * (1 - p)
	ma := NewBetaBinomialMixture(tOpt*v, alphaOpt, p, 1-p, true)
	mb := NewBetaBinomialMixture(tOpt*v, alphaOpt, 1-p, p, true)
	na, nb := float64(len(a)), float64(len(b))
	// b′ ≤ x ⟺ b ≤ σx + δ.
	f := func(x float64) float64 { // nondecreasing in x
		c := float64(sort.SearchFloat64s(a, x))
		return ma.LogMixture(c-p*na, v*na)
	}
	g := func(x float64) float64 { // nonincreasing in x
		c := float64(countLE(b, sc*x+null.Shift))
		return mb.LogMixture(p*nb-c, v*nb)
	}
	// Candidates: every value of a and of b′, merged.
	cand := make([]float64, 0, len(a)+len(b))
	cand = append(cand, a...)
	for _, y := range b {
		cand = append(cand, (y-null.Shift)/sc)
	}
	sort.Float64s(cand)
	best := math.Inf(1)
	var search func(i, j int, fi, gj float64)
	search = func(i, j int, fi, gj float64) {
		// On [cand[i], cand[j]], f ≥ f(cand[i]) and g ≥ g(cand[j]).
		if fi+gj >= best {
			return
		}
		if j-i <= 1 {
			best = math.Min(best, math.Min(fi+g(cand[i]), f(cand[j])+gj))
			return
		}
		m := (i + j) / 2
		fm, gm := f(cand[m]), g(cand[m])
		best = math.Min(best, fm+gm)
		search(i, m, fi, gm)
		search(m, j, fm, gj)
	}
	n := len(cand)
	f0, gn := f(cand[0]), g(cand[n-1])
	best = math.Min(f0+g(cand[0]), f(cand[n-1])+gn)
	search(0, n-1, f0, gn)
	return best
}
