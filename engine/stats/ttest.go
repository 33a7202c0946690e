package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Alternative is the alternative hypothesis of a test of treatment (B)
// against control (A).
type Alternative int

const (
	// TwoSided tests B ≠ A; the interval is two-sided.
	TwoSided Alternative = iota
	// Greater tests B > A (GrowthBook "treatment greater"); the interval is
	// (Lo, +Inf).
	Greater
	// Less tests B < A (GrowthBook "treatment lesser"); the interval is
	// (−Inf, Hi).
	Less
)

// Scale selects the effect scale.
type Scale int

const (
	// Absolute is the difference of means B − A.
	Absolute Scale = iota
	// Relative is the lift B/A − 1 with a delta-method standard error.
	Relative
)

// Result is an effect estimate with its standard error, interval and
// p-value. One-sided intervals have an infinite end.
type Result struct {
	Estimate float64
	SE       float64
	Lo, Hi   float64
	P        float64
}

// uninformative is the result when the variance is not positive.
func uninformative(est float64) Result {
	return Result{Estimate: est, Lo: math.Inf(-1), Hi: math.Inf(1), P: 1}
}

// RelativeDiff is the relative lift B/A − 1 and its delta-method standard
// error (GrowthBook variance_of_ratios with zero covariance):
// Var = s²B/(nB·ȳA²) + s²A·ȳB²/(nA·ȳA⁴). It returns (0, +Inf) when the
// control mean is zero or an arm is empty.
func RelativeDiff(a, b Moments) (lift, se float64) {
	ma, mb := a.Mean(), b.Mean()
	if ma == 0 || a.N == 0 || b.N == 0 {
		return 0, math.Inf(1)
	}
	v := b.Var()/(b.N*ma*ma) + a.Var()*mb*mb/(a.N*ma*ma*ma*ma)
	return mb/ma - 1, math.Sqrt(v)
}

// Difference is the effect B − A (Absolute) or B/A − 1 (Relative) and its
// standard error; the absolute one is sqrt(s²A/nA + s²B/nB). An empty arm
// gives an infinite standard error.
func Difference(a, b Moments, scale Scale) (est, se float64) {
	if scale == Relative {
		return RelativeDiff(a, b)
	}
	if a.N == 0 || b.N == 0 {
		return b.Mean() - a.Mean(), math.Inf(1)
	}
	return b.Mean() - a.Mean(), math.Sqrt(a.Var()/a.N + b.Var()/b.N)
}

// WelchDF is the Welch–Satterthwaite degrees of freedom
// (s²A/nA + s²B/nB)² / ((s²A/nA)²/(nA−1) + (s²B/nB)²/(nB−1)).
func WelchDF(a, b Moments) float64 {
	va, vb := a.Var()/a.N, b.Var()/b.N
	return (va + vb) * (va + vb) / (va*va/(a.N-1) + vb*vb/(b.N-1))
}

// WelchT is the fixed-horizon unequal-variance t-test and interval of
// GrowthBook's frequentist TTest family, at level alpha: Student t with
// WelchDF degrees of freedom on the absolute or relative effect (the
// relative test uses the delta-method SE and the same df). It is not valid
// under repeated looks; it is the baseline the sequential tests are
// compared with.
func WelchT(a, b Moments, alt Alternative, alpha float64, scale Scale) Result {
	est, se := Difference(a, b, scale)
	if !(se > 0) || math.IsInf(se, 1) || a.N < 2 || b.N < 2 {
		return uninformative(est)
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: WelchDF(a, b)}
	stat := est / se
	r := Result{Estimate: est, SE: se}
	switch alt {
	case Greater:
		r.Lo, r.Hi = est-t.Quantile(1-alpha)*se, math.Inf(1)
		r.P = t.Survival(stat)
	case Less:
		r.Lo, r.Hi = math.Inf(-1), est+t.Quantile(1-alpha)*se
		r.P = t.CDF(stat)
	default:
		w := t.Quantile(1-alpha/2) * se
		r.Lo, r.Hi = est-w, est+w
		r.P = 2 * t.Survival(math.Abs(stat))
	}
	return r
}

// SequentialCS is GrowthBook's sequential (asymptotic confidence-sequence)
// test on the absolute or relative effect: n = nA + nB, s² = n·SE², ρ from
// Rho(nstar, alpha, one-sided). Two-sided: interval ± HalfWidthTwoSided and
// the e-value p-value TwoSidedPValue. One-sided: interval with
// HalfWidthOneSided and the closed-form OneSidedPValue (the exact inversion
// of the interval; GrowthBook reports the bisection value
// OneSidedPValueGrowthBook instead).
func SequentialCS(a, b Moments, alt Alternative, alpha, nstar float64, scale Scale) Result {
	est, se := Difference(a, b, scale)
	if !(se > 0) || math.IsInf(se, 1) {
		return uninformative(est)
	}
	n := a.N + b.N
	s2 := se * se * n
	r := Result{Estimate: est, SE: se}
	switch alt {
	case Greater, Less:
		rho := Rho(nstar, alpha, true)
		hw := HalfWidthOneSided(s2, n, rho, alpha)
		if alt == Greater {
			r.Lo, r.Hi = est-hw, math.Inf(1)
			r.P = OneSidedPValue(est, s2, n, rho)
		} else {
			r.Lo, r.Hi = math.Inf(-1), est+hw
			r.P = OneSidedPValue(-est, s2, n, rho)
		}
	default:
		rho := Rho(nstar, alpha, false)
		hw := HalfWidthTwoSided(s2, n, rho, alpha)
		r.Lo, r.Hi = est-hw, est+hw
		r.P = TwoSidedPValue(est, s2, n, rho)
	}
	return r
}

// GrowthBook's one-sided p-value search range (gbstats compute_p_value).
const (
	gbMinAlpha = 1e-5
	gbMaxAlpha = 0.4999
)

// OneSidedPValueGrowthBook reproduces GrowthBook's one-sided sequential
// p-value: bisection over α ∈ [1e-5, 0.4999] with ρ held fixed, for the
// α at which the one-sided bound d − HalfWidthOneSided(s2, n, ρ, α) reaches
// 0, stopping when the bound is within 1e-6 of 0 or after 100 iterations
// and returning the midpoint of the final bracket.
// d is the estimate measured towards the tested side, as in OneSidedPValue.
// It returns 1e-5 when the bound already excludes 0 at α = 1e-5 and 0.4999
// when it does not exclude 0 at α = 0.4999. Because the stopping rule is on
// the bound, not on α, it differs from OneSidedPValue by up to about 1e-4.
func OneSidedPValueGrowthBook(d, s2, n, rho float64) float64 {
	bound := func(a float64) float64 { return d - HalfWidthOneSided(s2, n, rho, a) }
	if bound(gbMinAlpha) > 0 {
		return gbMinAlpha
	}
	if !(bound(gbMaxAlpha) > 0) {
		return gbMaxAlpha
	}
	// Like GrowthBook, the bracket is updated before the stopping test and
	// the midpoint of the final bracket is returned.
	lo, hi := gbMinAlpha, gbMaxAlpha
	for range 100 {
		mid := (lo + hi) / 2
		b := bound(mid)
		if b > 0 {
			hi = mid
		} else {
			lo = mid
		}
		if math.Abs(b) < 1e-6 {
			break
		}
	}
	return (lo + hi) / 2
}
