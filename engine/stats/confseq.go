package stats

import "math"

// Rho is the normal-mixture parameter tuned for a target sample size nstar
// (GrowthBook sequential_rho): ρ = sqrt((−2 ln α' + ln(1 − 2 ln α'))/N*),
// with α' = 2α for a one-sided sequence and α' = α for a two-sided one.
func Rho(nstar, alpha float64, oneSided bool) float64 {
	a := alpha
	if oneSided {
		a = 2 * alpha
	}
	l := -2 * math.Log(a)
	return math.Sqrt((l + math.Log(1+l)) / nstar)
}

// HalfWidthTwoSided is the two-sided asymptotic confidence-sequence
// half-width for a difference with per-unit variance s2 (= n·V) after n
// units: sqrt(s2)·sqrt(2(nρ²+1)/(n²ρ²)·ln(sqrt(nρ²+1)/α)).
func HalfWidthTwoSided(s2, n, rho, alpha float64) float64 {
	r2 := rho * rho
	return math.Sqrt(s2) * math.Sqrt(2*(n*r2+1)/(n*n*r2)*math.Log(math.Sqrt(n*r2+1)/alpha))
}

// HalfWidthOneSided is the one-sided half-width:
// sqrt(s2·2(nρ²+1)/(n²ρ²)·ln(1 + sqrt(nρ²+1)/(2α))). Use ρ from
// Rho(nstar, alpha, true).
func HalfWidthOneSided(s2, n, rho, alpha float64) float64 {
	r2 := rho * rho
	return math.Sqrt(s2 * 2 * (n*r2 + 1) / (n * n * r2) * math.Log(1+math.Sqrt(n*r2+1)/(2*alpha)))
}

// OneSidedPValue is the closed-form one-sided always-valid p-value for the
// null "the difference is not on the tested side", where d is the estimate
// measured towards the tested side (positive = evidence against the null):
// p = sqrt(nρ²+1)/(2(e^L − 1)), L = d²n²ρ²/(2 s2 (nρ²+1)). It is 1 when d ≤ 0
// and is capped at 1. It is the smallest α whose one-sided bound
// (HalfWidthOneSided with the same ρ) excludes zero.
func OneSidedPValue(d, s2, n, rho float64) float64 {
	if d <= 0 || s2 <= 0 || n <= 0 {
		if d > 0 && s2 == 0 {
			return 0
		}
		return 1
	}
	r2 := rho * rho
	l := d * d * n * n * r2 / (2 * s2 * (n*r2 + 1))
	p := math.Sqrt(n*r2+1) / (2 * math.Expm1(l))
	if p > 1 || math.IsNaN(p) {
		return 1
	}
	return p
}

// TwoSidedPValue is the two-sided always-valid p-value min(1, 1/e) with
// e = exp(ρ²·st²/(2(nρ²+1)))/sqrt(nρ²+1), st² = d²·n²/s2 (GrowthBook
// SequentialTwoSidedTTest.p_value: st² = d²·n/SE² with SE² = s2/n). It is
// ≤ α exactly when the two-sided interval (HalfWidthTwoSided, same ρ)
// excludes zero.
func TwoSidedPValue(d, s2, n, rho float64) float64 {
	if s2 <= 0 || n <= 0 {
		return 1
	}
	r2 := rho * rho
	st2 := d * d * n * n / s2
	logE := r2*st2/(2*(n*r2+1)) - 0.5*math.Log(n*r2+1)
	if logE <= 0 {
		return 1
	}
	return math.Exp(-logE)
}
