package engine

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine/stats"
)

// checkKind is the confidence-sequence rule for percentile and ratio
// metrics and for any metric with a margin. Per step it forms the
// difference new − original and its variance (quantiles: GrowthBook's
// outer-interval variance; ratios: the delta method with the
// numerator–denominator covariance; binary and numeric: the moments),
// combines the steps by inverse variance and applies the one-sided
// normal-mixture sequence. With a margin the decision is on the shifted
// difference new − σ·original − δ (stats.Margin.Shifted), whose variance
// carries σ², so a regression means the interval clears the margin. The
// reported estimate and interval are the unshifted difference's.
func (d *csDetector) checkKind(in *DetectorInput) Verdict {
	met := in.Metric
	if met.Kind == Percentile && met.Method == MethodNonparametric {
		return d.checkNonparametric(in)
	}
	lower := met.Direction == LowerIsBetter
	mg := met.MarginSpec()
	d.plain, d.shifted = d.plain[:0], d.shifted[:0]
	add := func(a, va, na, b, vb, nb float64) {
		d.plain = append(d.plain, stats.StratumEstimate{Estimate: b - a, V: va + vb, NA: na, NB: nb})
		d.shifted = append(d.shifted, mg.Shifted(a, va, na, b, vb, nb, lower))
	}
	var maxA, maxB float64 // the largest step's arm sizes, for the note
	last := min(in.Step+1, len(in.Strata))
	switch met.Kind {
	case Percentile:
		for _, qs := range in.Quantiles[:last] {
			if qs.A == nil || qs.B == nil {
				continue
			}
			qa := stats.QuantileFromSorted(qs.A.Sorted(), met.Quantile)
			qb := stats.QuantileFromSorted(qs.B.Sorted(), met.Quantile)
			maxA, maxB = math.Max(maxA, qa.N), math.Max(maxB, qb.N)
			if qa.Usable() && qb.Usable() {
				add(qa.Q, qa.SE2(), qa.N, qb.Q, qb.SE2(), qb.N)
			}
		}
	case Ratio:
		for _, rs := range in.Ratios[:last] {
			a, b := rs.A, rs.B
			maxA, maxB = math.Max(maxA, a.N), math.Max(maxB, b.N)
			if a.N < 2 || b.N < 2 || a.SumD == 0 || b.SumD == 0 {
				continue
			}
			add(a.Ratio(), a.UnitVar()/a.N, a.N, b.Ratio(), b.UnitVar()/b.N, b.N)
		}
	default:
		for _, s := range in.Strata[:last] {
			maxA, maxB = math.Max(maxA, s.A.N), math.Max(maxB, s.B.N)
			if s.A.N < 2 || s.B.N < 2 {
				continue
			}
			add(s.A.Mean(), s.A.Var()/s.A.N, s.A.N, s.B.Mean(), s.B.Var()/s.B.N, s.B.N)
		}
	}
	diff, ok := stats.Combine(d.plain)
	sh, _ := stats.Combine(d.shifted)
	if !ok {
		return Verdict{Score: d.pmin, Note: notEnough(met, maxA, maxB)}
	}
	hw := stats.HalfWidthOneSided(diff.S2(), diff.N, d.rho, d.alpha)
	v := Verdict{Estimated: true, Estimate: diff.Estimate, StdErr: math.Sqrt(diff.V), Lower: diff.Estimate - hw, Upper: diff.Estimate + hw}
	harm := sh.Estimate
	if !lower {
		harm = -harm
	}
	if p := stats.OneSidedPValue(harm, sh.S2(), sh.N, d.rho); p < d.pmin {
		d.pmin = p
	}
	v.Score = d.pmin
	hwS := stats.HalfWidthOneSided(sh.S2(), sh.N, d.rho, d.alpha)
	beyond := harm-hwS > 0
	switch {
	case diff.NA < d.minPerArm || diff.NB < d.minPerArm:
		v.Kind = VerdictNotEnoughData
		v.Note = "fewer than min_per_arm in an arm"
	case beyond:
		v.Kind = VerdictRegression
		v.Note = "confidence sequence entirely on the harmful side" + marginNote(met)
	default:
		v.Kind = VerdictPass
		v.Note = "confidence sequence includes no harm" + marginNote(met)
	}
	return v
}

