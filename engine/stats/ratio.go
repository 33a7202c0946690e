package stats

import "math"

// RatioMoments are the summable sufficient statistics of a ratio metric
// over units (contexts), each with a numerator m and a denominator d
// (gbstats RatioStatistic): n, Σm, Σm², Σd, Σd² and Σm·d.
type RatioMoments struct {
	N      float64
	SumM   float64
	SumSqM float64
	SumD   float64
	SumSqD float64
	SumMD  float64
}

// Add adds one unit with numerator m and denominator d.
func (r *RatioMoments) Add(m, d float64) {
	r.N++
	r.SumM += m
	r.SumSqM += m * m
	r.SumD += d
	r.SumSqD += d * d
	r.SumMD += m * d
}

// Replace changes one unit already in the sample from (om, od) to (m, d).
func (r *RatioMoments) Replace(om, od, m, d float64) {
	r.SumM += m - om
	r.SumSqM += m*m - om*om
	r.SumD += d - od
	r.SumSqD += d*d - od*od
	r.SumMD += m*d - om*od
}

// Merge adds another sample's moments (gbstats RatioStatistic.__add__).
func (r *RatioMoments) Merge(o RatioMoments) {
	r.N += o.N
	r.SumM += o.SumM
	r.SumSqM += o.SumSqM
	r.SumD += o.SumD
	r.SumSqD += o.SumSqD
	r.SumMD += o.SumMD
}

// Numerator and Denominator are the component moments.
func (r RatioMoments) Numerator() Moments { return Moments{N: r.N, Sum: r.SumM, SumSq: r.SumSqM} }

// Denominator: see Numerator.
func (r RatioMoments) Denominator() Moments { return Moments{N: r.N, Sum: r.SumD, SumSq: r.SumSqD} }

// Cov is the unbiased numerator–denominator covariance
// (Σmd − ΣmΣd/n)/(n−1), 0 when n ≤ 1 (gbstats compute_covariance).
func (r RatioMoments) Cov() float64 {
	if r.N <= 1 {
		return 0
	}
	return (r.SumMD - r.SumM*r.SumD/r.N) / (r.N - 1)
}

// Ratio is Σm/Σd (0 when Σd = 0).
func (r RatioMoments) Ratio() float64 {
	if r.SumD == 0 {
		return 0
	}
	return r.SumM / r.SumD
}

// UnitVar is the per-unit delta-method variance of the ratio,
// var_m/d̄² + var_d·m̄²/d̄⁴ − 2·cov·m̄/d̄³ (0 when d̄ = 0 or n ≤ 1); the
// squared standard error of Ratio is UnitVar/n. Like gbstats it uses the
// component variances as computed, without clamping each at zero (so
// inconsistent summaries such as the gbstats test data reproduce); only
// the result is floored at zero.
func (r RatioMoments) UnitVar() float64 {
	if r.N <= 1 || r.SumD == 0 {
		return 0
	}
	vm := (r.SumSqM - r.SumM*r.SumM/r.N) / (r.N - 1)
	vd := (r.SumSqD - r.SumD*r.SumD/r.N) / (r.N - 1)
	v := VarianceOfRatios(r.SumM/r.N, vm, r.SumD/r.N, vd, r.Cov())
	return math.Max(v, 0)
}

// RatioDiff is the difference of ratios new − original (b − a) with its
// standard error: absolute sqrt(V_a/n_a + V_b/n_b) with the per-arm
// delta-method variances, or relative (R_b − R_a)/|R_a| with
// variance_of_ratios(R_b, V_b/n_b, R_a, V_a/n_a, 0). An arm with fewer than
// two units or a zero denominator sum gives +Inf.
func RatioDiff(a, b RatioMoments, scale Scale) (est, se float64) {
	ra, rb := a.Ratio(), b.Ratio()
	est = rb - ra
	if scale == Relative {
		if ra == 0 {
			return 0, math.Inf(1)
		}
		est /= math.Abs(ra)
	}
	if a.N < 2 || b.N < 2 || a.SumD == 0 || b.SumD == 0 {
		return est, math.Inf(1)
	}
	va, vb := a.UnitVar()/a.N, b.UnitVar()/b.N
	if scale == Relative {
		return est, math.Sqrt(VarianceOfRatios(rb, vb, ra, va, 0))
	}
	return est, math.Sqrt(va + vb)
}

// RatioWelchDF is the Welch–Satterthwaite degrees of freedom computed from
// the per-arm ratio variances, as gbstats does for ratio metrics.
func RatioWelchDF(a, b RatioMoments) float64 {
	va, vb := a.UnitVar()/a.N, b.UnitVar()/b.N
	return (va + vb) * (va + vb) / (va*va/(a.N-1) + vb*vb/(b.N-1))
}
