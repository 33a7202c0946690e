package sim

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"testing"
)

// stdHeap is eventHeap through container/heap, for BenchmarkEventHeap.
type stdHeap []pending

func (h stdHeap) Len() int           { return len(h) }
func (h stdHeap) Less(i, j int) bool { return eventHeap(h).less(i, j) }
func (h stdHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *stdHeap) Push(x any)        { *h = append(*h, x.(pending)) }
func (h *stdHeap) Pop() any {
	s := *h
	p := s[len(s)-1]
	*h = s[:len(s)-1]
	return p
}

// BenchmarkEventHeap compares the generator's heap with container/heap on
// the generator's pattern: a heap of about 64 pending events, one push and
// one pop per operation, times a little ahead of the last pop.
func BenchmarkEventHeap(b *testing.B) {
	run := func(b *testing.B, push func(pending), pop func() pending) {
		r := rand.New(rand.NewPCG(1, 2))
		var t int64
		for i := range 64 {
			push(pending{at: t + r.Int64N(1e9), seq: uint64(i)})
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t = pop().at
			push(pending{at: t + r.Int64N(1e9), seq: uint64(i + 64)})
		}
	}
	b.Run("generator", func(b *testing.B) {
		var h eventHeap
		run(b, h.push, h.pop)
	})
	b.Run("container-heap", func(b *testing.B) {
		var h stdHeap
		run(b, func(p pending) { heap.Push(&h, p) }, func() pending { return heap.Pop(&h).(pending) })
	})
}

// TestEventHeapOrder: the heap pops in (time, seq) order, as container/heap
// with the same order does.
func TestEventHeapOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h eventHeap
	var s stdHeap
	for i := range 5000 {
		p := pending{at: r.Int64N(200), seq: uint64(i)}
		h.push(p)
		heap.Push(&s, p)
		if i%3 == 2 {
			if a, b := h.pop(), heap.Pop(&s).(pending); a != b {
				t.Fatalf("pop %d: %+v, container/heap %+v", i, a, b)
			}
		}
	}
	var last pending
	for n := 0; len(h) > 0; n++ {
		p := h.pop()
		if b := heap.Pop(&s).(pending); p != b {
			t.Fatalf("drain %d: %+v, container/heap %+v", n, p, b)
		}
		if n > 0 && (p.at < last.at || p.at == last.at && p.seq < last.seq) {
			t.Fatalf("drain %d: %+v after %+v", n, p, last)
		}
		last = p
	}
}

// TestQueuesOrder: events pushed into several heaps pop in the (time, seq)
// order of one container/heap holding them all, with pushes of earlier
// and later times than the current root interleaved with pops.
func TestQueuesOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var q queues
	q.init(3)
	var s stdHeap
	check := func(what string, i int) {
		t.Helper()
		want := heap.Pop(&s).(pending)
		if got := q.at; got != want.at {
			t.Fatalf("%s %d: next time %d, container/heap %d", what, i, got, want.at)
		}
		if got := q.pop(); got != want {
			t.Fatalf("%s %d: %+v, container/heap %+v", what, i, got, want)
		}
	}
	for i := range 20000 {
		// Heap 0 short delays, 1 long ones, 2 rare: like a numeric
		// metric, a conversion and duplicates.
		h := []int{0, 0, 0, 1, 1, 2}[r.IntN(6)]
		at := int64(i/4) + []int64{r.Int64N(5), r.Int64N(500), 1}[h]
		p := pending{at: at, seq: uint64(i), metric: int32(h)}
		q.push(h, p)
		heap.Push(&s, p)
		if i%3 != 0 {
			check("pop", i)
		}
	}
	for i := 0; len(s) > 0; i++ {
		check("drain", i)
	}
	if q.top != -1 || q.at != math.MaxInt64 {
		t.Fatalf("empty queues: top %d, next time %d", q.top, q.at)
	}
}
