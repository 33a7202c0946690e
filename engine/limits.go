package engine

import (
	"math"
	"time"
)

// MaxRolloutDuration is the longest a rollout may last: the engine's clock
// is int64 nanoseconds (about 292 years).
const MaxRolloutDuration = time.Duration(math.MaxInt64)

// durationOverflows reports whether the steps with their extensions, or
// the check interval, last longer than the engine's clock can count: their
// sum would wrap around in int64 nanoseconds.
func (p Policy) durationOverflows() bool {
	var d time.Duration
	for i, st := range p.Steps {
		for _, x := range []time.Duration{st.Duration, p.ExtensionLength(i)} {
			if x < 0 {
				continue // Validate reports it
			}
			if d > MaxRolloutDuration-x {
				return true
			}
			d += x
		}
	}
	return p.CheckInterval > 0 && d > MaxRolloutDuration-p.CheckInterval
}
