package engine

import "unsafe"

// Hooks for the external tests of context-memory recycling.

// PageAddrs returns the addresses of the rollout's full record pages.
func PageAddrs(r *Rollout) []uintptr {
	var a []uintptr
	for _, p := range r.ctxIdx.pages {
		if len(p) == pageLen*r.ctxIdx.stride {
			a = append(a, uintptr(unsafe.Pointer(unsafe.SliceData(p))))
		}
	}
	return a
}

// HoldsContexts reports whether the rollout's table still refers to any
// memory of its contexts.
func HoldsContexts(r *Rollout) bool {
	t := &r.ctxIdx
	return t.n != 0 || t.pages != nil || t.store.keys != nil || t.store.chunks != nil || t.order != nil || t.byID != nil || t.index != nil
}

// DrainContextPools empties the pools of recycled context memory.
func DrainContextPools() {
	for i := range pagePools {
		for pagePools[i].get() != nil {
		}
	}
	for chunkPool.get() != nil {
	}
	for keysPool.get() != nil {
	}
	for orderPool.get() != nil {
	}
}
