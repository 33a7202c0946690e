package engine

import "sync"

// Context memory recycled from one rollout to the next. A sweep, a
// backtest or a benchmark runs rollouts one after another, each filling a
// table of about the same size; allocated afresh each time, that memory
// makes the garbage collector run (and mark the whole heap) every few
// rollouts, and new memory costs page faults on first use. Release hands a
// finished rollout's record pages, key chunks and per-context slices to
// these pools and later tables take them from there, cleared. A sync.Pool
// drops what stays unused across two collections, so an idle process
// keeps none of it.
var (
	pagePools [maxPooledStride + 1]slicePool[metricVal] // pageLen*stride cells each
	chunkPool slicePool[byte]                           // capacity arenaChunk
	keysPool  slicePool[keyRef]
	orderPool slicePool[int32]
)

// slicePool is a sync.Pool of slices of T.
type slicePool[T any] struct{ p sync.Pool }

// get returns a slice as it was put, or nil if the pool has none.
func (p *slicePool[T]) get() []T {
	if s, ok := p.p.Get().(*[]T); ok {
		return *s
	}
	return nil
}

func (p *slicePool[T]) put(s []T) { p.p.Put(&s) }

// maxPooledStride is the largest record (in cells) whose pages are
// recycled: 1 + metrics + ratio denominators; policies have a handful.
const maxPooledStride = 32

// takePage returns a page of pageLen zero records of stride cells.
func takePage(stride int) []metricVal {
	if p := recycledPage(stride); p != nil {
		return p
	}
	return make([]metricVal, pageLen*stride)
}

// recycledPage returns a recycled page of pageLen zero records, or nil if
// there is none.
func recycledPage(stride int) []metricVal {
	if stride > maxPooledStride {
		return nil
	}
	p := pagePools[stride].get()
	clear(p)
	return p
}

// takeChunk returns an empty key chunk of capacity arenaChunk.
func takeChunk() []byte {
	if c := chunkPool.get(); c != nil {
		return c[:0]
	}
	return make([]byte, 0, arenaChunk)
}

// release hands the table's memory to the pools and leaves it empty: the
// table no longer refers to any of it, so nothing it holds can change
// another table's state.
func (t *contextTable) release() {
	if t.stride <= maxPooledStride {
		for _, p := range t.pages {
			if len(p) == pageLen*t.stride {
				pagePools[t.stride].put(p)
			}
		}
	}
	for _, c := range t.store.chunks {
		if cap(c) == arenaChunk {
			chunkPool.put(c)
		}
	}
	if cap(t.store.keys) > 0 {
		keysPool.put(t.store.keys)
	}
	if cap(t.order) > 0 {
		orderPool.put(t.order)
	}
	*t = contextTable{stride: t.stride}
}

// Release hands the memory of the rollout's contexts (their state and
// keys, most of a rollout's memory) to rollouts made later, so that a
// process running many rollouts in turn does not allocate it anew for
// each. Call it when done with the rollout: its Result stays valid, but
// the rollout forgets its contexts and must not observe events or make a
// Snapshot afterwards. Run releases the rollouts it makes.
func (r *Rollout) Release() { r.ctxIdx.release() }
