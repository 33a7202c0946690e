package sim

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/bucket"
)

// Allocator tells the generator what the flag serves at a time;
// *engine.Rollout implements it.
type Allocator interface {
	Allocation(ctx context.Context, t int64) engine.Allocation
}

// Generator is an engine.Source of synthetic events in time order.
type Generator struct {
	m     Model
	alloc Allocator
	// keyHash buckets the keys "user-i" (bucket.Numbered: the hash input
	// is made in registers, not in memory).
	keyHash bucket.Numbered
	rng     stream // rand.New(rand.NewPCG(m.Seed, …))'s numbers, inlined
	kind    string

	start, end  int64
	nextArrival int64
	// nextCtx is the context of the next arrival (a finite population),
	// drawn with it: where the stream draws it anyway, right after the
	// arrival time.
	nextCtx   int
	lambdaMax float64 // arrivals per nanosecond at the daily peak
	relLo     float64 // the least relRate can be: draws below it need no cosine
	pending   queues
	seq       uint64
	thin      thinBounds

	// memo holds the bucket values of a small population's contexts (the
	// float32 bits with hashedBit set once computed). A larger population
	// keeps only coarse values (coarse: 1 + ⌊128·value⌋, 0 until hashed),
	// one byte a context, a table that stays in the caches longer: they
	// decide a pick exactly unless a weight boundary falls within 1/128 of
	// the value (bucket.PickWeightsRange; a step's two boundaries send
	// about 1.6% of the picks back to the hash), and then the key is
	// hashed again. A random load from a table beyond the caches costs
	// more than the hash (tens of nanoseconds with the SHA extensions):
	// next to the engine's per-context records, the 200 KB of a 200,000
	// population's bytes missed the caches less than 400 KB of two-byte
	// values at 1/1024 (the event-level sweep of latency-regression: ~10%
	// less CPU).
	memo   []uint32
	coarse []uint8
	// arms[q] is the pick of a context with coarse value q under the
	// current weights (bucket.PickWeightsRange of q's interval), or
	// armHash when q's interval holds a boundary or q is 0 (not hashed
	// yet): made at each allocation, it turns a pick into two loads.
	arms [coarseScale + 2]uint8
	// newCtx numbers the contexts without a population (one per arrival).
	newCtx  int
	dupIDs  uint32 // the ContextID of the last duplicate exposure
	lognorm []lognormal
	cur     engine.Allocation
	real    realism
}

// lognormal holds a log-normal metric's parameters, derived once.
type lognormal struct{ mu, sigma float64 }

// NewGenerator returns a generator for the model. bucketSeed is the
// rollout's bucketing seed (Policy.Seed), used to serve contexts exactly as
// the engine would bucket them.
func NewGenerator(m Model, bucketSeed int64, alloc Allocator) (*Generator, error) {
	return NewGeneratorBuckets(m, bucketSeed, alloc, nil)
}

// BucketTable keeps the bucket values a generator computes for its
// population's contexts (see Generator.memo) so that the next generator
// with the same bucketing seed and population starts with them: a sweep's
// cells draw their rollouts with common random numbers, so rollout i of
// every cell buckets the same contexts under the same seed, and each
// context's SHA-1 is computed once for all the cells instead of once per
// cell. The values depend only on the seed and the context, so the
// streams are exactly those of fresh generators. A table serves one
// generator at a time; the zero value is ready to use.
type BucketTable struct {
	seed   int64
	pop    int
	memo   []uint32
	coarse []uint8
}

// attach makes t the table of seed and population p, keeping its values
// when they are that seed's and population's and clearing them otherwise.
func (t *BucketTable) attach(seed int64, p int) {
	if t.seed == seed && t.pop == p {
		return
	}
	t.seed, t.pop = seed, p
	// The generator tells the kinds of table apart by which is nil.
	memo, coarse := t.memo, t.coarse
	t.memo, t.coarse = nil, nil
	switch {
	case p > 0 && p <= maxMemo:
		t.memo = resize(memo, p)
	case p > maxMemo && p <= maxCoarse:
		t.coarse = resize(coarse, p)
	}
}

