package engine

import (
	"context"
	"unsafe"
)

// The number of events whose context memory ObserveBatch requests
// together. A direct table's group is small: its requests are independent
// prefetches, and a burst of more than the processor's line fill buffers
// (about a dozen) stalls it until some lines arrive, instead of letting
// the misses overlap with the work on the group before. On the engine
// benchmark, groups of 4, 6, 8, 10, 16, 32 and 64 events ran 15.8, 17.1,
// 17.6, 17.6, 16.3, 14.8 and 15.1M events/s. A sparse table's loads
// depend on one another (the ID map, then the record), and there larger
// groups overlap more of them.
const (
	directGroup = 8
	sparseGroup = 32
)

// eventsAhead is how far ahead of the group observed ObserveBatch requests
// the events themselves: a stream in memory is read in order, but with the
// records' misses taking the fill buffers the hardware's own prefetching
// of the next events falls behind (on the engine benchmark 16.4M events/s
// without, 17.2–17.8M with 16 to 128 events ahead).
const eventsAhead = 32

// groupLen is ObserveBatch's group size for the table as it is.
func (t *contextTable) groupLen() int {
	if t.sparse {
		return sparseGroup
	}
	return directGroup
}

// ObserveBatch observes the events of evs in order, exactly as calling
// Observe on each would, and returns how many it observed: all of them, or
// those before the first that failed, with that event's error.
//
// It is faster than one Observe at a time on streams with many contexts.
// There, each event's context state is a cache miss, and one event at a
// time leaves the processor waiting on each miss in turn. ObserveBatch
// requests the state of a group of events' contexts (and the keys of
// contexts not seen before, which it copies) together, one group ahead of
// the group it observes, so that the processor has many misses in flight
// at once and they overlap with the observing (prefetch: a prefetch
// instruction where there is one, else plain loads).
func (r *Rollout) ObserveBatch(ctx context.Context, evs []Event) (int, error) {
	done := 0
	ahead := r.lib.reorder == nil
	n := r.ctxIdx.groupLen()
	if ahead {
		r.ctxIdx.prefetchGroup(evs, n)
	}
	for len(evs) > 0 {
		g := evs[:min(len(evs), n)]
		evs = evs[len(g):]
		if ahead {
			if r.ctxIdx.sparse {
				r.ctxIdx.touchSparse(g)
			} else {
				r.ctxIdx.prefetchGroup(evs, n)
			}
		}
		for j := range g {
			if err := r.Observe(ctx, &g[j]); err != nil {
				return done + j, err
			}
		}
		done += len(g)
		n = r.ctxIdx.groupLen() // the group may have made the table sparse
	}
	return done, nil
}

// prefetchGroup requests the memory the first n events of evs need in a
// direct table: their records (and a metric event's cell), and the keys of
// exposures of contexts not seen yet; and the n events eventsAhead on. A
// sparse table's records are found through byID, a load that prefetching
// cannot skip (touchSparse); there it does nothing.
func (t *contextTable) prefetchGroup(evs []Event, n int) {
	if t.stride == 0 || t.sparse {
		return
	}
	g := evs[:min(len(evs), n)]
	var far []Event
	if len(evs) > eventsAhead {
		far = evs[eventsAhead:min(len(evs), eventsAhead+n)]
	}
	// On the stack: storing pointers there needs no write barrier, which
	// a field of the table (on the heap) would take per address while the
	// collector marks.
	var buf [3 * directGroup]unsafe.Pointer
	a := buf[:0]
	slots := uint32(t.slots())
	known := uint32(t.n)
	if t.order != nil {
		known = 0
	}
	for j := range g {
		ev := &g[j]
		if id := ev.ContextID; id-1 < slots {
			p := t.pages[(id-1)>>pageBits]
			b := int((id-1)&(pageLen-1)) * t.stride
			rec := unsafe.Pointer(&p[b])
			a = append(a, rec)
			// A metric event's own cell, when it is in the next line.
			if m := int(ev.Metric); ev.Kind == KindMetric && m >= 0 && m < t.stride-1 {
				if cell := unsafe.Pointer(&p[b+1+m]); uintptr(cell)>>6 != uintptr(rec)>>6 {
					a = append(a, cell)
				}
			}
		}
		if ev.Kind == KindExposure && ev.ContextID-1 >= known && len(ev.ContextKey) > 0 {
			a = append(a, unsafe.Pointer(unsafe.StringData(ev.ContextKey)))
		}
	}
	for j := range far {
		a = append(a, unsafe.Pointer(&far[j]))
	}
	t.sink += prefetch(a)
}

// touchSparse reads a sparse table's memory for the events: their byID
// entries, then their records or, for contexts not seen yet, their keys.
// The loads of a pass do not depend on one another; their sum goes to
// sink so that none is dropped.
func (t *contextTable) touchSparse(g []Event) {
	if t.stride == 0 {
		return
	}
	sink := t.sink
	m := uint32(len(t.byID))
	for j := range g {
		if id := g[j].ContextID; id < m {
			sink += uint64(t.byID[id])
		}
	}
	for j := range g {
		if id := g[j].ContextID; id < m {
			if h := t.byID[id]; h != 0 {
				sink += uint64(t.pages[(h-1)>>pageBits][int((h-1)&(pageLen-1))*t.stride].count)
			} else if len(g[j].ContextKey) > 0 {
				sink += uint64(g[j].ContextKey[0])
			}
		}
	}
	t.sink = sink
}
