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
	pagePools [maxPooledStride + 1]sync.Pool // *[]metricVal of pageLen*stride cells
	chunkPool sync.Pool                      // *[]byte of capacity arenaChunk
	keysPool  sync.Pool                      // *[]keyRef
	orderPool sync.Pool                      // *[]int32
)

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
	if stride <= maxPooledStride {
		if p, ok := pagePools[stride].Get().(*[]metricVal); ok {
			clear(*p)
			return *p
		}
	}
	return nil
}

// takeChunk returns an empty key chunk of capacity arenaChunk.
func takeChunk() []byte {
	if p, ok := chunkPool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, arenaChunk)
}

// takeSlice returns an empty slice from pool, or nil.
func takeSlice[T any](pool *sync.Pool) []T {
	if p, ok := pool.Get().(*[]T); ok {
		return (*p)[:0]
	}
	return nil
}

// release hands the table's memory to the pools and leaves it empty: the
// table no longer refers to any of it, so nothing it holds can change
// another table's state.
func (t *contextTable) release() {
	if t.stride <= maxPooledStride {
		for _, p := range t.pages {
			if len(p) == pageLen*t.stride {
				pagePools[t.stride].Put(&p)
			}
		}
	}
	for _, c := range t.store.chunks {
		if cap(c) == arenaChunk {
			c = c[:0]
			chunkPool.Put(&c)
		}
	}
	if k := t.store.keys; cap(k) > 0 {
		k = k[:0]
		keysPool.Put(&k)
	}
	if o := t.order; cap(o) > 0 {
		o = o[:0]
		orderPool.Put(&o)
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
