package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkQuantileSampleAdd is the cost per value of the percentile
// store, with an hourly-check pattern: values arrive in batches of 1000
// and the sample is sorted (merged) after each batch. The bytes/value
// metric is the store's memory per kept value.
func BenchmarkQuantileSampleAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]float64, 1<<16)
	for i := range vals {
		vals[i] = math.Exp(rng.NormFloat64())
	}
	q := NewQuantileSample(DefaultQuantileCap, 1)
	b.ResetTimer()
	for i := range b.N {
		if q.Len() == DefaultQuantileCap && q.Exact() {
			q = NewQuantileSample(DefaultQuantileCap, 1)
		}
		q.Add(vals[i&(len(vals)-1)])
		if i%1000 == 999 {
			q.Sorted()
		}
	}
	b.ReportMetric(float64(q.Bytes())/float64(max(1, q.Len())), "bytes/value")
}

// BenchmarkQuantileCheck is one check of a p99 percentile metric on two
// arms of 20 000 values each: the GrowthBook summary and the one-sided
// Howard–Ramdas statistic.
func BenchmarkQuantileCheck(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	qa, qb := NewQuantileSample(0, 1), NewQuantileSample(0, 2)
	for range 20000 {
		qa.Add(math.Exp(rng.NormFloat64()))
		qb.Add(math.Exp(rng.NormFloat64()))
	}
	b.Run("growthbook", func(b *testing.B) {
		for range b.N {
			QuantileDiff(QuantileFromSorted(qa.Sorted(), 0.99), QuantileFromSorted(qb.Sorted(), 0.99), Absolute)
		}
	})
	b.Run("howard-ramdas", func(b *testing.B) {
		for range b.N {
			QuantileGreaterLogE(qa.Sorted(), qb.Sorted(), 0.99, 5000, 0.05, QuantileShift{})
		}
	})
}
