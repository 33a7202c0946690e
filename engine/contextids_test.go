package engine_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/cputime"
)

// TestContextIDsNumberKeysDensely checks ContextIDs against a map: keys
// are numbered 1, 2, 3, … in order of first appearance, a repeated key
// gets its number again (across table growth), and keys that differ only
// in length, in a late byte, or that are long or empty stay apart — keys
// of up to 16 bytes (kept in their slot) and longer ones (UUID-like keys
// whose first 8 bytes, the part a slot keeps of them, are all the same)
// alike; a key of 64 KiB or more gets no number.
func TestContextIDsNumberKeysDensely(t *testing.T) {
	var ids engine.ContextIDs
	want := map[string]uint32{}
	keys := []string{"", "a", "ab", "user-1", "user-10", "user-1\x00", strings.Repeat("k", 65000), strings.Repeat("k", 64999)}
	keys = append(keys, "0123456789abcdef", "0123456789abcdeg", "0123456789abcdef\x00", "0123456789abcdef0", "0123456789abcde", "01234567", "0123456\x00")
	for i := 0; i < 50000; i++ {
		keys = append(keys, "user-"+strconv.Itoa(i*7919%100003))
		if i%5 == 0 {
			keys = append(keys, fmt.Sprintf("00000000-0000-4000-8000-%012d", i*7919%100003))
		}
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

// TestContextIDsAssignEqualsID checks that Assign numbers a stream exactly
// as ID does key by key: new and repeated keys in one group, a key first
// seen and repeated within a group, groups across table growth, a group
// shorter than the batch, empty keys and keys too long to number.
func TestContextIDsAssignEqualsID(t *testing.T) {
	var one, batch engine.ContextIDs
	x := uint64(7)
	var evs []engine.Event
	for i := 0; i < 200_000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		k := "user-" + strconv.Itoa(int(x>>40)%60000)
		switch i % 9973 {
		case 0:
			k = ""
		case 1:
			k = strings.Repeat("z", 70000)
		case 2:
			k = strings.Repeat("z", 65000)
		}
		evs = append(evs, engine.Event{ContextKey: k})
	}
	want := make([]uint32, len(evs))
	for i, ev := range evs {
		want[i] = one.ID(ev.ContextKey)
	}
	for lo := 0; lo < len(evs); {
		hi := min(len(evs), lo+1+lo%5000) // batches of varying sizes
		batch.Assign(evs[lo:hi])
		lo = hi
	}
	for i := range evs {
		require.Equal(t, want[i], evs[i].ContextID, "event %d key %.20q", i, evs[i].ContextKey)
	}
	require.Equal(t, one.Len(), batch.Len())
	require.NotZero(t, want[2], "the 65000-byte key is numbered")
	require.Zero(t, want[1], "the 70000-byte key is not")
}

// BenchmarkContextIDsBatch numbers batches of 8192 events, as the Parquet
// Reader does (ns/op is per event): key by key with ID, and with Assign.
// The events' keys sit in the batch, as a decoded page's do; their
// contexts are 2M keys in a random order.
func BenchmarkContextIDsBatch(b *testing.B) {
	const n = 2_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i)
	}
	// The events' keys are copies laid out in event order.
	evs := make([]engine.Event, 1<<20)
	page := make([]byte, 0, 16*len(evs))
	x := uint64(1)
	for range evs {
		x = x*6364136223846793005 + 1442695040888963407
		page = append(page, keys[int(x>>33)%n]...)
	}
	off := 0
	x = 1
	for i := range evs {
		x = x*6364136223846793005 + 1442695040888963407
		k := len(keys[int(x>>33)%n])
		evs[i].ContextKey = unsafe.String(&page[off], k)
		off += k
	}
	run := func(b *testing.B, assign bool) {
		var ids engine.ContextIDs
		for _, k := range keys {
			ids.ID(k)
		}
		b.ResetTimer()
		cpu0 := cputime.Process()
		defer func() {
			if cpu := cputime.Process() - cpu0; cpu > 0 && cpu0 > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		}()
		for i := 0; i < b.N; i += 8192 {
			lo := i & (len(evs) - 1)
			batch := evs[lo : lo+min(8192, b.N-i)]
			if assign {
				ids.Assign(batch)
				continue
			}
			for j := range batch {
				batch[j].ContextID = ids.ID(batch[j].ContextKey)
			}
		}
	}
	b.Run("ID", func(b *testing.B) { run(b, false) })
	b.Run("Assign", func(b *testing.B) { run(b, true) })
}

// TestContextIDsKeysSharingSlotBytes numbers many keys of one length that
// share their first 8 bytes, short (kept whole in their slots) and long
// (UUID-like, bytes beyond the slot's 8 in a chunk), twice over. Among
// 300,000 keys of each kind dozens meet a slot of the same 15-bit hash
// tag, length and first word, so a lookup that compared less than the
// whole key would give some key another's number.
func TestContextIDsKeysSharingSlotBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(i int) string
	}{
		{"short", func(i int) string { return fmt.Sprintf("user-%07d", i) }},
		{"long", func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids engine.ContextIDs
			const n = 300_000
			for round := 0; round < 2; round++ {
				for i := 0; i < n; i++ {
					require.Equal(t, uint32(i+1), ids.ID(tc.key(i)), "round %d key %q", round, tc.key(i))
				}
			}
			require.Equal(t, n, ids.Len())
		})
	}
}

// BenchmarkContextIDsBuild numbers 2M new keys (ns/op is per key), in
// batches of 8192 as the Parquet Reader does: the cost of first sight,
// table growth included.
func BenchmarkContextIDsBuild(b *testing.B) {
	const n = 2_000_000
	evs := make([]engine.Event, n)
	for i := range evs {
		evs[i].ContextKey = "user-" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		var ids engine.ContextIDs
		for lo := 0; lo < min(n, b.N-done); lo += 8192 {
			ids.Assign(evs[lo:min(lo+8192, n, b.N-done)])
		}
	}
}
