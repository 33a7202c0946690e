package stats

// Stratum holds the two arms' moments within one step of constant allocation.
type Stratum struct {
	A Moments // original (control)
	B Moments // new (treatment)
}

// Diff is a combined difference estimate new − original.
type Diff struct {
	// Estimate is Σ Iₖ Δ̂ₖ / Σ Iₖ with Iₖ = 1/Vₖ.
	Estimate float64
	// V is the variance of Estimate, 1/Σ Iₖ.
	V float64
	// N is the total number of units (both arms) in the included strata.
	N float64
	// NA and NB are the units per arm in the included strata.
	NA, NB float64
	// Strata is the number of strata included.
	Strata int
}

// S2 is the per-unit variance N·V that the confidence sequence takes.
func (d Diff) S2() float64 { return d.N * d.V }

// Stratify combines per-step differences by inverse-variance (information)
// weights (reference §3.3): Δ̂ₖ = ȳB,k − ȳA,k, Vₖ = s²B,k/nB,k + s²A,k/nA,k.
// Strata with fewer than two units in an arm or zero variance are skipped.
// ok is false when no stratum qualifies.
func Stratify(strata []Stratum) (d Diff, ok bool) {
	var info, wsum float64
	for _, s := range strata {
		if s.A.N < 2 || s.B.N < 2 {
			continue
		}
		v := s.B.Var()/s.B.N + s.A.Var()/s.A.N
		if !(v > 0) {
			continue
		}
		i := 1 / v
		info += i
		wsum += i * (s.B.Mean() - s.A.Mean())
		d.N += s.A.N + s.B.N
		d.NA += s.A.N
		d.NB += s.B.N
		d.Strata++
	}
	if info == 0 {
		return Diff{}, false
	}
	d.Estimate = wsum / info
	d.V = 1 / info
	return d, true
}

// ShareWeighted combines per-step differences with weights equal to each
// stratum's share of units (the Horvitz–Thompson / post-stratified
// estimate), for comparison with Stratify. Its variance is Σ wₖ² Vₖ.
func ShareWeighted(strata []Stratum) (d Diff, ok bool) {
	var total float64
	for _, s := range strata {
		if s.A.N >= 2 && s.B.N >= 2 {
			total += s.A.N + s.B.N
		}
	}
	if total == 0 {
		return Diff{}, false
	}
	for _, s := range strata {
		if s.A.N < 2 || s.B.N < 2 {
			continue
		}
		w := (s.A.N + s.B.N) / total
		d.Estimate += w * (s.B.Mean() - s.A.Mean())
		d.V += w * w * (s.B.Var()/s.B.N + s.A.Var()/s.A.N)
		d.N += s.A.N + s.B.N
		d.NA += s.A.N
		d.NB += s.B.N
		d.Strata++
	}
	return d, true
}

// Pooled is the naive difference of pooled means over all strata (biased
// when the allocation changes between strata: Simpson's paradox).
func Pooled(strata []Stratum) float64 {
	var a, b Moments
	for _, s := range strata {
		a.Merge(s.A)
		b.Merge(s.B)
	}
	return b.Mean() - a.Mean()
}
