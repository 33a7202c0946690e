//go:build !unix

package cputime

import "time"

// Process is not measured here: it returns 0 (benchmarks then report no
// CPU rate).
func Process() time.Duration { return 0 }
