package stats

import (
	"math/rand/v2"
	"testing"
)

var sinkF float64

func BenchmarkOneSidedCS(b *testing.B) {
	rho := Rho(5000, 0.05, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n := 1000 + float64(i&1023)
		hw := HalfWidthOneSided(1.7, n, rho, 0.05)
		sinkF += hw + OneSidedPValue(0.05, 1.7, n, rho)
	}
}

func BenchmarkSequentialSRMObserve(b *testing.B) {
	s := NewSequentialSRM(10000)
	s.StartStep([]float64{0.5, 0.5})
	counts := []float64{0, 0}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		counts[0], counts[1] = float64(50+i&7), float64(50+(i>>3)&7)
		s.Observe(counts)
	}
	sinkF += s.LogBF()
}

func BenchmarkSequentialSRMObserveUnit(b *testing.B) {
	s := NewSequentialSRM(10000)
	s.StartStep([]float64{0.5, 0.5})
	one := [][]float64{{1, 0}, {0, 1}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Observe(one[i&1])
	}
	sinkF += s.LogBF()
}

func BenchmarkStratify(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	st := make([]Stratum, 8)
	for i := range st {
		st[i] = randomStratum(rng)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _ := Stratify(st)
		sinkF += d.Estimate
	}
}
