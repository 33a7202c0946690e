package plan

import (
	"math"
	"sort"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
)

// look is one check of the on-time path as the MDE recursion sees it: the
// information I = 1/V of the stratified estimate and the rejection boundary
// b on the score S = Δ̂·I (+Inf while min_per_arm is not reached).
type look struct {
	at   time.Duration
	step int
	info float64
	b    float64
}

// stepStarts are the offsets of the steps' starts on the on-time path.
func stepStarts(p engine.Policy) []time.Duration {
	s := make([]time.Duration, len(p.Steps)+1)
	for i, st := range p.Steps {
		s[i+1] = s[i] + st.Duration
	}
	return s
}

// checkTimes lists the engine's evaluations on the on-time path: every
// check interval from the start and every step end.
func checkTimes(p engine.Policy) []time.Duration {
	starts := stepStarts(p)
	end := starts[len(starts)-1]
	var ts []time.Duration
	for t := p.CheckInterval; t < end; t += p.CheckInterval {
		ts = append(ts, t)
	}
	ts = append(ts, starts[1:]...)
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	out := ts[:0]
	for i, t := range ts {
		if i == 0 || t != ts[i-1] {
			out = append(out, t)
		}
	}
	return out
}

// strata returns the expected analysed contexts per arm of metric m in each
// step's stratum at time t (offset from the start) on the on-time path: a
// context is in stratum j when its first analysed exposure falls in step j.
func (c *counter) strata(m int, t time.Duration) (na, nb []float64) {
	p := c.pol
	starts := stepStarts(p)
	at := func(d time.Duration) time.Time { return c.prof.Start.Add(d) }
	n := float64(c.prof.Population)
	met := p.Metrics[m]
	mp := c.prof.Metrics[m]
	for j := range p.Steps {
		if starts[j] >= t {
			break
		}
		end := min(t, starts[j+1])
		lamJ := c.prof.Traffic.Arrivals(at(starts[j]), at(end))
		var a, b float64
		for i := 0; i <= j; i++ {
			dB := c.newShare(i)
			dA := c.controlShare(i)
			if i > 0 {
				dB -= c.newShare(i - 1)
				dA -= c.controlShare(i - 1)
			}
			if n == 0 {
				if i == j {
					b += c.newShare(j) * lamJ
					a += c.controlShare(j) * lamJ
				}
				continue
			}
			// Entered the arm's range at step i, unseen since, seen in step j.
			unseen := math.Exp(-c.prof.Traffic.Arrivals(at(starts[i]), at(starts[j])) / n)
			b += n * dB * unseen * c.seen(lamJ)
			a += n * dA * unseen * c.seen(lamJ)
		}
		if met.Kind == engine.Numeric && met.Aggregation == engine.Mean {
			// Only contexts with an event are in a mean metric's sample.
			f := mp.DataRate
			if n > 0 && lamJ > 0 {
				f = c.seen(mp.DataRate*lamJ) / c.seen(lamJ)
			}
			a, b = a*f, b*f
		}
		na = append(na, a)
		nb = append(nb, b)
	}
	return na, nb
}

// looks builds the recursion's looks for metric m up to the end of step k.
func (c *counter) looks(m, k int) []look {
	p := c.pol
	alpha := p.MetricAlpha()
	rho := stats.Rho(p.NStar, alpha, true)
	starts := stepStarts(p)
	v := c.prof.Metrics[m].Var
	var ls []look
	for _, t := range checkTimes(p) {
		if t > starts[k+1] {
			break
		}
		step := sort.Search(len(starts), func(i int) bool { return starts[i] >= t }) - 1
		na, nb := c.strata(m, t)
		var info, nTot, sa, sb float64
		for j := range na {
			if na[j] < 2 || nb[j] < 2 {
				continue
			}
			info += 1 / (v * (1/na[j] + 1/nb[j]))
			nTot += na[j] + nb[j]
			sa += na[j]
			sb += nb[j]
		}
		l := look{at: t, step: step, info: info, b: math.Inf(1)}
		if info > 0 && sa >= float64(p.MinPerArm) && sb >= float64(p.MinPerArm) {
			vv := 1 / info
			l.b = stats.HalfWidthOneSided(nTot*vv, nTot, rho, alpha) * info
		}
		ls = append(ls, l)
	}
	return ls
}

// gridPoints is the number of cells of the recursion's grid per look.
const gridPoints = 120

