package sweep

import (
	"math"
	"math/rand/v2"

	"github.com/guardsim/guardsim/engine/stats"
)

// Joint draws of (n, Σv, Σv²) for a numeric metric's per-context values.
//
// A context's value is V = a·Z + b·(X₁ + … + X_e): Z the standard normal
// intercept, X_j its e event values (normal or log-normal), with a = the
// intercept's sd and b = 1/e for a mean metric, a = e·sd and b = 1 for a
// sum. The draws are of the deviations from the value's mean μ (the moments'
// shift), so a metric at any offset keeps its variance exact.
//
//   - Normal events: V is normal, so Σ(V − μ) ~ N(0, nσ²) and, independent
//     of it, Σ(V − V̄)² ~ σ²·χ²(n−1): exact.
//   - Log-normal events, few values (n·e ≤ exactValues): every context is
//     simulated: exact.
//   - Log-normal events, many values: the split "big-jump" sampler of
//     metrics-detectors.md §3. Event values above u = F⁻¹(1 − p), p =
//     λ/(n·e), are the ones that make S and Q heavy-tailed and dependent;
//     the K ~ Binomial(n, 1 − (1 − p)^e) contexts with such a value are
//     simulated exactly (their tail values by inversion), and the sum and
//     sum of squares of the other n − K contexts, whose events are all
//     X | X ≤ u, are drawn from the bivariate normal with their exact
//     truncated mean and covariance. Drawing S normal and s² from an
//     independent kurtosis-matched gamma, as this simulator once did, made
//     s² near zero on most draws of a log-normal with log-sd 2: an A/A
//     false-rollback rate of 0.95 at α = 0.05.
type numLaw struct {
	logNormal bool
	e         int
	a, b      float64 // V = a·Z + b·ΣX
	lm, ls    float64 // log-normal events: X = exp(lm + ls·N(0,1))
	evMean    float64 // normal events: mean and sd of X
	evSD      float64
	mu        float64 // mean of V: the shift of the drawn moments
	sigma2    float64 // variance of V
	// split holds the split sampler's constants per n bucket (log-normal),
	// read-only once built.
	split []splitConst
	// zero, when non-nil, makes the events zero-inflated (aggzero.go).
	zero *zeroMix
}

// splitLambda is the expected number of exactly simulated tail contexts per
// draw (λ of §3: its validation table shows λ from 2 to 30 all agree with
// exact simulation; 10 is the recommended value).
const splitLambda = 10

// exactValues: draws of at most this many event values simulate every
// context (§3: the split sampler is slightly off at n = 100; exact below
// about 200).
const exactValues = 256

// splitConst are the split sampler's constants for one n bucket.
type splitConst struct {
	n      int     // the bucket's smallest n (p is set from it)
	p      float64 // tail probability of one event value
	q      float64 // probability that a context has a tail value: 1 − (1 − p)^e
	lnu    float64 // ln u, the log of the cut-off
	pt     []float64
	k1, k2 float64 // cumulants of a bulk context's value V − μ (before the effect)
	k3, k4 float64
}

func newNumLaw(logNormal bool, mean, sd, contextSD float64, e int, sum bool) *numLaw {
	a, b := valueCoefs(contextSD, e, sum)
	return newNumLawAB(logNormal, mean, sd, a, b, e)
}

// valueCoefs are a and b of V = a·Z + b·(X₁ + … + X_e): the intercept's
// weight and the events' (a mean metric averages its e events, a sum adds
// them and the intercept of each).
func valueCoefs(contextSD float64, e int, sum bool) (a, b float64) {
	ef := float64(e)
	if sum {
		return ef * contextSD, 1
	}
	return contextSD, 1 / ef
}

