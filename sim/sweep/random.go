package sweep

import (
	"math"
	"math/rand/v2"
)

// Samplers for the aggregate simulator. math/rand/v2 has uniform, normal
// and exponential draws only; these add exact Poisson, binomial and gamma
// draws without allocating.

func lgam(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// poisson draws a Poisson(lam) count: multiplication for small means,
// Hörmann's transformed rejection with squeeze (PTRS, 1993) otherwise.
func poisson(r *rand.Rand, lam float64) int {
	if !(lam > 0) {
		return 0
	}
	if lam < 10 {
		l := math.Exp(-lam)
		k := 0
		p := r.Float64()
		for p > l {
			k++
			p *= r.Float64()
		}
		return k
	}
	slam := math.Sqrt(lam)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	vr := 0.9277 - 3.6224/(b-2)
	// These are needed only when the quick acceptance fails.
	var loglam, invalpha float64
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lam + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		if invalpha == 0 {
			loglam = math.Log(lam)
			invalpha = 1.1239 + 1.1328/(b-3.4)
		}
		// log(v) + log(invalpha) − log(a/us² + b) in one logarithm.
		if math.Log(v*invalpha/(a/(us*us)+b)) <= -lam+k*loglam-lgam(k+1) {
			return int(k)
		}
	}
}

// binomial draws a Binomial(n, p) count: inversion for small means,
// Hörmann's BTRS (1993) otherwise.
func binomial(r *rand.Rand, n int, p float64) int {
	if n <= 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	if p > 0.5 {
		return n - binomial(r, n, 1-p)
	}
	nf := float64(n)
	if nf*p < 10 {
		// Inversion: walk the CDF from 0.
		q := 1 - p
		s := p / q
		f := math.Pow(q, nf)
		u := r.Float64()
		k := 0
		for u > f && k < n {
			u -= f
			f *= s * float64(n-k) / float64(k+1)
			k++
		}
		return k
	}
	q := 1 - p
	spq := math.Sqrt(nf * p * q)
	b := 1.15 + 2.53*spq
	a := -0.0873 + 0.0248*b + 0.01*p
	c := nf*p + 0.5
	vr := 0.92 - 4.2/b
	alpha := (2.83 + 5.1/b) * spq
	lpq := math.Log(p / q)
	m := math.Floor((nf + 1) * p)
	h := lgam(m+1) + lgam(nf-m+1)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + c)
		if k < 0 || k > nf {
			continue
		}
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		v = math.Log(v * alpha / (a/(us*us) + b))
		if v <= h-lgam(k+1)-lgam(nf-k+1)+(k-m)*lpq {
			return int(k)
		}
	}
}

// gamma1 draws a Gamma(shape, 1) variate (Marsaglia & Tsang 2000; shapes
// below 1 by the U^(1/shape) boost).
func gamma1(r *rand.Rand, shape float64) float64 {
	boost := 1.0
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		boost = math.Pow(u, 1/shape)
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			return d * v * boost
		}
		if u > 0 && math.Log(u) < 0.5*x2+d*(1-v+math.Log(v)) {
			return d * v * boost
		}
	}
}
