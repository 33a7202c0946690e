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
	logM1 float64
	logM0 float64
	// marginals enables the LogM1/LogM0 bookkeeping (three more Lgamma
	// calls per batch), which the Bayes factor does not need.
	marginals bool
	p         float64
}

// NewSequentialSRM returns a test with prior concentration k (ssrm default
// 10000). Call StartStep before the first Observe.
func NewSequentialSRM(k float64) *SequentialSRM {
	return &SequentialSRM{k: k, p: 1}
}

// NewSequentialSRMWithPrior returns a test whose first step has the null
// split theta and the Dirichlet prior parameters a0 given directly (ssrm's
// dirichlet_probability × dirichlet_concentration), which need not be
// proportional to theta. Later steps may use StartStep (prior k·θ with
// k = Σa0) or StartStepWithPrior.
func NewSequentialSRMWithPrior(a0, theta []float64) *SequentialSRM {
	var k float64
	for _, x := range a0 {
		k += x
	}
	s := &SequentialSRM{k: k, p: 1, marginals: true}
	s.StartStepWithPrior(a0, theta)
	return s
}

// TrackMarginals enables LogM1 and LogM0 for a test made by
// NewSequentialSRM; call it before the first Observe. Tests made by
// NewSequentialSRMWithPrior track them from the start.
func (s *SequentialSRM) TrackMarginals() { s.marginals = true }

// StartStep starts a new step whose expected split is theta (shares summing
// to 1), with the prior a = k·theta. The evidence gathered so far is kept.
func (s *SequentialSRM) StartStep(theta []float64) {
	s.theta = append(s.theta[:0], theta...)
	s.a = s.a[:0]
	for _, t := range theta {
		s.a = append(s.a, s.k*t)
	}
}

// StartStepWithPrior starts a new step with the null split theta and the
// Dirichlet prior parameters a0. The evidence gathered so far is kept.
func (s *SequentialSRM) StartStepWithPrior(a0, theta []float64) {
	s.theta = append(s.theta[:0], theta...)
	s.a = append(s.a[:0], a0...)
}

// lnFact is ln Γ(x+1) = ln x! (0 for x = 0 and 1 without calling Lgamma).
func lnFact(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	v, _ := math.Lgamma(x + 1)
	return v
}

// Observe adds one batch of counts (one per arm) observed in the current
// step: ln BF += ln m₁(x) − ln m₀(x) with the Dirichlet-multinomial
// posterior predictive m₁ and the multinomial m₀ (reference §2.3), then the
// Dirichlet parameters are updated a ← a + x. Counts in an arm whose null
// share is 0 make the Bayes factor +Inf (p-value 0).
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
	// coef is the multinomial coefficient ln(m!/Πxᵢ!), common to m₁ and m₀
	// and so absent from the Bayes factor.
	var coef float64
	if s.marginals {
		coef = lnFact(m)
	}
	d1 := lg(sa) - lg(sa+m)
	var d0 float64
	impossible := false
	for i, x := range counts {
		if x == 0 {
			continue
		}
		if s.marginals {
			coef -= lnFact(x)
		}
		if s.theta[i] <= 0 {
			impossible = true
			continue
		}
		d1 += lg(s.a[i]+x) - lg(s.a[i])
		d0 += x * math.Log(s.theta[i])
	}
	for i, x := range counts {
		s.a[i] += x
	}
	if impossible {
		// m₀ = 0: these counts cannot occur under the null.
		s.logM0 = math.Inf(-1)
		s.logBF = math.Inf(1)
		s.p = 0
		return
	}
	s.logM1 += coef + d1
	s.logM0 += coef + d0
	s.logBF += d1 - d0
	if p := math.Exp(-s.logBF); p < s.p {
		s.p = p
	}
}

// LogBF is the log Bayes factor accumulated over all steps.
func (s *SequentialSRM) LogBF() float64 { return s.logBF }

// PValue is the always-valid p-value: the running minimum of 1/BF, capped at 1.
func (s *SequentialSRM) PValue() float64 { return s.p }

// LogM1 is the cumulative log marginal likelihood of the counts observed so
// far under the Dirichlet-multinomial alternative, including the
// multinomial coefficients (ssrm log_marginal_likelihood_M1). With per-step
// resets it is the sum over steps. It is NaN unless marginals are tracked
// (NewSequentialSRMWithPrior or TrackMarginals).
func (s *SequentialSRM) LogM1() float64 {
	if !s.marginals {
		return math.NaN()
	}
	return s.logM1
}

// LogM0 is the cumulative log likelihood of the counts under the null split
// (ssrm log_marginal_likelihood_M0). LogM1 − LogM0 = LogBF while every
// count is possible under the null. It is NaN unless marginals are tracked.
func (s *SequentialSRM) LogM0() float64 {
	if !s.marginals {
		return math.NaN()
	}
	return s.logM0
}

// Dirichlet returns a copy of the current step's posterior Dirichlet
// parameters, a₀ plus the counts observed in the step.
func (s *SequentialSRM) Dirichlet() []float64 { return append([]float64(nil), s.a...) }

// Posterior is the posterior probability of a mismatch with prior odds 1.
func (s *SequentialSRM) Posterior() float64 { return PosteriorProbability(s.logBF) }

// PosteriorProbability is BF/(1+BF) for a log Bayes factor (prior odds 1),
// computed without overflow: 1 for +Inf, 0 for −Inf, never NaN for a
// non-NaN input.
func PosteriorProbability(logBF float64) float64 {
	if logBF > 0 {
		return 1 / (1 + math.Exp(-logBF))
	}
	bf := math.Exp(logBF)
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
	lo, hi = math.Max(0, c-h), math.Min(1, c+h)
	// The bounds at k = 0 and k = n are exactly 0 and 1 (c − h and c + h
	// round to about 1e-19 away).
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}

// Z95 is the two-sided 95% normal quantile.
const Z95 = 1.959963984540054
