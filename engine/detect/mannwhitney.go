package detect

import (
	"errors"
	"math"
	"sort"
)

// The Mann–Whitney (Wilcoxon rank-sum) confidence interval and estimate of a
// location shift, as Kayenta computes them (kayenta-mannwhitney
// MannWhitney.scala), which is R's wilcox.test(x, y, conf.int = TRUE,
// correct = TRUE, exact = FALSE): the asymptotic interval with continuity
// correction and a tie-corrected variance, its ends the roots of
//
//	f(μ, z) = (W(μ) − ½·sign W(μ)) / σ(μ) − z,
//	W(μ) = Σ ranks of (x − μ) in the pooled sample − nx(nx+1)/2 − nx·ny/2,
//	σ(μ)² = nx·ny/12 · ((nx+ny+1) − Σ(t³−t)/((nx+ny)(nx+ny−1))),
//
// searched on [min x − max y, max x − min y] and clamped to it. Roots are
// found with Brent's method (R's zeroin, tolerance 1e-4 as in R's
// wilcox.test); written here because gonum has no bracketing root finder.

// MannWhitneyResult is the location shift x − y with its interval.
type MannWhitneyResult struct {
	Estimate     float64
	Lower, Upper float64
}

// errAllTied is returned when every observation is tied (σ = 0).
var errAllTied = errors.New("cannot compute the interval when all observations are tied")

// MannWhitney computes the confidence interval at level conf (e.g. 0.98) and
// the Hodges–Lehmann-type estimate of the shift experiment − control.
func MannWhitney(experiment, control []float64, conf float64) (MannWhitneyResult, error) {
	x, y := experiment, control
	if len(x) == 0 || len(y) == 0 {
		return MannWhitneyResult{}, errors.New("empty sample")
	}
	muMin := minOf(x) - maxOf(y)
	muMax := maxOf(x) - minOf(y)
	buf := make([]rankItem, len(x)+len(y))
	var tied bool
	f := func(mu, zq float64) float64 {
		w, sigma := wilcoxonW(x, y, mu, buf)
		if sigma == 0 {
			tied = true
			return math.NaN()
		}
		corr := 0.0
		if w > 0 {
			corr = 0.5
		} else if w < 0 {
			corr = -0.5
		}
		return (w-corr)/sigma - zq
	}
	root := func(zq float64) float64 {
		lo, hi := f(muMin, zq), f(muMax, zq)
		switch {
		case lo <= 0:
			return muMin
		case hi >= 0:
			return muMax
		}
		return zeroin(func(m float64) float64 { return f(m, zq) }, muMin, muMax, lo, hi, 1e-4)
	}
	z := normQuantile(1 - (1-conf)/2)
	r := MannWhitneyResult{Lower: root(z), Upper: root(-z)}
	fl, fh := f(muMin, 0), f(muMax, 0)
	switch {
	case tied:
		return MannWhitneyResult{}, errAllTied
	case fl == 0:
		r.Estimate = muMin
	case fh == 0:
		r.Estimate = muMax
	case (fl > 0) == (fh > 0):
		// No sign change (cannot happen for a valid sample, the ends of
		// the search range have W of opposite signs); take the nearer end.
		r.Estimate = muMin
		if math.Abs(fh) < math.Abs(fl) {
			r.Estimate = muMax
		}
	default:
		r.Estimate = zeroin(func(m float64) float64 { return f(m, 0) }, muMin, muMax, fl, fh, 1e-4)
	}
	if tied {
		return MannWhitneyResult{}, errAllTied
	}
	return r, nil
}

type rankItem struct {
	v   float64
	isX bool
}

// wilcoxonW is W(μ) and σ(μ) for the shifted sample x − μ against y.
func wilcoxonW(x, y []float64, mu float64, buf []rankItem) (w, sigma float64) {
	for i, v := range x {
		buf[i] = rankItem{v - mu, true}
	}
	for i, v := range y {
		buf[len(x)+i] = rankItem{v, false}
	}
	sort.Slice(buf, func(i, j int) bool { return buf[i].v < buf[j].v })
	nx, ny := float64(len(x)), float64(len(y))
	var rx, ties float64
	for i := 0; i < len(buf); {
		j := i
		for j < len(buf) && buf[j].v == buf[i].v {
			j++
		}
		t := float64(j - i)
		avg := float64(i+j+1) / 2 // average of ranks i+1 … j
		for k := i; k < j; k++ {
			if buf[k].isX {
				rx += avg
			}
		}
		ties += t*t*t - t
		i = j
	}
	n := nx + ny
	w = rx - nx*(nx+1)/2 - nx*ny/2
	sigma = math.Sqrt(nx * ny / 12 * ((n + 1) - ties/(n*(n-1))))
	return w, sigma
}

// zeroin is Brent's root finder as in R's zeroin.c (R_zeroin2), given the
// function values at the ends of a bracketing interval.
func zeroin(f func(float64) float64, ax, bx, fa, fb, tol float64) float64 {
	const eps = 2.220446049250313e-16
	a, b := ax, bx
	c, fc := a, fa
	if fa == 0 {
		return a
	}
	if fb == 0 {
		return b
	}
	for range 1001 {
		prev := b - a
		if math.Abs(fc) < math.Abs(fb) {
			a, b, c = b, c, b
			fa, fb, fc = fb, fc, fb
		}
		tolAct := 2*eps*math.Abs(b) + tol/2
		step := (c - b) / 2
		if math.Abs(step) <= tolAct || fb == 0 {
			return b
		}
		if math.Abs(prev) >= tolAct && math.Abs(fa) > math.Abs(fb) {
			var p, q float64
			cb := c - b
			if a == c {
				t1 := fb / fa
				p = cb * t1
				q = 1 - t1
			} else {
				q = fa / fc
				t1 := fb / fc
				t2 := fb / fa
				p = t2 * (cb*q*(q-t1) - (b-a)*(t1-1))
				q = (q - 1) * (t1 - 1) * (t2 - 1)
			}
			if p > 0 {
				q = -q
			} else {
				p = -p
			}
			if p < 0.75*cb*q-math.Abs(tolAct*q)/2 && p < math.Abs(prev*q/2) {
				step = p / q
			}
		}
		if math.Abs(step) < tolAct {
			if step > 0 {
				step = tolAct
			} else {
				step = -tolAct
			}
		}
		a, fa = b, fb
		b += step
		fb = f(b)
		if (fb > 0 && fc > 0) || (fb < 0 && fc < 0) {
			c, fc = a, fa
		}
	}
	return b
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = math.Max(m, x)
	}
	return m
}

// normQuantile is Φ⁻¹(p).
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

// normSurvival is 1 − Φ(z).
func normSurvival(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
