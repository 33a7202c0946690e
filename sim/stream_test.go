package sim

import (
	"math/rand/v2"
	"testing"
)

// TestStreamMatchesMathRand: stream draws bit for bit the numbers of
// rand.New(rand.NewPCG(seed1, seed2)), each method alone and all mixed in
// a random order (the order the generator's draws take), over enough draws
// to take the ziggurats' rare paths (the tails, the wedges) many times.
func TestStreamMatchesMathRand(t *testing.T) {
	const n = 3_000_000
	type draw struct {
		name   string
		stream func(*stream) float64
		rand   func(*rand.Rand) float64
	}
	draws := []draw{
		{"Float64", (*stream).Float64, (*rand.Rand).Float64},
		{"ExpFloat64", (*stream).ExpFloat64, (*rand.Rand).ExpFloat64},
		{"NormFloat64", (*stream).NormFloat64, (*rand.Rand).NormFloat64},
		{"IntN(200000)", func(s *stream) float64 { return float64(s.IntN(200000)) }, func(r *rand.Rand) float64 { return float64(r.IntN(200000)) }},
		{"IntN(1<<40+3)", func(s *stream) float64 { return float64(s.IntN(1<<40 + 3)) }, func(r *rand.Rand) float64 { return float64(r.IntN(1<<40 + 3)) }},
		{"IntN(1<<62+1)", func(s *stream) float64 { return float64(s.IntN(1<<62 + 1)) }, func(r *rand.Rand) float64 { return float64(r.IntN(1<<62 + 1)) }},
		{"IntN(4096)", func(s *stream) float64 { return float64(s.IntN(4096)) }, func(r *rand.Rand) float64 { return float64(r.IntN(4096)) }},
	}
	for _, d := range draws {
		s, r := newStream(7, 0x6a09e667f3bcc909), rand.New(rand.NewPCG(7, 0x6a09e667f3bcc909))
		for i := range n {
			if got, want := d.stream(&s), d.rand(r); got != want {
				t.Fatalf("%s draw %d: %v, math/rand/v2 %v", d.name, i, got, want)
			}
		}
	}
	s, r := newStream(11, 12), rand.New(rand.NewPCG(11, 12))
	pick := rand.New(rand.NewPCG(1, 1))
	for i := range n {
		d := draws[pick.IntN(len(draws))]
		if got, want := d.stream(&s), d.rand(r); got != want {
			t.Fatalf("mixed draw %d (%s): %v, math/rand/v2 %v", i, d.name, got, want)
		}
	}
}