// checkNonparametric is the Howard–Ramdas percentile rule: per step, the
// one-sided quantile e-value (stats.QuantileGreaterLogE, tuned at
// t_opt = N*/2 per arm), multiplied across steps; the score is the running
// minimum of 1/e and a regression is a score ≤ α with min_per_arm values in
// each arm. The estimate shown is GrowthBook's (when the data allow one).
func (d *csDetector) checkNonparametric(in *DetectorInput) Verdict {
	met := in.Metric
	lower := met.Direction == LowerIsBetter
	mg := met.MarginSpec()
	// The test is of H₀: q_y ≤ σ·q_x + δ; for a higher-is-better metric the
	// arms swap: H₀: q_b ≥ (1−m)·q_a − δ ⟺ q_a ≤ q_b/(1−m) (relative) or
	// q_a ≤ q_b + m (absolute).
	null := stats.QuantileShift{Scale: 1}
	switch {
	case lower && mg.Relative:
		null.Scale = 1 + mg.Value
	case lower:
		null.Shift = mg.Value
	case mg.Relative:
		null.Scale = 1 / (1 - mg.Value)
	default:
		null.Shift = mg.Value
	}
	var logE, na, nb float64
	last := min(in.Step+1, len(in.Quantiles))
	for _, qs := range in.Quantiles[:last] {
		if qs.A == nil || qs.B == nil || qs.A.Len() == 0 || qs.B.Len() == 0 {
			continue
		}
		a, b := qs.A.Sorted(), qs.B.Sorted()
		na += float64(len(a))
		nb += float64(len(b))
		if lower {
			logE += stats.QuantileGreaterLogE(a, b, met.Quantile, d.nstar/2, d.alpha, null)
		} else {
			logE += stats.QuantileGreaterLogE(b, a, met.Quantile, d.nstar/2, d.alpha, null)
		}
	}
	// The GrowthBook estimate and interval, for display.
	gb := Metric{Key: met.Key, Kind: Percentile, Direction: met.Direction, Quantile: met.Quantile}
	saved := d.pmin
	v := d.checkKind(&DetectorInput{Metric: gb, Strata: in.Strata, Quantiles: in.Quantiles, Step: in.Step})
	d.pmin = saved
	if na == 0 || nb == 0 {
		return Verdict{Score: d.pmin, Note: notEnough(met, na, nb)}
	}
	if p := math.Min(1, math.Exp(-logE)); p < d.pmin {
		d.pmin = p
	}
	v.Score = d.pmin
	switch {
	case na < d.minPerArm || nb < d.minPerArm:
		v.Kind = VerdictNotEnoughData
		v.Note = "fewer than min_per_arm values in an arm"
	case d.pmin <= d.alpha:
		v.Kind = VerdictRegression
		v.Note = fmt.Sprintf("nonparametric quantile test: p = %.3g ≤ %g", d.pmin, d.alpha) + marginNote(met)
	default:
		v.Kind = VerdictPass
		v.Note = "nonparametric quantile test: no evidence of harm" + marginNote(met)
	}
	return v
}

// notEnough explains a metric that cannot be judged yet.
func notEnough(met Metric, na, nb float64) string {
	switch met.Kind {
	case Percentile:
		return fmt.Sprintf("not enough data: p%g needs more than %.0f values per arm in a step with distinct interval bounds (largest step: %.0f original, %.0f new)",
			100*met.Quantile, math.Floor(stats.QuantileMinN(met.Quantile)), na, nb)
	case Ratio:
		return fmt.Sprintf("not enough data: no step has two contexts and a positive denominator in each arm (largest step: %.0f original, %.0f new)", na, nb)
	}
	return "no step has two contexts with varying values in each arm"
}

func marginNote(met Metric) string {
	switch {
	case met.Margin == 0:
		return ""
	case met.MarginRelative:
		return fmt.Sprintf(" beyond the %g%% margin", 100*met.Margin)
	}
	return fmt.Sprintf(" beyond the margin %g", met.Margin)
}
