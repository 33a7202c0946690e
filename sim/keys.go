package sim

import (
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The keys "user-0", "user-1", … do not depend on the seed, so every
// generator in the process shares them: a Monte Carlo sweep makes each key
// once, not once per rollout. They live in fixed 16-byte slots of shared,
// never-modified chunks, so the key of context i is at an address computed
// from i (its length from i's digits): the generator touches no per-key
// string header, whose random loads were a cache miss per arrival.
const (
	keySlot      = 16      // bytes per key: "user-" and up to 11 digits
	keysPerChunk = 1 << 16 // keys per chunk (1 MiB)
	// maxSharedKeys bounds the shared keys (32 MiB); later keys are
	// made one by one.
	maxSharedKeys = 1 << 21
)

type keyChunk [keysPerChunk * keySlot]byte

var (
	keyChunks   atomic.Pointer[[]*keyChunk]
	keyChunksMu sync.Mutex
)

// contextKey returns the key of context i, "user-" and i in base 10.
func contextKey(i int) string {
	if p := keyChunks.Load(); p != nil && i>>16 < len(*p) {
		c := (*p)[i>>16]
		return unsafe.String(&c[(i&(keysPerChunk-1))*keySlot], 5+decimalDigits(i))
	}
	if i >= maxSharedKeys {
		return "user-" + strconv.Itoa(i)
	}
	growKeys(i)
	return contextKey(i)
}

// growKeys makes the chunks up to the one holding key i.
func growKeys(i int) {
	keyChunksMu.Lock()
	defer keyChunksMu.Unlock()
	var old []*keyChunk
	if p := keyChunks.Load(); p != nil {
		old = *p
	}
	if i>>16 < len(old) {
		return
	}
	chunks := make([]*keyChunk, i>>16+1)
	copy(chunks, old)
	for ci := len(old); ci < len(chunks); ci++ {
		c := new(keyChunk)
		for j := range keysPerChunk {
			strconv.AppendInt(append(c[j*keySlot:j*keySlot], "user-"...), int64(ci*keysPerChunk+j), 10)
		}
		chunks[ci] = c
	}
	keyChunks.Store(&chunks)
}

// decimalDigits is the number of base-10 digits of i ≥ 0.
func decimalDigits(i int) int {
	n := 1
	for i >= 10 {
		i /= 10
		n++
	}
	return n
}
