package stats

// Moments are the summable sufficient statistics of a sample: count, sum and
// sum of squares.
type Moments struct {
	N     float64
	Sum   float64
	SumSq float64
}

// Add adds one observation.
func (m *Moments) Add(y float64) {
	m.N++
	m.Sum += y
	m.SumSq += y * y
}

// Replace changes one observation already in the sample from old to y.
func (m *Moments) Replace(old, y float64) {
	m.Sum += y - old
	m.SumSq += y*y - old*old
}

// Merge adds another sample's moments.
func (m *Moments) Merge(o Moments) {
	m.N += o.N
	m.Sum += o.Sum
	m.SumSq += o.SumSq
}

// Mean is the sample mean (0 for an empty sample).
func (m Moments) Mean() float64 {
	if m.N == 0 {
		return 0
	}
	return m.Sum / m.N
}

// Var is the unbiased sample variance (Σy² − (Σy)²/n)/(n−1), 0 when n < 2
// and never negative.
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
