package engine

import (
	"encoding/binary"
	"hash/maphash"
	"unsafe"
)

// ContextIDs numbers context keys densely (1, 2, 3, … in order of first
// appearance), for sources that set Event.ContextID: a source that decodes
// keys on one goroutine can number them there, and the engine on another
// then finds each context by index instead of hashing its key.
//
// It is an open-addressing hash table (linear probing) written for this
// one use rather than a map[string]uint32: a map of millions of string
// keys costs the garbage collector a scan of every key at each cycle and
// takes three cache misses per lookup of a key it holds (control word,
// slot, key bytes). Here a slot is 24 pointer-free bytes that hold the
// key's number, length, 15 bits of its hash and its first 16 bytes, so
// that a key of up to 16 bytes (user IDs such as "user-1234567", numeric
// IDs) is found, or known to be new, in its slot alone: one cache miss
// per lookup in a table of millions. A longer key (a UUID, say) keeps its
// bytes in a chunk of entries and the slot its first 8 bytes and where
// the rest is; the slot's bytes rule out almost every mismatch before the
// entry is read. The table grows by 1.5× and 4/3× in turn (a slot's home
// is the hash scaled to the table's length, not masked), so that it is
// between 3/8 and 3/4 full rather than down to a quarter. The zero value
// is ready to use; it is not safe for concurrent use.
type ContextIDs struct {
	seed   maphash.Seed
	slots  []idSlot
	chunks [][]byte // the bytes of keys longer than idInline
	n      int

	// Assign's scratch: two groups' hashes and slot bytes, and prefetch's
	// sums (so that no load is dropped). The addresses to prefetch are on
	// the stack of the functions that request them.
	hashes [2][assignGroup]uint64
	heads  [2][assignGroup]keyHead
	sink   uint64
}

// idSlot is a slot of ContextIDs. meta is tag<<48 | length<<32 | number
// (0: empty); head is the key's first 16 bytes, zero-padded, or for a
// key longer than that its first 8 bytes and chunk<<16 | offset of its
// bytes.
type idSlot struct {
	meta uint64
	head keyHead
}

type keyHead [2]uint64

const (
	idInline = 16      // keys up to this long sit in their slot
	idChunk  = 1 << 16 // bytes per chunk of long keys
	idMaxKey = idChunk - 1
)

// Len returns the number of keys numbered so far.
func (c *ContextIDs) Len() int { return c.n }

// ID returns key's number, numbering it if it is new. It returns 0 (no ID)
// for a key of 64 KiB or more, and once 2³²−1 keys have been numbered.
func (c *ContextIDs) ID(key string) uint32 {
	if len(key) > idMaxKey {
		return 0
	}
	c.init()
	return c.id(key, maphash.String(c.seed, key), headOf(key))
}

func (c *ContextIDs) init() {
	if c.slots == nil {
		c.seed = maphash.MakeSeed()
		c.slots = make([]idSlot, 1024)
	}
}

