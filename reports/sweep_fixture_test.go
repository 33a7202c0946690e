package reports

import (
	"fmt"
	"math"
	"time"

	"github.com/guardsim/guardsim/sim/sweep"
)

func wilson(k, n int) (lo, hi float64) {
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	den := 1 + z*z/nn
	c := (p + z*z/(2*nn)) / den
	h := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return math.Max(0, c-h), math.Min(1, c+h)
}

// fixtureSweep fabricates a sweep over alpha × nstar × effect with
// plausible rates: false positives below alpha, power rising with effect
// and falling with a stricter alpha.
func fixtureSweep() *sweep.Result {
	const reps = 400
	res := &sweep.Result{Scenario: "checkout-latency", Fidelity: sweep.Aggregate, Seed: 99, Reps: reps,
		Grid: "alpha=0.01,0.05;nstar=1000,5000;effect=0,2,5,10"}
	for _, alpha := range []float64{0.01, 0.05} {
		for _, nstar := range []float64{1000, 5000} {
			policy := fmt.Sprintf("alpha=%g nstar=%g", alpha, nstar)
			for _, effect := range []float64{0, 2, 5, 10} {
				var rate float64
				if effect == 0 {
					rate = alpha * (0.35 + 0.1*math.Log(nstar/500))
				} else {
					// A logistic power curve.
					shift := 4.0 - math.Log(alpha/0.01) - 0.3*math.Log(nstar/1000)
					rate = 1 / (1 + math.Exp(-(1.1*effect - shift)))
				}
				k := int(math.Round(rate * reps))
				lo, hi := wilson(k, reps)
				c := sweep.Cell{
					Params:     []sweep.Param{{Name: "alpha", Value: alpha}, {Name: "nstar", Value: nstar}, {Name: "effect", Value: effect}},
					Policy:     policy,
					Alpha:      alpha,
					Effect:     effect,
					Reps:       reps,
					Detections: k,
					Rate:       float64(k) / reps,
					RateLo:     lo,
					RateHi:     hi,
				}
				if k > 0 {
					c.DetectMedian = time.Duration(80-5*effect) * time.Hour
					c.DetectP90 = c.DetectMedian + 21*time.Hour + 30*time.Minute
					c.NewContextsMean = 12000 / (1 + effect) * (nstar / 5000)
				}
				c.SRMShare = 0.0025 * (1 - c.Rate)
				c.InsufficientShare = 0.005 * (1 - c.Rate)
				c.CompletedShare = 1 - c.Rate - c.SRMShare - c.InsufficientShare
				c.ExposureMedian = 30000 / (1 + effect)
				share := func(x float64) (float64, float64) { return wilson(int(math.Round(x*reps)), reps) }
				c.SRMShareLo, c.SRMShareHi = share(c.SRMShare)
				c.InsufficientShareLo, c.InsufficientShareHi = share(c.InsufficientShare)
				c.CompletedShareLo, c.CompletedShareHi = share(c.CompletedShare)
				c.FamilyBound, c.FamilyRule = 2*alpha, sweep.FamilyUnion
				// Latency flags most detections, conversion some (both at once
				// in one).
				lat := int(math.Ceil(0.7 * float64(k)))
				conv := min(k-lat+1, k)
				for _, m := range []struct {
					key string
					n   int
				}{{"latency_ms", lat}, {"checkout_conversion", conv}} {
					lo, hi := wilson(m.n, reps)
					c.Metrics = append(c.Metrics, sweep.MetricRate{Key: m.key, Detections: m.n, Rate: float64(m.n) / reps, RateLo: lo, RateHi: hi})
				}
				res.Cells = append(res.Cells, c)
			}
		}
	}
	return res
}
