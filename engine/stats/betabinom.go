package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BetaBinomialMixture is the beta-binomial mixture supermartingale of
// Howard, Ramdas, McAuliffe & Sekhon (2021, Propositions 6–7) for sums of
// increments bounded in [−g, h] with intrinsic time v, as in confseq
// (uniform_boundaries.h BetaBinomialMixture). For a 0/1 indicator centred
// at p, g = p and h = 1 − p and v = p(1−p)·t. The one-sided mixture bounds
// upward deviations of the sum; the two-sided one both.
type BetaBinomialMixture struct {
	g, h, r  float64
	oneSided bool
	norm     float64
}

// NewBetaBinomialMixture tunes the mixture for intrinsic time vOpt at level
// alphaOpt: r = max(ρ − gh, 10⁻³gh), ρ = ConfseqBestRho(vOpt, alphaOpt)
// (two-sided) or ConfseqBestRho(vOpt, 2·alphaOpt) (one-sided).
func NewBetaBinomialMixture(vOpt, alphaOpt, g, h float64, oneSided bool) BetaBinomialMixture {
	a := alphaOpt
	if oneSided {
		a *= 2
	}
	rho := ConfseqBestRho(vOpt, a)
	m := BetaBinomialMixture{g: g, h: h, r: math.Max(rho-g*h, 1e-3*g*h), oneSided: oneSided}
	m.norm = logIncBeta(m.r/(g*(g+h)), m.r/(h*(g+h)), m.x0())
	return m
}

func (m BetaBinomialMixture) x0() float64 {
	if m.oneSided {
		return m.h / (m.g + m.h)
	}
	return 1
}

// logIncBeta is the log of the unnormalised incomplete beta integral
// ∫₀ˣ u^(a−1)(1−u)^(b−1) du (log B(a, b) at x = 1).
func logIncBeta(a, b, x float64) float64 {
	lb := mathext.Lbeta(a, b)
	if x == 1 {
		return lb
	}
	return logRegIncBeta(a, b, x) + lb
}

// logRegIncBeta is ln I_x(a, b), the log of the regularised incomplete
// beta function, accurate far into the tail where I_x underflows (there
// gonum's RegIncBeta returns 0 and its log −Inf; the one-sided mixtures
// need the finite value, since a huge negative log factor can meet a huge
// positive one). It uses the continued fraction
// I_x(a,b) = x^a(1−x)^b/(a·B(a,b)) · 1/(1+ d₁/(1+ d₂/(1+ …))) on the side
// x < (a+1)/(a+b+2), where it converges fast, and I_x(a,b) = 1 − I_{1−x}(b,a)
// on the other (Numerical Recipes §6.4), evaluated by the modified Lentz
// method.
func logRegIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return math.Inf(-1)
	case x >= 1:
		return 0
	}
	front := a*math.Log(x) + b*math.Log1p(-x) - mathext.Lbeta(a, b)
	if x < (a+1)/(a+b+2) {
		return front + math.Log(betaCF(a, b, x)) - math.Log(a)
	}
	t := math.Exp(front + math.Log(betaCF(b, a, 1-x)) - math.Log(b))
	return math.Log1p(-t)
}

// betaCF evaluates the incomplete-beta continued fraction by the modified
// Lentz method, to a relative 1e-15.
func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 100000; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}

// LogMixture is the log of the mixture at sum s and intrinsic time v, for
// s in [−v/h, v/g]:
// v/(gh)·ln(g+h) − (v+hs)/(h(g+h))·ln g − (v−gs)/(g(g+h))·ln h
// + LB((r+v−gs)/(g(g+h)), (r+v+hs)/(h(g+h)), x₀) − LB(r/(g(g+h)), r/(h(g+h)), x₀).
func (m BetaBinomialMixture) LogMixture(s, v float64) float64 {
	g, h := m.g, m.h
	gh := g + h
	a := (m.r + v - g*s) / (g * gh)
	b := (m.r + v + h*s) / (h * gh)
	return v/(g*h)*math.Log(gh) - (v+h*s)/(h*gh)*math.Log(g) - (v-g*s)/(g*gh)*math.Log(h) +
		logIncBeta(a, b, m.x0()) - m.norm
}

// Bound is the smallest sum s in [0, v/g] at which LogMixture reaches
// ln(1/α), by bisection (v/g when it is never reached): the uniform
// boundary u(v, α).
func (m BetaBinomialMixture) Bound(v, alpha float64) float64 {
	target := math.Log(1 / alpha)
	hi := v / m.g
	if m.LogMixture(hi, v) < target {
		return hi
	}
	lo := 0.0
	for range 200 {
		mid := (lo + hi) / 2
		if m.LogMixture(mid, v) < target {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-13*math.Max(1, hi) {
			break
		}
	}
	return (lo + hi) / 2
}

// BernoulliCS is the two-sided anytime-valid confidence interval for a
// success probability after successes out of trials, inverting the
// two-sided beta-binomial mixture in p with v_opt = p(1−p)·tOpt at level
// alphaOpt = 0.05 (confseq bernoulli_confidence_interval): the set of p
// whose mixture at s = (p̂ − p)·trials, v = p(1−p)·trials stays below
// ln(1/α), found by bisection on each side of p̂.
func BernoulliCS(successes float64, trials int, alpha, tOpt float64) (lo, hi float64) {
	const alphaOpt = 0.05
	th := math.Log(1 / alpha)
	n := float64(trials)
	ph := successes / n
	// outside reports whether p is excluded; p ≤ 0 and p ≥ 1 count as
	// excluded so that the bisection converges to 0 or 1 when nothing
	// inside is.
	outside := func(p float64) bool {
		if p <= 0 || p >= 1 {
			return true
		}
		mix := NewBetaBinomialMixture(p*(1-p)*tOpt, alphaOpt, p, 1-p, false)
		return mix.LogMixture((ph-p)*n, p*(1-p)*n) > th
	}
	root := func(in, out float64) float64 {
		for range 100 {
			mid := (in + out) / 2
			if outside(mid) {
				out = mid
			} else {
				in = mid
			}
		}
		return (in + out) / 2
	}
	lo, hi = 0, 1
	if ph > 0 {
		lo = root(ph, 0)
	}
	if ph < 1 {
		hi = root(ph, 1)
	}
	return lo, hi
}
