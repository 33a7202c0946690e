package engine

import "context"

// batchGroup is the number of events whose context memory ObserveBatch
// requests together.
const batchGroup = 32

// ObserveBatch observes the events of evs in order, exactly as calling
// Observe on each would, and returns how many it observed: all of them, or
// those before the first that failed, with that event's error.
//
// It is faster than one Observe at a time on streams with many contexts.
// There, each event's context state is a cache miss, and one event at a
// time leaves the processor waiting on each miss in turn. ObserveBatch
// first reads the state of a group of events' contexts (and the keys of
// contexts not seen before, which it copies) with loads that do not depend
// on one another, so that the processor has many misses in flight at once,
// and then observes each event, in order, in memory now cached.
func (r *Rollout) ObserveBatch(ctx context.Context, evs []Event) (int, error) {
	done := 0
	for len(evs) > 0 {
		g := evs[:min(len(evs), batchGroup)]
		evs = evs[len(g):]
		if r.lib.reorder == nil {
			r.ctxIdx.touch(g)
		}
		for j := range g {
			if err := r.Observe(ctx, &g[j]); err != nil {
				return done + j, err
			}
		}
		done += len(g)
	}
	return done, nil
}

// touch reads the table memory of the events' contexts: with direct IDs
// their records and the exposures' keys; with sparse IDs their byID
// entries, then their records or, for contexts not seen yet, their keys.
// The loads of a pass do not depend on one another; their sum goes to
// sink so that none is dropped.
func (t *contextTable) touch(g []Event) {
	if t.stride == 0 {
		return
	}
	sink := t.sink
	n := uint32(t.slots())
	if !t.sparse {
		for j := range g {
			if id := g[j].ContextID; id-1 < n {
				sink += uint64(t.pages[(id-1)>>pageBits][int((id-1)&(pageLen-1))*t.stride].count)
			}
			// The key of a new context is copied (and, unassigned,
			// hashed): read those of all exposures rather than wait for
			// the records to say which contexts are new.
			if g[j].Kind == KindExposure && len(g[j].ContextKey) > 0 {
				sink += uint64(g[j].ContextKey[0])
			}
		}
		t.sink = sink
		return
	}
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
