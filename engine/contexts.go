package engine

import (
	"slices"
	"unsafe"
)

// contextTable numbers the contexts the engine has seen and keeps their
// state. Each context has a handle h and one record of cells: its
// ctxState, then its metric values (one per metric, then one per ratio
// metric for the denominator sum), so that an event finds everything of
// its context in one place, usually one or two cache lines, instead of in
// a slice per kind of state. The records are kept in pages of pageLen
// (the first page grows up to that size), so that the table grows without
// copying or reserving twice its size; the cells hold no pointers: the
// garbage collector does not scan them.
//
// Events that carry a ContextID find their handle without hashing. While
// the table is direct (not sparse) the handle is the ID−1 itself: the
// record of an ID not seen yet is unused, and the records cover the IDs up
// to a bound (directLimit), so dense IDs (ContextIDs) and IDs from a
// bounded population (the generator numbers its contexts) cost no lookup
// at all. An ID beyond the bound, or an event without an ID for a context
// not seen yet, makes the table sparse for good: handles become the order
// of appearance, byID maps IDs to handles and, for events without an ID,
// a key map (built only once such an event arrives). A plain Go map keyed
// by the event's string would cost a hash and a key comparison per event,
// the engine's largest cost before this table.
type contextTable struct {
	sparse bool
	n      int // contexts
	pages  [][]metricVal
	slotsN int // records in pages
	stride int // cells per record
	// order[j] is the handle of the j-th context to appear, in direct
	// mode; nil while that is j itself (dense IDs).
	order []int32
	byID  []int32          // sparse: ContextID → handle+1; 0: not seen yet
	index map[string]int32 // key → handle; nil until an event without an ID
	// The engine keeps its own copy of each key (sources may reuse the
	// bytes), in order of appearance.
	store keyStore
	sink  uint64 // touchSparse's and prefetch's loads (batch.go)
}

// A ctxState shares its record's first cell.
var _ [unsafe.Sizeof(metricVal{}) - unsafe.Sizeof(ctxState{})]byte

const (
	pageBits = 12
	pageLen  = 1 << pageBits // records per page
)

// directBudget bounds the memory of the records of a direct table beyond
// four times its contexts (IDs not seen yet have records too).
const directBudget = 32 << 20

// init sets the record size for a policy: a header cell, nm metric cells
// and nden denominator cells.
func (t *contextTable) init(nm, nden int) {
	t.stride = 1 + nm + nden
}

// ctx returns the state of context h.
func (t *contextTable) ctx(h int32) *ctxState {
	return (*ctxState)(unsafe.Pointer(&t.pages[h>>pageBits][int(h&(pageLen-1))*t.stride]))
}

// rec returns the record of context h: rec[1+m] is metric m's value.
func (t *contextTable) rec(h int32) []metricVal {
	p := t.pages[h>>pageBits]
	b := int(h&(pageLen-1)) * t.stride
	return p[b : b+t.stride : b+t.stride]
}

// handle is the handle of the j-th context to appear.
func (t *contextTable) handle(j int) int32 {
	if t.order == nil {
		return int32(j)
	}
	return t.order[j]
}

// slots is the number of records.
func (t *contextTable) slots() int { return t.slotsN }

// idLimit is the largest ContextID cached by index: IDs up to 4M, or up to
// twice the contexts seen, so that a stray huge ID cannot make the engine
// allocate a huge slice (such IDs take the key map).
func (t *contextTable) idLimit() uint32 {
	return uint32(min(max(2*t.n, 1<<22), 1<<30))
}

// directLimit is the largest ContextID a direct table takes.
func (t *contextTable) directLimit() int {
	return min(max(4*(t.n+1), directBudget/(t.stride*int(unsafe.Sizeof(metricVal{})))), (1<<31-1)/t.stride)
}

// lookup returns the handle of ev's context, or -1 if it is new.
func (t *contextTable) lookup(ev *Event) int32 {
	if id := ev.ContextID; id != 0 {
		if !t.sparse {
			if h := int(id) - 1; h < t.slots() && t.ctx(int32(h)).used {
				return int32(h)
			}
			if t.index == nil {
				return -1
			}
			// The key may be known without an ID or under another one.
			t.makeSparse()
		}
		if int(id) < len(t.byID) {
			if i := t.byID[id]; i != 0 {
				return i - 1
			}
		}
		if id <= t.idLimit() {
			// Without a key map, every context so far came with its ID.
			if t.index == nil {
				return -1
			}
			i, ok := t.index[ev.ContextKey]
			if !ok {
				return -1
			}
			t.setID(id, i)
			return i
		}
	}
	if t.index == nil {
		t.buildIndex()
	}
	if i, ok := t.index[ev.ContextKey]; ok {
		return i
	}
	return -1
}

