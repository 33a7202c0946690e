package schedule_test

import (
	"fmt"
	"time"

	"github.com/guardsim/guardsim/engine/schedule"
)

// The default schedule and the LaunchDarkly weights (new, outside,
// control, in thousandths of a percent) each step serves.
func ExampleDefault() {
	steps := schedule.Default(24 * time.Hour)
	for _, s := range steps {
		fmt.Printf("%g%% for %v: weights %v\n", s.Percent, s.Duration, s.Weights())
	}
	fmt.Println("total", schedule.Total(steps), schedule.Format(steps))
	// Output:
	// 1% for 24h0m0s: weights [1000 98000 1000]
	// 5% for 24h0m0s: weights [5000 90000 5000]
	// 10% for 24h0m0s: weights [10000 80000 10000]
	// 25% for 24h0m0s: weights [25000 50000 25000]
	// 50% for 24h0m0s: weights [50000 0 50000]
	// total 120h0m0s 1:24h0m0s,5:24h0m0s,10:24h0m0s,25:24h0m0s,50:24h0m0s
}
