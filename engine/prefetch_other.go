//go:build !amd64 || purego

package engine

import "unsafe"

// prefetch reads a byte at each address with plain loads (no prefetch
// instruction here): loads that do not depend on one another, so their
// misses still overlap. It returns their sum, which the caller keeps so
// that no load is dropped.
func prefetch(addrs []unsafe.Pointer) uint64 {
	var sum uint64
	for _, p := range addrs {
		sum += uint64(*(*byte)(p))
	}
	return sum
}
