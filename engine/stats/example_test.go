package stats_test

import (
	"fmt"

	"github.com/guardsim/guardsim/engine/stats"
)

// The engine's regression test on two arms' per-context moments: the
// step-stratified difference and its one-sided anytime-valid interval.
func ExampleStratify() {
	var a, b stats.Moments
	for i := 0; i < 400; i++ {
		a.Add(100 + float64(i%10))
		b.Add(103 + float64(i%10))
	}
	d, ok := stats.Stratify([]stats.Stratum{{A: a, B: b}})
	if !ok {
		panic("no data")
	}
	const alpha = 0.05
	rho := stats.Rho(1000, alpha, true)
	hw := stats.HalfWidthOneSided(d.S2(), d.N, rho, alpha)
	fmt.Printf("difference %.2f, lower bound %.3f (harm if > 0): %v\n", d.Estimate, d.Estimate-hw, d.Estimate-hw > 0)
	fmt.Println("always-valid p < 1e-6:", stats.OneSidedPValue(d.Estimate, d.S2(), d.N, rho) < 1e-6)
	// Output:
	// difference 3.00, lower bound 2.433 (harm if > 0): true
	// always-valid p < 1e-6: true
}

// Wilson's 95% interval for 12 rollbacks in 400 rollouts.
func ExampleWilson() {
	lo, hi := stats.Wilson(12, 400, 1.959964)
	fmt.Printf("[%.4f, %.4f]\n", lo, hi)
	// Output:
	// [0.0172, 0.0517]
}