// power is the probability that the score S, a Brownian motion in
// information time with drift delta, crosses the boundary at one of the
// looks. The density of S on the continuation region is carried from look
// to look on a grid of cells (mass moved with normal CDF differences, so
// that narrow steps between close looks stay exact in mass).
func power(ls []look, delta float64) float64 {
	xs := []float64{0}
	ms := []float64{1}
	prevI := 0.0
	crossed := 0.0
	for _, l := range ls {
		dI := l.info - prevI
		if dI <= 0 {
			if !math.IsInf(l.b, 1) {
				keepX, keepM := xs[:0:0], ms[:0:0]
				for i, x := range xs {
					if x > l.b {
						crossed += ms[i]
					} else {
						keepX, keepM = append(keepX, x), append(keepM, ms[i])
					}
				}
				xs, ms = keepX, keepM
			}
			continue
		}
		sd := math.Sqrt(dI)
		mu := delta * dI
		if !math.IsInf(l.b, 1) {
			for i, x := range xs {
				crossed += ms[i] * normSF((l.b-x-mu)/sd)
			}
		}
		lo := delta*l.info - 8*math.Sqrt(l.info)
		hi := math.Min(l.b, delta*l.info+8*math.Sqrt(l.info))
		if hi <= lo {
			return math.Min(1, crossed)
		}
		h := (hi - lo) / gridPoints
		nx := make([]float64, gridPoints)
		nm := make([]float64, gridPoints)
		for k := range nx {
			nx[k] = lo + (float64(k)+0.5)*h
		}
		for i, x := range xs {
			if ms[i] < 1e-300 {
				continue
			}
			c := x + mu
			k0 := max(0, int(math.Floor((c-7*sd-lo)/h)))
			k1 := min(gridPoints-1, int(math.Floor((c+7*sd-lo)/h)))
			prev := normCDF((lo + float64(k0)*h - c) / sd)
			for k := k0; k <= k1; k++ {
				next := normCDF((lo + float64(k+1)*h - c) / sd)
				nm[k] += ms[i] * (next - prev)
				prev = next
			}
		}
		xs, ms = nx, nm
		prevI = l.info
	}
	return math.Min(1, crossed)
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func normSF(x float64) float64  { return 0.5 * math.Erfc(x/math.Sqrt2) }

// TargetPower is the power the MDE is computed at.
const TargetPower = 0.8

// mde is the smallest harmful effect, present from the start, that the
// policy detects with probability TargetPower by the end of step k (NaN
// when the metric cannot be tested by then).
func (c *counter) mde(m, k int) (float64, []look) {
	ls := c.looks(m, k)
	last := -1
	for i := len(ls) - 1; i >= 0; i-- {
		if !math.IsInf(ls[i].b, 1) {
			last = i
			break
		}
	}
	if last < 0 || c.prof.Metrics[m].Var == 0 {
		return math.NaN(), ls
	}
	// At the last look alone: δ·I − b = z·√I. Looking more often only adds
	// power, so this is an upper bracket. Then the secant method on
	// Φ⁻¹(power), which is close to linear in δ (exactly so for one look),
	// guarded by the bracket.
	l := ls[last]
	hi := (l.b + zPower*math.Sqrt(l.info)) / l.info
	for i := 0; i < 40 && power(ls, hi) < TargetPower; i++ {
		hi *= 1.5
	}
	lo := 0.0
	g := func(d float64) float64 { return probit(power(ls, d)) - zPower }
	x0, x1 := 0.7*hi, hi
	g0, g1 := g(x0), g(x1)
	for it := 0; it < 30; it++ {
		if g0 >= 0 {
			hi = math.Min(hi, x0)
		} else {
			lo = math.Max(lo, x0)
		}
		if g1 >= 0 {
			hi = math.Min(hi, x1)
		} else {
			lo = math.Max(lo, x1)
		}
		if math.Abs(g1) < 1e-4 || hi-lo < 1e-6*hi {
			return x1, ls
		}
		x2 := x1 - g1*(x1-x0)/(g1-g0)
		if !(x2 > lo && x2 < hi) || g1 == g0 {
			x2 = (lo + hi) / 2
		}
		x0, g0 = x1, g1
		x1, g1 = x2, g(x2)
	}
	return x1, ls
}

// zPower is Φ⁻¹(TargetPower).
const zPower = 0.8416212335729143

// probit is Φ⁻¹(p), clamped away from 0 and 1.
func probit(p float64) float64 {
	p = math.Max(1e-12, math.Min(1-1e-12, p))
	return -math.Sqrt2 * math.Erfcinv(2*p)
}
