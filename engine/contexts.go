package engine

import (
	"slices"
	"unsafe"
)

// contextTable numbers the contexts the engine has seen: index i is the
// state ctxs[i]. Events that carry a ContextID find their index in a slice
// (no hashing); events without one go through a key map, which is built
// only once such an event arrives. A plain Go map keyed by the event's
// string would cost a hash and a key comparison per event, the engine's
// largest cost before this table.
type contextTable struct {
	// sparse is false while every context came with ContextID index+1
	// (dense numbers in order of appearance, as ContextIDs gives): then
	// the ID is the index and byID is not needed.
	sparse bool
	byID   []int32          // ContextID → index+1; 0: not seen yet
	index  map[string]int32 // key → index; nil until an event without an ID
	// The engine keeps its own copy of each key (sources may reuse the
	// bytes).
	store keyStore
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

// idLimit is the largest ContextID cached by index: IDs up to 4M, or up to
// twice the contexts seen, so that a stray huge ID cannot make the engine
// allocate a huge slice (such IDs take the key map).
func (t *contextTable) idLimit() uint32 {
	return uint32(min(max(2*len(t.store.keys), 1<<22), 1<<30))
}

// lookup returns the index of ev's context, or -1 if it is new.
func (t *contextTable) lookup(ev *Event) int32 {
	if id := ev.ContextID; id != 0 {
		if !t.sparse {
			if int(id) <= len(t.store.keys) {
				return int32(id) - 1
			}
			if t.index == nil {
				return -1
			}
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
// index (the number of contexts before it).
func (t *contextTable) add(ev *Event) int32 {
	i := int32(len(t.store.keys))
	if !t.sparse && ev.ContextID != uint32(i)+1 {
		t.makeSparse()
	}
	t.store.add(ev.ContextKey)
	if t.index != nil {
		t.index[t.store.key(int(i))] = i
	}
	if !t.sparse {
		return i
	}
	if id := ev.ContextID; id != 0 && id <= t.idLimit() {
		t.setID(id, i)
	}
	return i
}

// makeSparse leaves the dense numbering: byID maps the IDs so far.
func (t *contextTable) makeSparse() {
	t.sparse = true
	for i := range t.store.keys {
		t.setID(uint32(i+1), int32(i))
	}
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
	t.index = make(map[string]int32, len(t.store.keys))
	for i := range t.store.keys {
		k := t.store.key(i)
		if _, dup := t.index[k]; !dup {
			t.index[k] = int32(i)
		}
	}
}

// add appends a copy of key.
func (t *keyStore) add(key string) {
	t.keys = appendGrow(t.keys, t.keep(key))
}

// keep copies a key into the chunks.
func (t *keyStore) keep(key string) keyRef {
	if len(key) >= arenaChunk/4 {
		t.chunks = append(t.chunks, []byte(key))
		return keyRef(len(t.chunks)-1)<<32 | bigKey
	}
	if t.cur == 0 || cap(t.chunks[t.cur-1])-len(t.chunks[t.cur-1]) < len(key) {
		t.chunks = append(t.chunks, make([]byte, 0, arenaChunk))
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
