package engine

import (
	"encoding/binary"
	"hash/maphash"
)

// ContextIDs numbers context keys densely (1, 2, 3, … in order of first
// appearance), for sources that set Event.ContextID: a source that decodes
// keys on one goroutine can number them there, and the engine on another
// then finds each context by index instead of hashing its key.
//
// It is an open-addressing hash table written for this one use rather than
// a map[string]uint32: a map of millions of string keys costs the garbage
// collector a scan of every key at each cycle and takes three cache misses
// per lookup of a key it holds (control word, slot, key bytes). Here a
// slot is one pointer-free word (15 bits of the hash and where the entry
// is) and an entry — the key's number, length and bytes — sits in a byte
// chunk, so a lookup touches two cache lines. The zero value is ready to
// use; it is not safe for concurrent use.
type ContextIDs struct {
	seed   maphash.Seed
	slots  []uint64 // tag<<48 | chunk<<16 | offset; 0: empty
	chunks [][]byte // entries: id (4 bytes), length (2 bytes), key
	n      int

	hashes [assignGroup]uint64 // Assign's scratch
	sink   uint64              // Assign's touched words (so no load is dropped)
}

const (
	idChunk    = 1 << 16 // bytes per chunk of entries
	idEntryHdr = 6
	idMaxKey   = idChunk - idEntryHdr
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
	return c.id(key, maphash.String(c.seed, key))
}

func (c *ContextIDs) init() {
	if c.slots == nil {
		c.seed = maphash.MakeSeed()
		c.slots = make([]uint64, 1024)
		c.chunks = [][]byte{make([]byte, 0, idChunk)}
	}
}

// assignGroup is the number of keys whose table memory Assign requests
// together.
const assignGroup = 32

// Assign sets each event's ContextID to ID(ContextKey): the same numbers
// as calling ID in order, faster. In a table of millions of keys each
// lookup misses the cache twice (its slot, then its entry), and one
// lookup at a time leaves the processor waiting on each miss in turn.
// Assign first hashes a group of keys and reads all their slots, then
// reads the entries those slots point to — loads that do not depend on
// one another, so the processor has many misses in flight at once — and
// only then looks each key up, in order, in memory now cached.
func (c *ContextIDs) Assign(evs []Event) {
	c.init()
	for len(evs) > 0 {
		g := evs[:min(len(evs), assignGroup)]
		evs = evs[len(g):]
		hs := c.hashes[:len(g)]
		for j := range g {
			hs[j] = maphash.String(c.seed, g[j].ContextKey)
		}
		mask := uint64(len(c.slots) - 1)
		sink := c.sink
		for _, h := range hs {
			sink += c.slots[h&mask]
		}
		for _, h := range hs {
			if s := c.slots[h&mask]; s&^(1<<48-1) == slotTag(h) {
				sink += uint64(c.chunks[s>>16&(1<<32-1)][s&0xFFFF])
			}
		}
		c.sink = sink
		for j := range g {
			if len(g[j].ContextKey) > idMaxKey {
				g[j].ContextID = 0
				continue
			}
			g[j].ContextID = c.id(g[j].ContextKey, hs[j])
		}
	}
}

// id is ID for a key of hash h.
func (c *ContextIDs) id(key string, h uint64) uint32 {
	tag := slotTag(h)
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			break
		}
		if s&^(1<<48-1) == tag {
			e := c.chunks[s>>16&(1<<32-1)][s&0xFFFF:]
			if n := int(binary.LittleEndian.Uint16(e[4:])); n == len(key) && string(e[idEntryHdr:idEntryHdr+n]) == key {
				return binary.LittleEndian.Uint32(e)
			}
		}
	}
	if c.n >= 1<<32-1 {
		return 0
	}
	c.n++
	id := uint32(c.n)
	ref := c.add(id, key)
	if 4*c.n > 3*len(c.slots) {
		c.grow()
	} else {
		c.put(tag, ref, h)
	}
	return id
}

// add appends key's entry and returns its chunk<<16 | offset.
func (c *ContextIDs) add(id uint32, key string) uint64 {
	last := &c.chunks[len(c.chunks)-1]
	if cap(*last)-len(*last) < idEntryHdr+len(key) {
		c.chunks = append(c.chunks, make([]byte, 0, idChunk))
		last = &c.chunks[len(c.chunks)-1]
	}
	off := len(*last)
	*last = binary.LittleEndian.AppendUint32(*last, id)
	*last = binary.LittleEndian.AppendUint16(*last, uint16(len(key)))
	*last = append(*last, key...)
	return uint64(len(c.chunks)-1)<<16 | uint64(off)
}

// slotTag is the top 16 bits of a slot: 15 bits of the hash, and a set
// bit so that no used slot is 0.
func slotTag(h uint64) uint64 { return (h>>48 | 0x8000) << 48 }

// put places an entry in the first empty slot of its probe sequence.
func (c *ContextIDs) put(tag, ref, h uint64) {
	mask := uint64(len(c.slots) - 1)
	i := h & mask
	for c.slots[i] != 0 {
		i = (i + 1) & mask
	}
	c.slots[i] = tag | ref
}

// grow doubles the table and places every entry again, walking the chunks.
func (c *ContextIDs) grow() {
	c.slots = make([]uint64, 2*len(c.slots))
	for ci, ch := range c.chunks {
		for off := 0; off < len(ch); {
			n := int(binary.LittleEndian.Uint16(ch[off+4:]))
			h := maphash.Bytes(c.seed, ch[off+idEntryHdr:off+idEntryHdr+n])
			c.put(slotTag(h), uint64(ci)<<16|uint64(off), h)
			off += idEntryHdr + n
		}
	}
}