// newNumLawAB is the law of V = a·Z + b·(X₁ + … + X_e) with e events of
// the given distribution (e = 0: V = a·Z).
func newNumLawAB(logNormal bool, mean, sd, a, b float64, e int) *numLaw {
	l := &numLaw{logNormal: logNormal && e > 0, e: e, evMean: mean, evSD: sd, a: a, b: b}
	ef := float64(e)
	l.mu = l.b * ef * mean
	l.sigma2 = l.a*l.a + l.b*l.b*ef*sd*sd
	if l.logNormal && sd > 0 {
		s2 := math.Log1p(sd * sd / (mean * mean))
		l.lm, l.ls = math.Log(mean)-s2/2, math.Sqrt(s2)
		// Every bucket up to 2^40 event values per draw, precomputed: the
		// law is shared by the sweep's workers and must not change.
		for k := range splitBuckets {
			l.split = append(l.split, l.newSplit(k))
		}
	} else {
		l.logNormal = false
	}
	return l
}

// splitBuckets is the number of precomputed n buckets (four per doubling
// from exactValues to 2^40 event values).
const splitBuckets = 4 * 32

// normQuantile is Φ⁻¹(p), accurate in both tails.
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

// normCDF is Φ(x).
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// bucketOf maps n to its split-constant bucket: four per doubling.
func bucketOf(n int) int {
	return int(4 * math.Log2(float64(n)/exactValues))
}

// splitFor returns the split constants for n values of V (n·e > exactValues).
func (l *numLaw) splitFor(n int) *splitConst {
	k := min(bucketOf(n*l.e), len(l.split)-1)
	return &l.split[k]
}

func (l *numLaw) newSplit(k int) splitConst {
	// The bucket's smallest number of event values, so at most λ·2^¼ tail
	// contexts are expected.
	nv := math.Ceil(exactValues * math.Exp2(float64(k)/4))
	p := splitLambda / nv
	c := splitConst{n: int(nv), p: p}
	ef := float64(l.e)
	c.q = -math.Expm1(ef * math.Log1p(-p))
	c.lnu = l.lm + l.ls*normQuantile(1-p)
	// Raw moments of X | X ≤ u: E[X^j; X ≤ u] = exp(j·lm + j²ls²/2)·
	// Φ((ln u − lm − j·ls²)/ls), divided by 1 − p.
	var m [5]float64
	for j := 1; j <= 4; j++ {
		jf := float64(j)
		m[j] = math.Exp(jf*l.lm+jf*jf*l.ls*l.ls/2) * normCDF((c.lnu-l.lm-jf*l.ls*l.ls)/l.ls) / (1 - p)
	}
	// Their cumulants, then those of the bulk value a·Z + b·ΣY − μ.
	y1 := m[1]
	y2 := m[2] - m[1]*m[1]
	y3 := m[3] - 3*m[2]*m[1] + 2*m[1]*m[1]*m[1]
	y4 := m[4] - 4*m[3]*m[1] - 3*m[2]*m[2] + 12*m[2]*m[1]*m[1] - 6*m[1]*m[1]*m[1]*m[1]
	b := l.b
	c.k1 = b*ef*y1 - l.mu
	c.k2 = l.a*l.a + b*b*ef*y2
	c.k3 = b * b * b * ef * y3
	c.k4 = b * b * b * b * ef * y4
	// P(T = t | T ≥ 1) for T ~ Binomial(e, p) tail values in a tail context,
	// cumulative, for inversion.
	if l.e > 1 {
		c.pt = make([]float64, l.e+1)
		var acc float64
		for t := 1; t <= l.e; t++ {
			lc, _ := math.Lgamma(ef + 1)
			l1, _ := math.Lgamma(float64(t) + 1)
			l2, _ := math.Lgamma(ef - float64(t) + 1)
			acc += math.Exp(lc-l1-l2+float64(t)*math.Log(p)+(ef-float64(t))*math.Log1p(-p)) / c.q
			c.pt[t] = acc
		}
	}
	return c
}

