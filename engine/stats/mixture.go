package stats

import "math"

// This file holds the normal-mixture family in its other two
// parameterisations (reference §1.3–1.4): Howard et al.'s confseq boundaries
// in intrinsic time v, and the mSPRT of Johari et al. in the paired-stream
// and estimator (V) forms. With τ² = ρ²s² and V = s²/n the V form gives the
// same interval as HalfWidthTwoSided; with v = 1/V and ρ̃ = 1/τ² the confseq
// two-sided bound in the sum S = v·Δ̂ is the same again.

// normCDF is the standard normal distribution function Φ.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normPDF is the standard normal density φ.
func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// logNormCDF is ln Φ(x), accurate in the far lower tail.
func logNormCDF(x float64) float64 {
	if x > -30 {
		return math.Log(normCDF(x))
	}
	// Mills-ratio expansion: Φ(x) = φ(x)/|x|·(1 − 1/x² + 3/x⁴ − 15/x⁶ + 105/x⁸ …).
	r := 1 / (x * x)
	return -x*x/2 - math.Log(-x) - 0.5*math.Log(2*math.Pi) + math.Log1p(r*(-1+r*(3+r*(-15+r*105))))
}

// ConfseqBestRho is confseq's best_rho(v_opt, α) = v_opt/(2 ln(1/α) +
// ln(1 + 2 ln(1/α))): the mixture precision ρ̃ whose two-sided boundary is
// tightest at intrinsic time v_opt. A one-sided mixture uses 2α.
func ConfseqBestRho(vOpt, alpha float64) float64 {
	l := 2 * math.Log(1/alpha)
	return vOpt / (l + math.Log1p(l))
}

// NormalLogMixture is the log of the normal-mixture supermartingale at sum s
// and intrinsic time v with mixture precision rho (confseq
// normal_log_mixture): two-sided ½ln(ρ/(v+ρ)) + s²/(2(v+ρ)); one-sided
// ½ln(4ρ/(v+ρ)) + s²/(2(v+ρ)) + ln Φ(s/sqrt(v+ρ)).
func NormalLogMixture(s, v, rho float64, oneSided bool) float64 {
	vr := v + rho
	if oneSided {
		return 0.5*math.Log(4*rho/vr) + s*s/(2*vr) + logNormCDF(s/math.Sqrt(vr))
	}
	return 0.5*math.Log(rho/vr) + s*s/(2*vr)
}

// NormalMixtureBound is the smallest s at which NormalLogMixture reaches
// ln(1/α) (confseq normal_mixture_bound): in closed form
// sqrt((v+ρ)(ln(1 + v/ρ) + 2 ln(1/α))) for the two-sided mixture, and by
// bisection for the one-sided one (to a relative 1e-14).
func NormalMixtureBound(v, alpha, rho float64, oneSided bool) float64 {
	if !oneSided {
		return math.Sqrt((v + rho) * (math.Log1p(v/rho) + 2*math.Log(1/alpha)))
	}
	target := math.Log(1 / alpha)
	f := func(s float64) float64 { return NormalLogMixture(s, v, rho, true) - target }
	// f is increasing in s; f(0) = ½ln(ρ/(v+ρ)) < 0 and the GrowthBook
	// closed form is an upper bound on the root.
	lo, hi := 0.0, NormalMixtureBoundGrowthBook(v, alpha, rho)
	for f(hi) < 0 {
		lo, hi = hi, 2*hi
	}
	for range 200 {
		mid := (lo + hi) / 2
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-14*hi {
			break
		}
	}
	return (lo + hi) / 2
}

// NormalMixtureBoundGrowthBook is GrowthBook's closed-form one-sided bound
// in confseq's terms, sqrt(2(v+ρ)·ln(1 + sqrt((v+ρ)/ρ)/(2α))): a slightly
// conservative analytic bound on the exact one-sided NormalMixtureBound.
// HalfWidthOneSided is this bound divided by v = n/s².
func NormalMixtureBoundGrowthBook(v, alpha, rho float64) float64 {
	return math.Sqrt(2 * (v + rho) * math.Log1p(math.Sqrt((v+rho)/rho)/(2*alpha)))
}

// CalcTau2 is the mixing variance τ² of Johari et al. (mixtureSPRT
// calcTau, unrounded, returned as τ²) for significance alpha, per-pair
// standard deviation sigma and truncation (maximum sample) m:
// b = 2 ln(1/α)/sqrt(m σ²), τ² = σ²Φ(−b)/(φ(b)/b − Φ(−b)).
func CalcTau2(alpha, sigma, m float64) float64 {
	s2 := sigma * sigma
	b := 2 * math.Log(1/alpha) / math.Sqrt(m*s2)
	return s2 * normCDF(-b) / (normPDF(b)/b - normCDF(-b))
}

// MSPRTPaired is the mSPRT likelihood ratio Λₙ after each pair n = 1…len(x)
// for the paired normal stream zᵢ = xᵢ − yᵢ with known per-observation
// standard deviation sigma, null mean theta0 and mixing variance tau2
// (mixtureSPRT mSPRT.default):
// Λₙ = sqrt(2σ²/(2σ²+nτ²))·exp(n²τ²(z̄ₙ−θ₀)²/(4σ²(2σ²+nτ²))).
// x and y must have the same length.
func MSPRTPaired(x, y []float64, sigma, tau2, theta0 float64) []float64 {
	out := make([]float64, len(x))
	s2 := sigma * sigma
	var sum float64
	for i := range x {
		sum += x[i] - y[i]
		n := float64(i + 1)
		dz := sum/n - theta0
		den := 2*s2 + n*tau2
		out[i] = math.Sqrt(2*s2/den) * math.Exp(n*n*tau2*dz*dz/(4*s2*den))
	}
	return out
}

// RunningMinP is the always-valid p-value sequence pₙ = min(pₙ₋₁, 1/Λₙ),
// p₀ = 1, for a sequence of likelihood ratios (e-values).
func RunningMinP(lambdas []float64) []float64 {
	out := make([]float64, len(lambdas))
	p := 1.0
	for i, l := range lambdas {
		if q := 1 / l; q < p {
			p = q
		}
		out[i] = p
	}
	return out
}

// MSPRTVForm is the mSPRT in estimator form for an estimate d with variance
// v and mixing variance tau2 (metric units², τ² = ρ²s² in the GrowthBook
// parameterisation): Λ = sqrt(v/(v+τ²))·exp(τ²d²/(2v(v+τ²))), the
// single-look p-value min(1, 1/Λ) and the interval
// d ± sqrt(v(v+τ²)/τ²·(ln((v+τ²)/v) − 2 ln α)).
func MSPRTVForm(d, v, tau2, alpha float64) (lo, hi, p, lambda float64) {
	vt := v + tau2
	lambda = math.Sqrt(v/vt) * math.Exp(tau2*d*d/(2*v*vt))
	p = math.Min(1, 1/lambda)
	hw := math.Sqrt(v * vt / tau2 * (math.Log(vt/v) - 2*math.Log(alpha)))
	return d - hw, d + hw, p, lambda
}
