package stats

import (
	"math/rand/v2"
	"slices"
)

// DefaultQuantileCap is the default number of values a QuantileSample
// keeps exactly: 2¹⁷ values, 1 MiB.
const DefaultQuantileCap = 1 << 17

// QuantileSample is the streaming store behind a percentile metric: one
// arm's values in one step. It keeps every value exactly up to its cap, so
// order statistics and quantiles are exact; past the cap it keeps a
// uniform random sample of the cap's size (reservoir sampling, Vitter's
// algorithm R, from a seeded PCG source), so memory stays bounded at 8
// bytes per kept value plus a sort buffer for the values added since the
// last sort.
//
// Error bound: up to the cap the sample is the data, with no error. Past it
// the kept values are a simple random sample of the stream, so Len (not
// Seen) is the sample size every interval must be computed with; the
// statistics built on it (QuantileFromSorted, the quantile tests) then stay
// valid, only with the precision of Len values. The sample quantile of the
// reservoir is within the rank error of a size-cap sample of the stream's:
// about z·sqrt(p(1−p)/cap) in rank (0.0005 for p99 at the default cap).
//
// Why not a sketch library: the quantile variance needs the order
// statistics at both ends of an outer interval and the nonparametric test
// needs every rank near the quantile, which a rank-error sketch (KLL,
// t-digest, DDSketch) blurs by up to its error, easily the whole interval
// at p99; an exact store with a random-sample fallback keeps both exact.
type QuantileSample struct {
	cap    int
	seen   int64
	vals   []float64
	sorted int // vals[:sorted] is ascending
	buf    []float64
	rng    *rand.Rand
	pcg    *rand.PCG // rng's source, kept for snapshots (snapshot.go)
	seed   uint64
}

// NewQuantileSample returns an empty sample keeping at most capacity
// values exactly (DefaultQuantileCap when capacity ≤ 0); seed drives the
// reservoir once the cap is passed.
func NewQuantileSample(capacity int, seed uint64) *QuantileSample {
	if capacity <= 0 {
		capacity = DefaultQuantileCap
	}
	return &QuantileSample{cap: capacity, seed: seed}
}

// Add adds one value.
func (q *QuantileSample) Add(x float64) {
	q.seen++
	if len(q.vals) < q.cap {
		q.vals = append(q.vals, x)
		return
	}
	if q.rng == nil {
		q.pcg = rand.NewPCG(q.seed, 0x9e3779b97f4a7c15)
		q.rng = rand.New(q.pcg)
	}
	if j := q.rng.Int64N(q.seen); j < int64(q.cap) {
		q.vals[j] = x
		if int(j) < q.sorted {
			q.sorted = 0 // the sorted prefix is broken: sort all next time
		}
	}
}

// Seen is the number of values added.
func (q *QuantileSample) Seen() int64 { return q.seen }

// Len is the number of values kept (min(Seen, cap)): the sample size.
func (q *QuantileSample) Len() int { return len(q.vals) }

// Exact reports whether every value added is kept.
func (q *QuantileSample) Exact() bool { return q.seen == int64(len(q.vals)) }

// Sorted returns the kept values in ascending order (a view; valid until
// the next Add). Only the values added since the last call are sorted and
// merged in, so repeated checks cost O(new·log new + kept).
func (q *QuantileSample) Sorted() []float64 {
	if q.sorted == len(q.vals) {
		return q.vals
	}
	if q.sorted == 0 {
		slices.Sort(q.vals)
		q.sorted = len(q.vals)
		return q.vals
	}
	tail := q.vals[q.sorted:]
	slices.Sort(tail)
	// Merge from the back: the tail is copied out, then both runs are
	// merged into place from the largest value down.
	q.buf = append(q.buf[:0], tail...)
	i, j, k := q.sorted-1, len(q.buf)-1, len(q.vals)-1
	for j >= 0 {
		if i >= 0 && q.vals[i] > q.buf[j] {
			q.vals[k] = q.vals[i]
			i--
		} else {
			q.vals[k] = q.buf[j]
			j--
		}
		k--
	}
	q.sorted = len(q.vals)
	return q.vals
}

// Bytes is the memory the sample holds: kept values and the sort buffer.
func (q *QuantileSample) Bytes() int { return 8 * (cap(q.vals) + cap(q.buf)) }
