//go:build amd64 && !purego

package engine

import "unsafe"

// prefetch requests the cache lines at addrs without waiting for them
// (x86 PREFETCHT0) and returns 0. Go has no prefetch intrinsic outside
// its runtime, and plain loads (the portable version) stall the processor
// once its reorder buffer fills with the loads' dependants; a prefetch
// retires at once, so a group's misses overlap with the work on the group
// before. A prefetch never faults, whatever the address.
//
//go:noescape
func prefetch(addrs []unsafe.Pointer) uint64
