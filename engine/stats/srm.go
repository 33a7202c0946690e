package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// SequentialSRM is the Lindon & Malek sequential Dirichlet-multinomial test
// of the expected split (Optimizely ssrm), with a per-step reset: each step
// starts a fresh Dirichlet prior centred on that step's expected split and
// the per-step Bayes factors multiply (reference §2.3–2.4). The p-value is
// the running minimum of 1/BF.
type SequentialSRM struct {
	k     float64
	theta []float64
	a     []float64
	logBF float64
	p     float64
}

// NewSequentialSRM returns a test with prior concentration k (ssrm default
// 10000). Call StartStep before the first Observe.
func NewSequentialSRM(k float64) *SequentialSRM {
	return &SequentialSRM{k: k, p: 1}
}

// StartStep starts a new step whose expected split is theta (shares summing
// to 1). The evidence gathered so far is kept.
func (s *SequentialSRM) StartStep(theta []float64) {
	s.theta = append(s.theta[:0], theta...)
	s.a = s.a[:0]
	for _, t := range theta {
		s.a = append(s.a, s.k*t)
	}
}

// Observe adds one batch of counts (one per arm) observed in the current step.
func (s *SequentialSRM) Observe(counts []float64) {
	var m, sa float64
	for i, x := range counts {
		m += x
		sa += s.a[i]
	}
	if m == 0 {
		return
	}
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	d := lg(sa) - lg(sa+m)
	for i, x := range counts {
		if x == 0 {
			continue
		}
		d += lg(s.a[i]+x) - lg(s.a[i]) - x*math.Log(s.theta[i])
	}
	for i, x := range counts {
		s.a[i] += x
	}
	s.logBF += d
	if p := math.Exp(-s.logBF); p < s.p {
		s.p = p
	}
}

// LogBF is the log Bayes factor accumulated over all steps.
func (s *SequentialSRM) LogBF() float64 { return s.logBF }

// PValue is the always-valid p-value: the running minimum of 1/BF, capped at 1.
func (s *SequentialSRM) PValue() float64 { return s.p }

// Posterior is the posterior probability of a mismatch with prior odds 1.
func (s *SequentialSRM) Posterior() float64 {
	if s.logBF > 700 {
		return 1
	}
	bf := math.Exp(s.logBF)
	return bf / (1 + bf)
}

// ChiSquareGOF is the classical χ² goodness-of-fit test of observed counts
// against expected shares (GrowthBook check_srm): E = w/Σw·N, X² summed over
// arms with w > 0, df = k − 1. It returns p = 1 for an empty sample.
func ChiSquareGOF(observed, weights []float64) (x2, p float64) {
	var n, wsum float64
	for i, o := range observed {
		n += o
		wsum += weights[i]
	}
	if n == 0 || wsum == 0 {
		return 0, 1
	}
	for i, o := range observed {
		if weights[i] <= 0 {
			continue
		}
		e := weights[i] / wsum * n
		x2 += (o - e) * (o - e) / e
	}
	df := float64(len(observed) - 1)
	if df == 1 {
		return x2, math.Erfc(math.Sqrt(x2 / 2))
	}
	return x2, distuv.ChiSquared{K: df}.Survival(x2)
}

// Wilson is the Wilson score interval for k successes in n trials at
// normal quantile z (1.959963984540054 for 95%).
func Wilson(k, n int, z float64) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	den := 1 + z2/nf
	c := (p + z2/(2*nf)) / den
	h := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, c-h), math.Min(1, c+h)
}

// Z95 is the two-sided 95% normal quantile.
const Z95 = 1.959963984540054