// resize returns s with length n, all zero, reusing its array if it can.
func resize[T uint8 | uint32](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// NewGeneratorBuckets is NewGenerator with the bucket values kept in bt
// (nil: a table of its own), which may hold those of an earlier generator
// with the same bucketSeed and population.
func NewGeneratorBuckets(m Model, bucketSeed int64, alloc Allocator, bt *BucketTable) (*Generator, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("invalid simulation model: %w", err)
	}
	if bucketSeed == 0 {
		return nil, engine.ErrNoSeed
	}
	g := &Generator{
		m:       m,
		alloc:   alloc,
		keyHash: bucket.ForSeed(bucketSeed).Numbered("user-"),
		rng:     newStream(m.Seed, 0x6a09e667f3bcc909),
		kind:    m.ContextKind,
		start:   m.Start.UnixNano(),
	}
	if g.kind == "" {
		g.kind = "user"
	}
	g.end = g.start + int64(m.Horizon)
	a := m.Traffic.DailyAmplitude
	g.lambdaMax = m.Traffic.RatePerHour * (1 + a) / 3.6e12
	// relRate computes (1 + a·cos)/(1 + a) with cos ≥ −1, and rounding is
	// monotonic, so it is never below (1 − a)/(1 + a) computed alike.
	g.relLo = (1 - a) / (1 + a)
	if bt == nil {
		bt = new(BucketTable)
	}
	bt.attach(bucketSeed, m.Traffic.Population)
	g.memo, g.coarse = bt.memo, bt.coarse
	g.dupIDs = uint32(m.Traffic.Population)
	g.pending.init(len(m.Metrics) + 1)
	g.lognorm = make([]lognormal, len(m.Metrics))
	for i, mm := range m.Metrics {
		if mm.Distribution == LogNormal {
			s2 := math.Log1p(mm.SD * mm.SD / (mm.Mean * mm.Mean))
			g.lognorm[i] = lognormal{mu: math.Log(mm.Mean) - s2/2, sigma: math.Sqrt(s2)}
		}
	}
	g.cur.Until = math.MinInt64
	g.next(g.start)
	return g, nil
}

// rate is the arrival rate at time t relative to its daily peak, in [0, 1].
func (g *Generator) relRate(t int64) float64 {
	a := g.m.Traffic.DailyAmplitude
	if a == 0 {
		return 1
	}
	hour := mod24(float64(t) / 3.6e12)
	return (1 + a*math.Cos(2*math.Pi*(hour-g.m.Traffic.PeakHour)/24)) / (1 + a)
}

// drawArrival draws the next arrival after t by thinning.
func (g *Generator) drawArrival(t int64) int64 {
	for {
		t += int64(g.rng.ExpFloat64()/g.lambdaMax) + 1
		if t >= g.end {
			return math.MaxInt64
		}
		if u := g.rng.Float64(); u < g.relLo || g.accept(u, t) {
			return t
		}
	}
}

// Read implements engine.Source. A batch never crosses the engine's next
// evaluation time, so every check sees exactly the events before it, as in
// a replay of the same stream.
func (g *Generator) Read(ctx context.Context, buf []engine.Event) (int, error) {
	n := 0
	for n < len(buf) {
		t := g.nextArrival
		fromHeap := false
		// An empty queue's MaxInt64 is past g.end: it returns below.
		if g.pending.at <= t {
			t = g.pending.at
			fromHeap = true
		}
		if t >= g.end {
			return n, io.EOF
		}
		if t >= g.cur.Until {
			if n > 0 {
				return n, nil
			}
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			prev := g.cur.Until
			g.cur = g.alloc.Allocation(ctx, t)
			g.setArms()
			g.noteAllocation(prev)
		}
		if fromHeap {
			g.emit(g.pending.pop(), &buf[n])
			n++
			continue
		}
		if g.arrive(t, &buf[n]) {
			n++
		}
		g.next(t)
	}
	return n, nil
}

// next draws the next arrival after t and, with a finite population, its
// context. The random stream is that of drawing the context when serving
// the arrival: nothing draws in between.
func (g *Generator) next(t int64) {
	g.nextArrival = g.drawArrival(t)
	if p := g.m.Traffic.Population; p > 0 && g.nextArrival != math.MaxInt64 {
		g.nextCtx = g.rng.IntN(p)
	}
}

// mod24 is math.Mod(x, 24), exactly, for the hours since 1970: with
// 1 ≤ q = ⌊x/24⌋ the product q·24 is an exact integer and x − q·24 is exact
// (Sterbenz), once q is corrected for the rounding of x/24. It is several
// times faster than math.Mod, which the arrival thinning calls per draw.
func mod24(x float64) float64 {
	if !(x >= 24 && x < 1<<48) {
		return math.Mod(x, 24)
	}
	q := math.Floor(x / 24)
	r := x - q*24
	if r < 0 {
		q--
		r = x - q*24
	} else if r >= 24 {
		q++
		r = x - q*24
	}
	if r < 0 || r >= 24 || q < 1 {
		return math.Mod(x, 24)
	}
	return r
}

// maxMemo is the largest population whose bucket values are kept (a
// 256 KiB table, which stays in the CPU's second-level cache).
const maxMemo = 1 << 16

// maxCoarse is the largest population with coarse bucket values (16 MiB).
const maxCoarse = 1 << 24

// coarseScale is the resolution of the coarse values: a power of two, so
// that value·coarseScale and k/coarseScale are exact in float32.
const coarseScale = 128

const hashedBit = 1 << 31