// event draws one event value; tail selects X > u (p the tail share), bulk
// X ≤ u, and p = 0 an unrestricted draw.
func (l *numLaw) event(r *rand.Rand, p float64, tail bool) float64 {
	if !l.logNormal {
		return l.evMean + l.evSD*r.NormFloat64()
	}
	switch {
	case p == 0:
		return math.Exp(l.lm + l.ls*r.NormFloat64())
	case tail:
		// U in the upper p of the law, by its complement for accuracy.
		return math.Exp(l.lm - l.ls*normQuantile(p*openUnit(r)))
	default:
		return math.Exp(l.lm + l.ls*normQuantile((1-p)*openUnit(r)))
	}
}

// openUnit is a uniform draw in (0, 1).
func openUnit(r *rand.Rand) float64 {
	for {
		if u := r.Float64(); u > 0 {
			return u
		}
	}
}

// context adds to (s, q) the deviation from μ (plus eff) of one context
// with tail of its e events drawn above u and the rest below (p = 0: an
// unrestricted context).
func (l *numLaw) context(r *rand.Rand, p float64, tail int, eff float64, s, q *float64) {
	var x float64
	for j := 0; j < l.e; j++ {
		x += l.event(r, p, j < tail)
	}
	d := l.b*x - l.mu + eff
	if l.a > 0 {
		d += l.a * r.NormFloat64()
	}
	*s += d
	*q += d * d
}

// draw returns the moments of n contexts' values with the effect eff added.
func (l *numLaw) draw(r *rand.Rand, n int, eff float64) stats.Moments {
	if l.zero != nil {
		return l.zero.draw(r, n, eff, l.mu)
	}
	nf := float64(n)
	if !l.logNormal {
		dev := nf*eff + math.Sqrt(nf*l.sigma2)*r.NormFloat64()
		if n == 1 {
			return stats.Moments{N: 1, Shift: l.mu, Sum: dev, SumSq: dev * dev}
		}
		var ss float64
		if l.sigma2 > 0 {
			ss = l.sigma2 * 2 * gamma1(r, (nf-1)/2)
		}
		return stats.Moments{N: nf, Shift: l.mu, Sum: dev, SumSq: ss + dev*dev/nf}
	}
	var s, q float64
	if n*l.e <= exactValues {
		for range n {
			l.context(r, 0, 0, eff, &s, &q)
		}
		return stats.Moments{N: nf, Shift: l.mu, Sum: s, SumSq: q}
	}
	c := l.splitFor(n)
	k := binomial(r, n, c.q)
	for range k {
		tail := 1
		if c.pt != nil {
			u := r.Float64()
			for tail < l.e && u > c.pt[tail] {
				tail++
			}
		}
		l.context(r, c.p, tail, eff, &s, &q)
	}
	if nb := n - k; nb > 0 {
		bf := float64(nb)
		// Raw moments of a bulk deviation (effect included) from its
		// cumulants, then the bivariate normal of (S_b, Q_b) by Cholesky.
		k1 := c.k1 + eff
		r1 := k1
		r2 := c.k2 + k1*k1
		r3 := c.k3 + 3*c.k2*k1 + k1*k1*k1
		r4 := c.k4 + 4*c.k3*k1 + 3*c.k2*c.k2 + 6*c.k2*k1*k1 + k1*k1*k1*k1
		c11 := r2 - r1*r1
		c12 := r3 - r1*r2
		c22 := r4 - r2*r2
		z1, z2 := r.NormFloat64(), r.NormFloat64()
		sb := math.Sqrt(bf)
		var ds, dq float64
		if c11 > 0 {
			l11 := math.Sqrt(c11)
			l21 := c12 / l11
			ds = sb * l11 * z1
			dq = sb * (l21*z1 + math.Sqrt(math.Max(c22-l21*l21, 0))*z2)
		}
		sB := bf*r1 + ds
		qB := bf*r2 + dq
		if lo := sB * sB / bf; qB < lo {
			qB = lo
		}
		s += sB
		q += qB
	}
	return stats.Moments{N: nf, Shift: l.mu, Sum: s, SumSq: q}
}
