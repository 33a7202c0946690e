//go:build unix

package cputime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessGrowsWithWork spins until Process reports 20 ms more CPU time
// (within 10 s of wall time, so that a counter that never grows fails),
// and checks that it reports no more than the wall time spent plus a
// margin: one goroutine spinning uses at most one core.
func TestProcessGrowsWithWork(t *testing.T) {
	before := Process()
	require.Positive(t, before)
	start := time.Now()
	x := uint64(1)
	for Process()-before < 20*time.Millisecond {
		require.Less(t, time.Since(start), 10*time.Second, "CPU time did not grow")
		for range 1 << 16 {
			x = x*6364136223846793005 + 1
		}
	}
	_ = x
	require.Less(t, Process()-before, time.Since(start)+100*time.Millisecond)
}
