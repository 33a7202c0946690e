package plan

import (
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/guardsim/guardsim/engine"
)

// counter computes the probability that a step's minimum contexts are met
// by a time, under the profile's arrival model.
type counter struct {
	pol  engine.Policy
	prof *Profile
}

// seen is the probability that one population member arrives at least once
// in a window with lam expected arrivals in all (lam itself when the
// population is infinite: then it is the Poisson mean of new contexts).
func (c *counter) seen(lam float64) float64 {
	if c.prof.Population == 0 {
		return lam
	}
	return -math.Expm1(-lam / float64(c.prof.Population))
}

// effective is the expected number of arrivals in [from, to) whose event of
// metric m has arrived by to, times the metric's data rate.
func (c *counter) effective(m int, from, to time.Time) float64 {
	mp := c.prof.Metrics[m]
	tr := c.prof.Traffic
	if mp.Delay <= 0 {
		return mp.DataRate * tr.Arrivals(from, to)
	}
	reach := 2 * mp.Delay
	cdf := func(u time.Duration) float64 { return math.Min(1, float64(u)/float64(reach)) }
	if mp.DelayShape == ExponentialDelay {
		reach = 20 * mp.Delay
		cdf = func(u time.Duration) float64 { return -math.Expm1(-float64(u) / float64(mp.Delay)) }
	}
	cut := to.Add(-reach)
	if cut.Before(from) {
		cut = from
	}
	a := tr.Arrivals(from, cut)
	const k = 200
	span := to.Sub(cut)
	for i := 0; i < k; i++ {
		u0 := cut.Add(span * time.Duration(i) / k)
		u1 := cut.Add(span * time.Duration(i+1) / k)
		mid := u0.Add(u1.Sub(u0) / 2)
		a += tr.Arrivals(u0, u1) * cdf(to.Sub(mid))
	}
	return mp.DataRate * a
}

// newShare is the bucket share of step i's new arm (the engine's weights).
func (c *counter) newShare(i int) float64 {
	w := c.pol.Steps[i].Weights()
	return float64(w[0]) / 100000
}

func (c *counter) controlShare(i int) float64 {
	w := c.pol.Steps[i].Weights()
	return float64(w[2]) / 100000
}

// expectedServed is the expected number of distinct contexts served an arm
// of share q in [from, to).
func (c *counter) expectedServed(q float64, from, to time.Time) float64 {
	lam := c.prof.Traffic.Arrivals(from, to)
	if c.prof.Population == 0 {
		return q * lam
	}
	return float64(c.prof.Population) * q * c.seen(lam)
}

// hasMinimum reports whether the policy sets any minimum contexts.
func (c *counter) hasMinimum() bool {
	if c.pol.MinContexts > 0 {
		return true
	}
	for _, m := range c.pol.Metrics {
		if m.MinContexts > 0 {
			return true
		}
	}
	return false
}

// pMet is the probability that every minimum of step i, started at from,
// is met at a check at time to. X, the distinct new-variation contexts seen
// in [from, to), is Binomial(N, p·seen) (Poisson(p·Λ) for N = 0); given X =
// x, the contexts among them with data for metric m are Binomial(x, ρₘ),
// ρₘ the probability that a seen context has an event of m by then.
// Metrics are treated as independent given x (exact for one metric
// minimum; their counts are positively correlated through each context's
// number of arrivals, so the product slightly understates the joint
// probability when several metric minima bind at once).
func (c *counter) pMet(i int, from, to time.Time) float64 {
	if !c.hasMinimum() {
		return 1
	}
	p := c.newShare(i)
	lam := c.prof.Traffic.Arrivals(from, to)
	var x distribution
	if n := c.prof.Population; n > 0 {
		x = binomial(float64(n), p*c.seen(lam))
	} else {
		x = poisson(p * lam)
	}
	type req struct {
		min int
		rho float64
	}
	var reqs []req
	lo := c.pol.MinContexts
	for m, met := range c.pol.Metrics {
		if met.MinContexts == 0 {
			continue
		}
		eff := c.effective(m, from, to)
		rho := 0.0
		if s := c.seen(lam); s > 0 {
			rho = math.Min(1, c.seen(eff)/s)
		}
		reqs = append(reqs, req{met.MinContexts, rho})
		lo = max(lo, met.MinContexts)
	}
	if len(reqs) == 0 {
		return x.atLeast(lo)
	}
	mean, sd := x.mean(), x.sd()
	hi := int(math.Ceil(mean + 12*sd + 10))
	var total float64
	for k := lo; k <= hi; k++ {
		pk := x.prob(k)
		if pk == 0 {
			continue
		}
		for _, r := range reqs {
			pk *= binomial(float64(k), r.rho).atLeast(r.min)
		}
		total += pk
	}
	return math.Min(1, total)
}

// distribution is a discrete count distribution.
type distribution interface {
	prob(k int) float64
	atLeast(k int) float64
	mean() float64
	sd() float64
}

type binom struct{ b distuv.Binomial }

func binomial(n, p float64) distribution {
	return binom{distuv.Binomial{N: n, P: math.Max(0, math.Min(1, p))}}
}

func (b binom) prob(k int) float64 {
	switch {
	case b.b.P == 0:
		return b2f(k == 0)
	case b.b.P == 1:
		return b2f(float64(k) == b.b.N)
	}
	return b.b.Prob(float64(k))
}

func (b binom) atLeast(k int) float64 {
	switch {
	case k <= 0:
		return 1
	case float64(k) > b.b.N:
		return 0
	case b.b.P == 0:
		return 0
	case b.b.P == 1:
		return 1
	}
	return b.b.Survival(float64(k - 1))
}

func (b binom) mean() float64 { return b.b.N * b.b.P }
func (b binom) sd() float64   { return math.Sqrt(b.b.N * b.b.P * (1 - b.b.P)) }

type pois struct{ lambda float64 }

func poisson(l float64) distribution { return pois{l} }

func (p pois) prob(k int) float64 {
	if p.lambda == 0 {
		return b2f(k == 0)
	}
	return distuv.Poisson{Lambda: p.lambda}.Prob(float64(k))
}

func (p pois) atLeast(k int) float64 {
	if k <= 0 {
		return 1
	}
	if p.lambda == 0 {
		return 0
	}
	return distuv.Poisson{Lambda: p.lambda}.Survival(float64(k - 1))
}

func (p pois) mean() float64 { return p.lambda }
func (p pois) sd() float64   { return math.Sqrt(p.lambda) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
