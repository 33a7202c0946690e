//go:build !amd64 || purego

package engine

// hasPrefetch reports whether prefetch issues prefetch instructions; here
// it does not, and the callers read the memory with plain loads instead.
const hasPrefetch = false

func prefetch([]uintptr) {}