// add registers ev's context, which lookup reported new, and returns its
// handle. Its state is fresh: arm Unassigned, values zero.
func (t *contextTable) add(ev *Event) int32 {
	id := ev.ContextID
	if !t.sparse && (id == 0 || int(id) > t.directLimit()) {
		t.makeSparse()
	}
	var h int32
	if t.sparse {
		h = int32(t.n)
		if t.n >= t.slotsN {
			t.grow(t.n + 1)
		}
		if id != 0 && id <= t.idLimit() {
			t.setID(id, h)
		}
	} else {
		h = int32(id - 1)
		if int(h) >= t.slotsN {
			t.grow(int(id))
		}
		if t.order == nil && int(h) != t.n {
			// A recycled slice if there is one large enough; order must
			// not stay nil (nil means dense), even with no context yet.
			t.order = orderPool.get()[:0]
			if t.order == nil || cap(t.order) < t.n {
				t.order = make([]int32, 0, max(2*t.n, 256))
			}
			for j := range t.n {
				t.order = append(t.order, int32(j))
			}
		}
		if t.order != nil {
			t.order = appendGrow(t.order, h)
		}
	}
	*t.ctx(h) = ctxState{used: true, arm: Unassigned, lastNewStep: -1}
	t.n++
	t.store.add(ev.ContextKey)
	if t.index != nil {
		t.index[t.store.key(t.n-1)] = h
	}
	return h
}

// grow makes the records cover n handles (in a direct table n ≤
// directLimit): the first page grows by doubling, then whole pages are
// added. New records are zero (unused).
func (t *contextTable) grow(n int) {
	if t.slotsN == 0 {
		// A recycled page is taken whole: it costs nothing new.
		if p := recycledPage(t.stride); p != nil {
			t.pages = append(t.pages, p)
			t.slotsN = pageLen
		}
	}
	if t.slotsN < pageLen {
		m := pageLen
		if n < pageLen {
			m = min(max(n, 2*t.slotsN, 256), pageLen)
		}
		p := make([]metricVal, m*t.stride)
		if len(t.pages) > 0 {
			copy(p, t.pages[0])
			t.pages[0] = p
		} else {
			t.pages = append(t.pages, p)
		}
		t.slotsN = m
	}
	for t.slotsN < n {
		t.pages = append(t.pages, takePage(t.stride))
		t.slotsN += pageLen
	}
}

// makeSparse leaves the direct numbering: the records move into order of
// appearance and byID maps the IDs so far.
func (t *contextTable) makeSparse() {
	if t.order != nil {
		old := *t
		t.pages, t.slotsN = nil, 0
		t.grow(t.n)
		inv := make([]int32, old.slotsN)
		for j := range t.n {
			h := old.order[j]
			copy(t.rec(int32(j)), old.rec(h))
			inv[h] = int32(j)
		}
		for k, h := range t.index {
			t.index[k] = inv[h]
		}
	}
	for j := range t.n {
		t.setID(uint32(t.handle(j))+1, int32(j))
	}
	t.order = nil
	t.sparse = true
}

func (t *contextTable) setID(id uint32, i int32) {
	if int(id) >= len(t.byID) {
		n := max(int(id)+1, 2*len(t.byID), 1024)
		grown := make([]int32, n)
		copy(grown, t.byID)
		t.byID = grown
	}
	t.byID[id] = i + 1
}

func (t *contextTable) buildIndex() {
	t.index = make(map[string]int32, t.n)
	for j := range t.n {
		k := t.store.key(j)
		if _, dup := t.index[k]; !dup {
			t.index[k] = t.handle(j)
		}
	}
}

// keyStore keeps copies of keys: keys[i] locates key i in chunks,
// pointer-free so that the garbage collector need not scan one string per
// context.
type keyStore struct {
	keys   []keyRef
	chunks [][]byte
	cur    int // chunks[cur-1] takes the next short key; 0: none yet
}

// keyRef is chunk<<32 | offset<<16 | length (length < arenaChunk/4), or
// chunk<<32 | bigKey for a key that has a chunk of its own.
type keyRef uint64

const (
	arenaChunk = 1 << 16 // bytes per chunk of keys
	bigKey     = 1<<16 - 1
)

// add appends a copy of key.
func (t *keyStore) add(key string) {
	if t.keys == nil {
		t.keys = keysPool.get()[:0]
	}
	t.keys = appendGrow(t.keys, t.keep(key))
}

// keep copies a key into the chunks.
func (t *keyStore) keep(key string) keyRef {
	if len(key) >= arenaChunk/4 {
		t.chunks = append(t.chunks, []byte(key))
		return keyRef(len(t.chunks)-1)<<32 | bigKey
	}
	if t.cur == 0 || cap(t.chunks[t.cur-1])-len(t.chunks[t.cur-1]) < len(key) {
		t.chunks = append(t.chunks, takeChunk())
		t.cur = len(t.chunks)
	}
	c := &t.chunks[t.cur-1]
	off := len(*c)
	*c = append(*c, key...)
	return keyRef(t.cur-1)<<32 | keyRef(off)<<16 | keyRef(len(key))
}

// key returns key i (sharing the chunk's memory).
func (t *keyStore) key(i int) string {
	r := t.keys[i]
	c := t.chunks[r>>32]
	if r&0xFFFF == bigKey {
		return unsafe.String(unsafe.SliceData(c), len(c))
	}
	off, n := int(r>>16&0xFFFF), int(r&0xFFFF)
	return unsafe.String(unsafe.SliceData(c[off:]), n)
}

// appendGrow is append with doubling growth: the engine's per-context
// slices grow to millions of entries, where append's 1.25× steps would
// allocate and copy about five times the final size.
func appendGrow[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 256))
	}
	return append(s, v)
}
