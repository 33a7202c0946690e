package sim

import (
	"container/heap"
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