// bucket returns the bucket value of context i.
func (g *Generator) bucket(i int) float32 {
	if g.memo == nil {
		return g.hash(i)
	}
	b := g.memo[i]
	if b == 0 {
		// Bucket values are never negative: the sign bit marks the entry.
		b = math.Float32bits(g.hash(i)) | hashedBit
		g.memo[i] = b
	}
	return math.Float32frombits(b &^ hashedBit)
}

// pick is bucket.PickWeights of context i's bucket value under the
// current weights.
func (g *Generator) pick(i int) int {
	w := g.cur.Weights[:]
	if g.coarse == nil {
		return bucket.PickWeights(g.bucket(i), w)
	}
	q := g.coarse[i]
	if k := g.arms[q]; k != armHash {
		return int(k)
	}
	if q != 0 {
		return bucket.PickWeights(g.hash(i), w)
	}
	b := g.hash(i)
	g.coarse[i] = uint8(b*coarseScale) + 1 // b in [0, 1]: at most 129
	return bucket.PickWeights(b, w)
}

// armHash marks the coarse values whose pick needs the exact value.
const armHash = 255

// setArms makes g.arms for the current weights.
func (g *Generator) setArms() {
	if g.coarse == nil {
		return
	}
	w := g.cur.Weights[:]
	g.arms[0] = armHash
	for q := 1; q < len(g.arms); q++ {
		lo := float32(q-1) / coarseScale
		g.arms[q] = armHash
		if k, ok := bucket.PickWeightsRange(lo, lo+1.0/coarseScale, w); ok {
			g.arms[q] = uint8(k)
		}
	}
}

// hash is the bucket value of context i's key.
func (g *Generator) hash(i int) float32 {
	return g.keyHash.Value(i)
}

// unit is a deterministic uniform in [0, 1) for (context, salt).
func (g *Generator) unit(i int, salt uint64) float64 {
	x := splitmix(g.m.Seed ^ uint64(i)*0x9e3779b97f4a7c15 ^ salt*0xbf58476d1ce4e5b9)
	return float64(x>>11) / (1 << 53)
}

