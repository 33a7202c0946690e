//go:build amd64 && !purego

package engine

// hasPrefetch reports whether prefetch issues prefetch instructions.
const hasPrefetch = true

// prefetch requests the cache lines at addrs without waiting for them
// (x86 PREFETCHT0). Go has no prefetch intrinsic outside its runtime, and
// plain loads, the portable alternative (touch), stall the processor once
// its reorder buffer fills with the loads' dependants; a prefetch retires
// at once, so a group's misses overlap with the work on the group before.
// Any address is safe: a prefetch never faults.
//
//go:noescape
func prefetch(addrs []uintptr)
