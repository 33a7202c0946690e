package stats

import "math"

// StratumEstimate is one stratum's (ramp step's) difference estimate with
// its variance and arm sizes, for estimators whose strata are not summable
// Moments: quantile and ratio differences, and margin-shifted differences.
type StratumEstimate struct {
	Estimate float64
	V        float64
	NA, NB   float64
}

// Combine is Stratify for precomputed per-stratum estimates: the
// inverse-variance (information) weighted mean Σ IₖΔₖ/Σ Iₖ, Iₖ = 1/Vₖ,
// with variance 1/Σ Iₖ (reference metrics-detectors §1(c) option A for
// quantiles). Strata whose variance is not positive and finite are
// skipped; ok is false when none qualifies.
func Combine(strata []StratumEstimate) (d Diff, ok bool) {
	var info, wsum float64
	for _, s := range strata {
		if !(s.V > 0) || math.IsInf(s.V, 1) || math.IsNaN(s.Estimate) {
			continue
		}
		i := 1 / s.V
		info += i
		wsum += i * s.Estimate
		d.N += s.NA + s.NB
		d.NA += s.NA
		d.NB += s.NB
		d.Strata++
	}
	if info == 0 {
		return Diff{}, false
	}
	d.Estimate = wsum / info
	d.V = 1 / info
	return d, true
}

// Margin is a tolerated regression: Value in the metric's units, or a
// share of the original arm's value when Relative (0.01 = 1%). The zero
// Margin tolerates nothing.
type Margin struct {
	Value    float64
	Relative bool
}

// Null is the boundary of the tolerated region for a metric whose harmful
// direction is up (lowerIsBetter) or down: the new arm's statistic b is
// tolerated while b ≤ σ·a + δ (harm up) or b ≥ σ·a + δ (harm down), where
// a is the original arm's. Relative margins give σ = 1 ± m, δ = 0;
// absolute ones σ = 1, δ = ±m.
func (m Margin) Null(lowerIsBetter bool) (sigma, delta float64) {
	sign := 1.0
	if !lowerIsBetter {
		sign = -1
	}
	if m.Relative {
		return 1 + sign*m.Value, 0
	}
	return 1, sign * m.Value
}

// Shifted is the margin-shifted stratum estimate b − σ·a − δ with variance
// V_b + σ²·V_a, for independent arm estimates a (variance va, na units)
// and b (vb, nb): under the boundary of the tolerated region it has mean
// zero, so a one-sided sequence on it that excludes zero on the harmful
// side declares a regression beyond the margin. With the zero Margin it is
// the plain difference b − a.
func (m Margin) Shifted(a, va, na, b, vb, nb float64, lowerIsBetter bool) StratumEstimate {
	s, d := m.Null(lowerIsBetter)
	return StratumEstimate{Estimate: b - s*a - d, V: vb + s*s*va, NA: na, NB: nb}
}

// IsZero reports whether the margin tolerates nothing.
func (m Margin) IsZero() bool { return m.Value == 0 }

// QuantileStratum holds one step's percentile samples, one per arm
// (A original, B new).
type QuantileStratum struct {
	A, B *QuantileSample
}

// RatioStratum holds one step's ratio moments, one per arm.
type RatioStratum struct {
	A, B RatioMoments
}
