package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Quantile statistics in the GrowthBook gbstats form (QuantileStatistic):
// the variance of a sample quantile is backed out of the width of the
// distribution-free order-statistic interval (Deng, Knoblich & Lu 2018,
// "Applying the delta method in metric analytics", §4), no density
// estimate. With raw values the grid size n* is the sample size itself.

// z975 is Φ⁻¹(0.975), the z of GrowthBook's 95% outer interval.
var z975 = distuv.UnitNormal.Quantile(0.975)

// QuantileStat is one arm's summary for quantile level Nu: N values, the
// empirical quantile Q and the lower and upper order-statistic bounds L and
// U at grid size NStar (GrowthBook's quantile_lower/quantile_upper).
type QuantileStat struct {
	Nu    float64
	N     float64
	NStar float64
	Q     float64
	L, U  float64
}

// QuantileBoundLevels are the levels of the outer-interval bounds for
// quantile nu at grid size nstar: ν ∓ z·sqrt(ν(1−ν)/n*), clamped to
// [1e-8, 1−1e-8] (GrowthBook quantile-bound-values.ts).
func QuantileBoundLevels(nu, nstar float64) (lo, hi float64) {
	se := math.Sqrt(nu * (1 - nu) / nstar)
	return math.Max(nu-z975*se, 1e-8), math.Min(nu+z975*se, 1-1e-8)
}

// QuantileMinN is the smallest sample size above which the normal
// approximation of the binomial interval for quantile nu stays inside
// (0, 1): a quantile statistic needs n > z²·max(ν/(1−ν), (1−ν)/ν)
// (GrowthBook _has_zero_variance): n > 380.3 for p99, n > 73 for p95.
func QuantileMinN(nu float64) float64 {
	z2 := z975 * z975
	return z2 * math.Max(nu/(1-nu), (1-nu)/nu)
}

// Variance is the per-observation variance of the quantile estimate (the
// analogue of s² for a mean), GrowthBook's
// (n*/n)·(n−1)·((U − L)/(2z))², floored at 1e-5 from n = 100 on; 0 when
// n ≤ 1.
func (q QuantileStat) Variance() float64 {
	if q.N <= 1 || q.NStar <= 0 {
		return 0
	}
	w := (q.U - q.L) / (2 * z975)
	v := q.NStar / q.N * (q.N - 1) * w * w
	if q.N >= 100 {
		v = math.Max(v, 1e-5)
	}
	return v
}

// Usable reports whether the statistic has enough data for a variance:
// n above QuantileMinN and distinct bounds (GrowthBook's zero-variance
// guard, negated).
func (q QuantileStat) Usable() bool {
	if q.N <= QuantileMinN(q.Nu) {
		return false
	}
	if q.N <= 1 || q.NStar <= 0 {
		return false
	}
	w := (q.U - q.L) / (2 * z975)
	return q.NStar/q.N*(q.N-1)*w*w > 0
}

// SE2 is the squared standard error of the arm's quantile, Variance/N.
func (q QuantileStat) SE2() float64 {
	if q.N <= 0 {
		return math.Inf(1)
	}
	return q.Variance() / q.N
}

// OrderStatIndex returns the 1-based order-statistic indices of the
// empirical quantile (⌊nν⌋+1) and of the bounds at levels lo and hi
// (⌊n·lo⌋+1 and ⌈n·hi⌉, confseq demo convention), clamped to [1, n].
func OrderStatIndex(n int, nu, lo, hi float64) (iq, il, iu int) {
	clamp := func(i int) int { return max(1, min(n, i)) }
	fn := float64(n)
	return clamp(int(math.Floor(fn*nu)) + 1), clamp(int(math.Floor(fn*lo)) + 1), clamp(int(math.Ceil(fn * hi)))
}

// QuantileFromSorted summarises an ascending sample for quantile nu with
// n* = n: Q = x₍⌊nν⌋+1₎, L and U the order statistics at the
// QuantileBoundLevels. An empty sample gives N = 0.
func QuantileFromSorted(sorted []float64, nu float64) QuantileStat {
	n := len(sorted)
	q := QuantileStat{Nu: nu, N: float64(n), NStar: float64(n)}
	if n == 0 {
		return q
	}
	lo, hi := QuantileBoundLevels(nu, float64(n))
	iq, il, iu := OrderStatIndex(n, nu, lo, hi)
	q.Q, q.L, q.U = sorted[iq-1], sorted[il-1], sorted[iu-1]
	return q
}

// QuantileDiff is the difference of arm quantiles new − original (b − a)
// with its standard error: absolute sqrt(V_a/n_a + V_b/n_b), or relative
// (q_b − q_a)/|q_a| with the delta-method standard error (GrowthBook
// variance_of_ratios, zero covariance). The standard error is +Inf when
// either arm is not Usable (or q_a = 0 for the relative scale).
func QuantileDiff(a, b QuantileStat, scale Scale) (est, se float64) {
	est = b.Q - a.Q
	if scale == Relative {
		if a.Q == 0 {
			return 0, math.Inf(1)
		}
		est = est / math.Abs(a.Q)
	}
	if !a.Usable() || !b.Usable() {
		return est, math.Inf(1)
	}
	if scale == Relative {
		return est, math.Sqrt(VarianceOfRatios(b.Q, b.SE2(), a.Q, a.SE2(), 0))
	}
	return est, math.Sqrt(a.SE2() + b.SE2())
}

// VarianceOfRatios is the delta-method variance of x/y for estimates x and
// y with variances vx and vy and covariance cov (gbstats
// variance_of_ratios): vx/y² + vy·x²/y⁴ − 2·cov·x/y³.
func VarianceOfRatios(x, vx, y, vy, cov float64) float64 {
	y2 := y * y
	return vx/y2 + vy*x*x/(y2*y2) - 2*cov*x/(y2*y)
}