// headOf returns the slot bytes of key: its first 16 bytes, zero-padded
// (for a longer key only the first word counts).
func headOf(key string) keyHead {
	var b [idInline]byte
	if len(key) >= idInline {
		b = *(*[idInline]byte)(unsafe.Pointer(unsafe.StringData(key)))
	} else {
		copy(b[:], key)
	}
	return keyHead{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

// home is the first slot of hash h's probe sequence: the top 32 bits of
// the hash scaled to the table's length (Lemire's multiply-shift range
// reduction), so the length need not be a power of two.
func (c *ContextIDs) home(h uint64) int {
	return int((h >> 32) * uint64(len(c.slots)) >> 32)
}

// slotTag is a slot's top 16 bits for hash h: 15 low bits of the hash
// (independent of home's), and a set bit so that no used slot is 0.
func slotTag(h uint64) uint64 { return (h&0x7FFF | 0x8000) << 48 }

// assignGroup is the number of keys whose table memory Assign requests
// together: about the processor's line fill buffers, like ObserveBatch's
// direct groups (batch.go). With 2M keys in random order
// (BenchmarkContextIDsBatch/Assign), groups of 4, 6, 8, 12, 16 and 32
// keys took 88, 59, 52, 53, 55 and 84 ns per key.
const assignGroup = 8

// Assign sets each event's ContextID to ID(ContextKey): the same numbers
// as calling ID in order, faster. In a table of millions of keys each
// lookup misses the cache (its slot; a long key's bytes too), and one
// lookup at a time leaves the processor waiting on each miss in turn.
// Assign works on groups of keys: it hashes a group and requests all its
// slots — loads that do not depend on one another, so the processor has
// many misses in flight at once — then, for long keys, the entries those
// slots point to, and only then looks each key up, in order, in memory
// now cached. The next group's slots are requested before the current
// group is looked up, so their misses overlap with that work (prefetch: a
// prefetch instruction where there is one, else plain loads).
func (c *ContextIDs) Assign(evs []Event) {
	c.init()
	cur := evs[:min(len(evs), assignGroup)]
	buf := 0
	c.hashGroup(cur, buf)
	for len(cur) > 0 {
		evs = evs[len(cur):]
		next := evs[:min(len(evs), assignGroup)]
		if len(next) > 0 {
			c.hashGroup(next, buf^1)
		}
		c.resolveGroup(cur, buf)
		cur, buf = next, buf^1
	}
}

// hashGroup hashes the keys of g into scratch buffer buf and requests
// their slots.
func (c *ContextIDs) hashGroup(g []Event, buf int) {
	hs, ws := c.hashes[buf][:len(g)], c.heads[buf][:len(g)]
	for j := range g {
		hs[j] = maphash.String(c.seed, g[j].ContextKey)
		ws[j] = headOf(g[j].ContextKey)
	}
	// On the stack: no write barriers. A slot is 24 bytes, so one in four
	// straddles two cache lines; its second line is requested too.
	var abuf [2 * assignGroup]unsafe.Pointer
	a := abuf[:0]
	for _, h := range hs {
		s := &c.slots[c.home(h)]
		a = append(a, unsafe.Pointer(s))
		if end := unsafe.Pointer(&s.head[1]); uintptr(end)>>6 != uintptr(unsafe.Pointer(s))>>6 {
			a = append(a, end)
		}
	}
	c.sink += prefetch(a)
}

// resolveGroup reads the entries of g's long keys whose slot may hold them
// (the slots were requested by hashGroup), then numbers g's keys.
func (c *ContextIDs) resolveGroup(g []Event, buf int) {
	hs, ws := c.hashes[buf][:len(g)], c.heads[buf][:len(g)]
	var abuf [assignGroup]unsafe.Pointer // on the stack: no write barriers
	a := abuf[:0]
	for j, h := range hs {
		if n := len(g[j].ContextKey); n > idInline && n <= idMaxKey {
			s := &c.slots[c.home(h)]
			if s.meta&^(1<<32-1) == slotTag(h)|uint64(n)<<32 {
				a = append(a, unsafe.Pointer(unsafe.StringData(c.long(s.head[1], 1))))
			}
		}
	}
	c.sink += prefetch(a)
	for j := range g {
		if len(g[j].ContextKey) > idMaxKey {
			g[j].ContextID = 0
			continue
		}
		g[j].ContextID = c.id(g[j].ContextKey, hs[j], ws[j])
	}
}

// long returns the n bytes of a long key at ref (chunk<<16 | offset).
func (c *ContextIDs) long(ref uint64, n int) string {
	ch := c.chunks[ref>>16]
	return unsafe.String(&ch[ref&0xFFFF], n)
}

// id is ID for a key of hash h and slot bytes w.
func (c *ContextIDs) id(key string, h uint64, w keyHead) uint32 {
	want := slotTag(h) | uint64(len(key))<<32
	i := c.home(h)
	for {
		s := &c.slots[i]
		if s.meta == 0 {
			break
		}
		if s.meta&^(1<<32-1) == want {
			if len(key) <= idInline {
				if s.head == w {
					return uint32(s.meta)
				}
			} else if s.head[0] == w[0] && c.long(s.head[1], len(key)) == key {
				return uint32(s.meta)
			}
		}
		if i++; i == len(c.slots) {
			i = 0
		}
	}
	if c.n >= 1<<32-1 {
		return 0
	}
	// New: it takes the empty slot that ended the probe.
	c.n++
	id := uint32(c.n)
	if len(key) > idInline {
		w[1] = c.add(key)
	}
	c.slots[i] = idSlot{meta: want | uint64(id), head: w}
	if 4*c.n > 3*len(c.slots) {
		c.grow()
	}
	return id
}

// add keeps a long key's bytes and returns where they are.
func (c *ContextIDs) add(key string) uint64 {
	if len(c.chunks) == 0 || cap(c.chunks[len(c.chunks)-1])-len(c.chunks[len(c.chunks)-1]) < len(key) {
		c.chunks = append(c.chunks, make([]byte, 0, idChunk))
	}
	last := &c.chunks[len(c.chunks)-1]
	off := len(*last)
	*last = append(*last, key...)
	return uint64(len(c.chunks)-1)<<16 | uint64(off)
}

// grow enlarges the table (1.5× from a power of two, else 4/3×, so two
// steps double it) and places every slot again, rehashing its key.
func (c *ContextIDs) grow() {
	old := c.slots
	n := len(old) / 3 * 4
	if len(old)&(len(old)-1) == 0 {
		n = len(old) / 2 * 3
	}
	c.slots = make([]idSlot, n)
	populate(unsafe.Pointer(unsafe.SliceData(c.slots)), uintptr(n)*unsafe.Sizeof(idSlot{}))
	var b [idInline]byte
	for k := range old {
		s := &old[k]
		if s.meta == 0 {
			continue
		}
		var h uint64
		if l := int(s.meta >> 32 & 0xFFFF); l <= idInline {
			binary.LittleEndian.PutUint64(b[:8], s.head[0])
			binary.LittleEndian.PutUint64(b[8:], s.head[1])
			h = maphash.Bytes(c.seed, b[:l])
		} else {
			h = maphash.String(c.seed, c.long(s.head[1], l))
		}
		i := c.home(h)
		for c.slots[i].meta != 0 {
			if i++; i == len(c.slots) {
				i = 0
			}
		}
		c.slots[i] = *s
	}
}
