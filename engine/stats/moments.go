package stats

// Moments are the summable sufficient statistics of a sample: count, and
// sum and sum of squares of the deviations from a shift.
//
// Shifted sums keep the variance exact to rounding at any offset: with raw
// sums, Σy² − (Σy)²/n cancels catastrophically when the mean is large
// against the spread (100,000 values of sd 1.2 at offset 1e8 gave a variance
// of 26 instead of 1.44). Add takes the first value as the shift, so the
// deviations it sums are of the size of the spread and each y − Shift is
// exact (Sterbenz); Merge combines samples with different shifts by Chan,
// Golub and LeVeque's pairwise update ("Algorithms for computing the sample
// variance", 1983), which has no cancellation either. Shifted sums rather
// than Welford's running mean: Welford rounds its mean to the offset's ulp at
// every step, which at offset 1e12 costs about 1e-8 of the variance.
//
// With Shift zero, Sum and SumSq are the plain Σy and Σy², so a literal
// Moments{N: n, Sum: Σy, SumSq: Σy²} still means what it says.
type Moments struct {
	N float64
	// Shift is the origin of Sum and SumSq (the first value added).
	Shift float64
	// Sum is Σ(y − Shift).
	Sum float64
	// SumSq is Σ(y − Shift)².
	SumSq float64
}

// Add adds one observation.
func (m *Moments) Add(y float64) {
	if m.N == 0 {
		m.Shift = y
	}
	d := y - m.Shift
	m.N++
	m.Sum += d
	m.SumSq += d * d
}

// Replace changes one observation already in the sample from old to y.
func (m *Moments) Replace(old, y float64) {
	d0, d1 := old-m.Shift, y-m.Shift
	m.Sum += d1 - d0
	m.SumSq += d1*d1 - d0*d0
}

// Merge adds another sample's moments.
func (m *Moments) Merge(o Moments) {
	switch {
	case o.N == 0:
		return
	case m.N == 0:
		*m = o
		return
	case o.Shift == m.Shift:
		m.N += o.N
		m.Sum += o.Sum
		m.SumSq += o.SumSq
		return
	}
	// Chan et al.: M2 = M2a + M2b + δ²·na·nb/n with δ the difference of the
	// means, all in deviations from m.Shift.
	ma, mb := m.Sum/m.N, o.Sum/o.N
	m2a, m2b := m.SumSq-m.Sum*ma, o.SumSq-o.Sum*mb
	delta := (o.Shift - m.Shift) + mb - ma
	n := m.N + o.N
	mean := ma + delta*o.N/n
	m.N = n
	m.Sum = n * mean
	m.SumSq = m2a + m2b + delta*delta*(m.N-o.N)*o.N/n + m.Sum*mean
}

// Mean is the sample mean (0 for an empty sample).
func (m Moments) Mean() float64 {
	if m.N == 0 {
		return 0
	}
	return m.Shift + m.Sum/m.N
}

// Total is the plain sum Σy.
func (m Moments) Total() float64 { return m.N*m.Shift + m.Sum }

// Var is the unbiased sample variance (Σd² − (Σd)²/n)/(n−1) of the
// deviations d = y − Shift, 0 when n < 2 and never negative.
func (m Moments) Var() float64 {
	if m.N < 2 {
		return 0
	}
	v := (m.SumSq - m.Sum*m.Sum/m.N) / (m.N - 1)
	if v < 0 {
		return 0
	}
	return v
}

// BinaryMoments are the moments of a 0/1 sample with the given number of
// conversions out of n units: Sum = SumSq = conversions. They merge like
// any Moments; their Var is the unbiased n/(n−1)·p̂(1−p̂).
func BinaryMoments(conversions, n float64) Moments {
	return Moments{N: n, Sum: conversions, SumSq: conversions}
}

// ProportionMoments are moments whose Mean is p̂ = conversions/n and whose
// Var is p̂(1−p̂), the variance GrowthBook's ProportionStatistic uses
// (gbstats models/statistics.py), instead of the unbiased n/(n−1)·p̂(1−p̂)
// of BinaryMoments. SumSq is set to Sum²/n + (n−1)·p̂(1−p̂) to achieve this,
// so they are summaries for a single sample and must not be merged or
// updated with Add.
func ProportionMoments(conversions, n float64) Moments {
	if n <= 0 {
		return Moments{}
	}
	p := conversions / n
	return Moments{N: n, Sum: conversions, SumSq: conversions*p + (n-1)*p*(1-p)}
}
