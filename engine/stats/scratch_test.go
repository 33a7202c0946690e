package stats

import (
	"fmt"
	"testing"
)

func TestScratch(t *testing.T) {
	a := Moments{N: 3000, Sum: 1396.87, SumSq: 52377.9767}
	b := Moments{N: 3461, Sum: 2422.7, SumSq: 134698.29}
	r := SequentialCS(a, b, Greater, 0.05, 5000, Absolute)
	fmt.Printf("%+v\n", r)
	est, se := Difference(a, b, Absolute)
	n := a.N + b.N
	rho := Rho(5000, 0.05, true)
	fmt.Printf("%.17g\n", OneSidedPValueGrowthBook(est, se*se*n, n, rho))
	fmt.Printf("%+v\n", SequentialCS(a, b, Less, 0.05, 5000, Absolute))
	fmt.Printf("%+v\n", SequentialCS(a, b, Greater, 0.05, 5000, Relative))
	fmt.Printf("%+v\n", SequentialCS(a, b, TwoSided, 0.05, 1000, Relative))
	fmt.Printf("%+v\n", SequentialCS(ProportionMoments(1396, 3000), ProportionMoments(2422, 3461), TwoSided, 0.05, 5000, Relative))
	fmt.Printf("%+v\n", WelchT(a, b, Greater, 0.05, Absolute))
	a2 := Moments{N: 3407, Sum: 1396.87, SumSq: 52377.9767}
	fmt.Printf("%+v\n", WelchT(a2, b, TwoSided, 0.05, Absolute))
	fmt.Printf("%+v\n", WelchT(a2, b, TwoSided, 0.05, Relative))
	fmt.Printf("%+v\n", WelchT(ProportionMoments(14, 28), ProportionMoments(16, 30), TwoSided, 0.05, Relative))
	fmt.Printf("%+v\n", WelchT(BinaryMoments(14, 28), BinaryMoments(16, 30), TwoSided, 0.05, Relative))
}
