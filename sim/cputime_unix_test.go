//go:build unix

package sim_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user + system CPU time so far (0 where it
// cannot be read).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
