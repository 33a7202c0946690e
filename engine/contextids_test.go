package engine_test

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// TestContextIDsNumberKeysDensely checks ContextIDs against a map: keys
// are numbered 1, 2, 3, … in order of first appearance, a repeated key
// gets its number again (across table growth), and keys that differ only
// in length, in a late byte, or that are long or empty stay apart; a
// key of 64 KiB or more gets no number.
func TestContextIDsNumberKeysDensely(t *testing.T) {
	var ids engine.ContextIDs
	want := map[string]uint32{}
	keys := []string{"", "a", "ab", "user-1", "user-10", "user-1\x00", strings.Repeat("k", 65000), strings.Repeat("k", 64999)}
	for i := 0; i < 50000; i++ {
		keys = append(keys, "user-"+strconv.Itoa(i*7919%100003))
	}
	for round := 0; round < 3; round++ {
		for i, k := range keys {
			if round > 0 && i%3 != round {
				continue
			}
			id := ids.ID(k)
			w, ok := want[k]
			if !ok {
				w = uint32(len(want) + 1)
				want[k] = w
			}
			require.Equal(t, w, id, "key %.20q", k)
		}
	}
	require.Equal(t, len(want), ids.Len())
	// A key too long to number gets no ID (the engine then looks it up).
	require.Zero(t, ids.ID(strings.Repeat("k", 70000)))
	require.Equal(t, len(want), ids.Len())
	// The keys are copies: changing the caller's bytes changes nothing.
	b := []byte("mutable-key")
	id := ids.ID(unsafe.String(&b[0], len(b)))
	b[0] = 'X'
	require.Equal(t, id, ids.ID("mutable-key"))
}

// BenchmarkContextIDs looks up keys of 2M contexts in a random order, as a
// replay of an export does (ns/op is per key), against a Go map.
func BenchmarkContextIDs(b *testing.B) {
	const n = 2_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i)
	}
	order := make([]int32, 1<<22)
	x := uint64(1)
	for i := range order {
		x = x*6364136223846793005 + 1442695040888963407
		order[i] = int32(x>>33) % n
	}
	b.Run("table", func(b *testing.B) {
		var ids engine.ContextIDs
		for _, k := range keys {
			ids.ID(k)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ids.ID(keys[order[i&(1<<22-1)]])
		}
	})
	b.Run("map", func(b *testing.B) {
		m := make(map[string]uint32)
		for i, k := range keys {
			m[k] = uint32(i + 1)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_ = m[keys[order[i&(1<<22-1)]]]
		}
	})
}
