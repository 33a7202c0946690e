package engine_test

import (
	"context"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// exactMeanVar is the mean and unbiased variance of ys by two passes in
// 256-bit arithmetic.
func exactMeanVar(ys []float64) (mean, variance float64) {
	const prec = 256
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }
	sum := f(0)
	for _, y := range ys {
		sum.Add(sum, f(y))
	}
	mu := f(0).Quo(sum, f(float64(len(ys))))
	ss := f(0)
	for _, y := range ys {
		d := f(y)
		d.Sub(d, mu)
		ss.Add(ss, d.Mul(d, d))
	}
	ss.Quo(ss, f(float64(len(ys)-1)))
	mean, _ = mu.Float64()
	variance, _ = ss.Float64()
	return mean, variance
}

// TestEngineMomentsAtLargeOffsets: a mean metric whose values sit at
// offsets up to 1e12 (sd 1.2, several events per context, so every
// context's value is replaced as its events arrive) reports each arm's mean
// and variance to 1e-9 of the exact two-pass values over the per-context
// values. Raw sums lost all precision here (+48% variance at 1e6).
func TestEngineMomentsAtLargeOffsets(t *testing.T) {
	const perArm, perCtx, sd = 3000, 4, 1.2
	arms := []engine.Variation{engine.Original, engine.New}
	for _, off := range []float64{1e6, 1e9, 1e12} {
		rng := rand.New(rand.NewPCG(uint64(off), 3))
		s := &stream{}
		for _, v := range arms {
			for i := 0; i < perArm; i++ {
				s.expose(time.Minute, v.String()+"-"+itoa(i), v)
			}
		}
		// Each context's value is the running mean of its events, updated
		// as the engine documents: v += (y − v)/count.
		values := map[engine.Variation][]float64{}
		for _, v := range arms {
			values[v] = make([]float64, perArm)
		}
		for e := 0; e < perCtx; e++ {
			for _, v := range arms {
				for i := 0; i < perArm; i++ {
					y := off + sd*rng.NormFloat64()
					s.metric(2*time.Minute+time.Duration(e)*time.Second, v.String()+"-"+itoa(i), 0, y)
					if e == 0 {
						values[v][i] = y
					} else {
						values[v][i] += (y - values[v][i]) / float64(e+1)
					}
				}
			}
		}
		p := basePolicy()
		p.MinContexts = 1
		r, err := engine.NewRollout(p, engine.Options{Start: t0})
		require.NoError(t, err)
		for i := range s.evs {
			require.NoError(t, r.Observe(context.Background(), &s.evs[i]))
		}
		res := r.Close(context.Background(), t0.Add(time.Hour))
		m := res.Timeline[len(res.Timeline)-1].Metrics[0]
		for v, as := range map[engine.Variation]engine.ArmStats{engine.Original: m.Original, engine.New: m.New} {
			wantMean, wantVar := exactMeanVar(values[v])
			require.Equal(t, perArm, as.N)
			assert.InEpsilon(t, wantVar, as.Var, 1e-9, "%v variance at offset %g", v, off)
			assert.InDelta(t, wantMean, as.Mean, 1e-9*sd, "%v mean at offset %g", v, off)
		}
	}
}