// normal is a deterministic standard normal for (context, salt).
func (g *Generator) normal(i int, salt uint64) float64 {
	u1 := g.unit(i, salt*2+1)
	u2 := g.unit(i, salt*2+2)
	if u1 < 1e-300 {
		u1 = 1e-300
	}
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const (
	saltDrop      = 1
	saltMisassign = 2
	saltIntercept = 16
)

// arrive serves one exposure at time t, schedules its metric events, and
// writes the exposure to ev unless the fault loses it.
func (g *Generator) arrive(t int64, ev *engine.Event) bool {
	var i int
	if g.m.Traffic.Population > 0 {
		i = g.nextCtx
	} else {
		i = g.newCtx
		g.newCtx++
	}
	id := uint32(i + 1)
	var served engine.Variation
	switch g.pick(i) {
	case 0:
		served = engine.New
	case 1:
		served = engine.Outside
	default:
		served = engine.Original
	}
	if served == engine.Outside && g.m.AnalysedOnly {
		return false
	}
	logged := served
	emit := true
	f := g.m.Fault
	if t-g.start >= int64(f.Start) {
		if served == engine.New && f.DropNew > 0 && g.unit(i, saltDrop) < f.DropNew {
			emit = false
		}
		if served == engine.Original && f.Misassign > 0 && g.unit(i, saltMisassign) < f.Misassign {
			logged = engine.New
		}
	}
	for mi := range g.m.Metrics {
		g.schedule(t, i, id, mi, served)
	}
	if !emit {
		return false
	}
	if g.m.OmitVariation {
		logged = engine.Unassigned
	}
	if f.DuplicateNew > 0 && served == engine.New && t-g.start >= int64(f.Start) {
		g.duplicate(t, logged)
	}
	*ev = engine.Event{Time: t, Kind: engine.KindExposure, Variation: logged, ContextID: id, ContextKind: g.kind, ContextKey: contextKey(i)}
	return true
}

func (g *Generator) effectOn(mm *MetricModel, t int64) bool {
	if mm.Effect == 0 {
		return false
	}
	if mm.EffectStep > 0 {
		return g.cur.Step >= mm.EffectStep
	}
	return t-g.start >= int64(mm.EffectStart)
}

func (g *Generator) schedule(t int64, i int, id uint32, mi int, served engine.Variation) {
	mm := &g.m.Metrics[mi]
	effect := 0.0
	if served == engine.New && g.effectOn(mm, t) {
		effect = mm.Effect
		if mm.Novelty != nil {
			effect *= g.noveltyAt(mm, mi, i, t)
		}
	}
	base := 1.0
	if mm.Baseline != nil {
		base = g.baselineAt(mm, t)
	}
	push := func(at int64, v float64) {
		if at >= g.end {
			return
		}
		g.seq++
		g.pending.push(mi, pending{at: at, seq: g.seq, value: v, id: id, ctx: uint32(i), metric: int32(mi), kind: engine.KindMetric})
	}
	if mm.Binary {
		if g.rng.Float64() < mm.Rate*base+effect {
			push(t+1+int64(g.rng.ExpFloat64()*float64(mm.Delay)), 1)
		}
		return
	}
	if mm.Ratio {
		g.scheduleRatio(t, i, id, mi, mm.Rate*base, effect)
		return
	}
	tail, thr := 1.0, 0.0
	if mm.TailScale != 0 && served == engine.New && g.tailOn(mm, t) {
		tail, thr = mm.TailScale, mm.tailThreshold()
	}
	icpt := 0.0
	if mm.ContextSD > 0 {
		icpt = mm.ContextSD * g.normal(i, saltIntercept+uint64(mi))
	}
	for k := 0; k < mm.EventsPerExposure; k++ {
		var v float64
		switch {
		case mm.ZeroShare > 0 && g.rng.Float64() < mm.ZeroShare:
			// v = 0: a zero-inflated value
		case mm.Distribution == LogNormal:
			ln := g.lognorm[mi]
			v = math.Exp(ln.mu + ln.sigma*g.rng.NormFloat64())
		default:
			v = mm.Mean + mm.SD*g.rng.NormFloat64()
		}
		if tail != 1 && v > thr {
			v *= tail
		}
		v += icpt
		if base != 1 {
			v *= base
		}
		push(t+1+int64(g.rng.Float64()*2*float64(mm.Delay)), v+effect)
	}
}

// pending is a scheduled event. It holds no pointers, so the heap costs
// the garbage collector nothing and moves 40 bytes per swap instead of a
// whole engine.Event: the context's key is made when the event is emitted
// (contextKey(ctx), or "dup-ctx" for a duplicate exposure).
type pending struct {
	at        int64
	seq       uint64 // scheduling order, for events at the same time
	value     float64
	id        uint32 // ContextID
	ctx       uint32 // context number, or the duplicate's number
	metric    int32
	kind      engine.EventKind
	variation engine.Variation
	dup       bool
}

// emit writes the event p stands for to ev.
func (g *Generator) emit(p pending, ev *engine.Event) {
	var key string
	if p.dup {
		key = "dup-" + strconv.Itoa(int(p.ctx))
	} else {
		key = contextKey(int(p.ctx))
	}
	*ev = engine.Event{Time: p.at, Kind: p.kind, Variation: p.variation, Metric: p.metric, ContextID: p.id, Value: p.value, ContextKind: g.kind, ContextKey: key}
}

// queues holds the pending events in one heap per source (a metric of
// the model, or the duplicate exposures), and pops them in (time, seq)
// order across all: seq is unique, so the order is the total order of a
// single heap's. Apart, the heaps are cheaper: a numeric metric's events
// are due within seconds and a conversion's in minutes, so in one heap
// nearly every short-delay event sifts up past the long-delay ones to the
// root and each pop sifts a long-delay event down the whole depth; in its
// own heap of a few events each takes a step or two. BenchmarkGenerator
// measures the difference.
type queues struct {
	hs []eventHeap
	// top is the heap with the least root, -1 when all are empty; at is
	// that root's time (MaxInt64 when empty), compared once per event.
	top int
	at  int64
}

func (q *queues) init(n int) {
	q.hs = make([]eventHeap, n)
	q.top, q.at = -1, math.MaxInt64
}

// push adds p to heap h.
func (q *queues) push(h int, p pending) {
	q.hs[h].push(p)
	if q.top < 0 || h == q.top || before(&p, &q.hs[q.top][0]) {
		// h's root can only have moved earlier (to p).
		q.top, q.at = h, q.hs[h][0].at
	}
}

// pop removes and returns the next event; there must be one.
func (q *queues) pop() pending {
	p := q.hs[q.top].pop()
	top := -1
	for h := range q.hs {
		if len(q.hs[h]) > 0 && (top < 0 || before(&q.hs[h][0], &q.hs[top][0])) {
			top = h
		}
	}
	q.top, q.at = top, math.MaxInt64
	if top >= 0 {
		q.at = q.hs[top][0].at
	}
	return p
}

// before is the (time, seq) order.
func before(a, b *pending) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// eventHeap is a binary min-heap ordered by (time, seq). It is written out
// rather than container/heap's, whose Push and Pop pass each element as an
// interface value (an allocation per push) and whose Less and Swap are
// interface calls: BenchmarkEventHeap measures it about 2× slower, with
// two allocations per push and pop.
type eventHeap []pending

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(p pending) {
	*h = append(*h, p)
	s := *h
	i := len(s) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *eventHeap) pop() pending {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		m := l
		if r := l + 1; r < len(s) && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
