package sweep

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine/stats"
)

func TestTallyQuantile(t *testing.T) {
	var tl Tally
	for _, v := range []int64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5} {
		tl.add(outcome{elapsed: v, status: stRolledBack, reason: rsRegression})
	}
	assert.Equal(t, int64(5), tl.quantile(0.5), "nearest rank: 5th of 10")
	assert.Equal(t, int64(9), tl.quantile(0.9), "9th of 10")
	assert.Equal(t, int64(1), tl.quantile(0), "rank clamps to 1")

	var one Tally
	one.add(outcome{elapsed: 7, status: stHalted, reason: rsRegression})
	assert.Equal(t, int64(7), one.quantile(0.9))
	assert.Equal(t, []TimeCount{{7, 1}}, one.Detect)

	var repeated Tally
	for _, v := range []int64{3, 3, 3, 1, 5, 5} {
		repeated.add(outcome{elapsed: v, status: stRolledBack, reason: rsRegression})
	}
	assert.Equal(t, []TimeCount{{1, 1}, {3, 3}, {5, 2}}, repeated.Detect, "run-length encoded, sorted")
	assert.Equal(t, int64(3), repeated.quantile(0.5), "3rd of 1,3,3,3,5,5")
	assert.Equal(t, int64(5), repeated.quantile(0.9), "6th (⌈5.4⌉)")
}

// randomOutcomes draws outcomes on a coarse time grid, so detection times
// repeat as at real checks.
func randomOutcomes(r *rand.Rand, n int) []outcome {
	out := make([]outcome, n)
	for i := range out {
		o := outcome{elapsed: int64(r.IntN(40)) * int64(time.Hour), newContexts: int64(r.IntN(5000))}
		switch r.IntN(6) {
		case 0:
			o.status, o.reason = stRolledBack, rsRegression
			o.regressed = 1 + uint64(r.IntN(7)) // some of 3 metrics
		case 1:
			o.status, o.reason = stHalted, rsRegression
			o.regressed = 1 << uint(r.IntN(3))
		case 2:
			o.status, o.reason = stRolledBack, rsSRM
		case 3:
			o.status, o.reason = stRolledBack, rsInsufficient
		case 4:
			o.status = stCompleted
		default:
			o.status = stRunning
		}
		out[i] = o
	}
	return out
}

// TestTallyMergeExactAndOrderIndependent: tallying outcomes in a random
// order, in random groups merged in a random tree, gives the tally of the
// outcomes in order, and its cell equals a direct computation over the
// outcomes (sorted detection times, nearest rank, plain sums).
func TestTallyMergeExactAndOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		outs := randomOutcomes(r, 1+r.IntN(400))
		var inOrder Tally
		for _, o := range outs {
			inOrder.add(o)
		}

		perm := slices.Clone(outs)
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var groups []Tally
		for len(perm) > 0 {
			k := 1 + r.IntN(len(perm))
			var g Tally
			for _, o := range perm[:k] {
				g.add(o)
			}
			groups = append(groups, g)
			perm = perm[k:]
		}
		for len(groups) > 1 { // merge random pairs until one is left
			i, j := r.IntN(len(groups)), r.IntN(len(groups)-1)
			if j >= i {
				j++
			}
			groups[i].Merge(groups[j])
			groups = slices.Delete(groups, j, j+1)
		}
		require.Equal(t, inOrder, groups[0], "trial %d", trial)

		// The reference summary, computed without the Tally.
		var detect []int64
		var rb, rbCtx int64
		var srm, insuff, done int
		perMetric := make([]int, 4)
		for _, o := range outs {
			if o.reason == rsRegression && (o.status == stRolledBack || o.status == stHalted) {
				detect = append(detect, o.elapsed)
				for m := range perMetric {
					if o.regressed&(1<<m) != 0 {
						perMetric[m]++
					}
				}
			}
			if o.status == stRolledBack {
				rb++
				rbCtx += o.newContexts
			}
			switch {
			case o.reason == rsSRM:
				srm++
			case o.reason == rsInsufficient:
				insuff++
			case o.status == stCompleted:
				done++
			}
		}
		slices.Sort(detect)
		n := len(outs)
		c := groups[0].cell(Cell{}, []string{"a", "b", "c", "d"})
		assert.Equal(t, n, c.Reps)
		assert.Equal(t, len(detect), c.Detections)
		assert.Equal(t, float64(len(detect))/float64(n), c.Rate)
		lo, hi := stats.Wilson(len(detect), n, stats.Z95)
		assert.Equal(t, lo, c.RateLo)
		assert.Equal(t, hi, c.RateHi)
		assert.Equal(t, float64(srm)/float64(n), c.SRMShare)
		assert.Equal(t, float64(insuff)/float64(n), c.InsufficientShare)
		assert.Equal(t, float64(done)/float64(n), c.CompletedShare)
		for _, sh := range []struct {
			k      int
			lo, hi float64
		}{{srm, c.SRMShareLo, c.SRMShareHi}, {insuff, c.InsufficientShareLo, c.InsufficientShareHi}, {done, c.CompletedShareLo, c.CompletedShareHi}} {
			lo, hi := stats.Wilson(sh.k, n, stats.Z95)
			assert.Equal(t, lo, sh.lo)
			assert.Equal(t, hi, sh.hi)
		}
		require.Len(t, c.Metrics, 4)
		assert.Zero(t, perMetric[3], "metric d never regresses")
		for m, k := range perMetric {
			lo, hi := stats.Wilson(k, n, stats.Z95)
			assert.Equal(t, MetricRate{Key: string(rune('a' + m)), Detections: k, Rate: float64(k) / float64(n), RateLo: lo, RateHi: hi}, c.Metrics[m])
		}
		if rb > 0 {
			assert.Equal(t, float64(rbCtx)/float64(rb), c.NewContextsMean)
		}
		if len(detect) > 0 {
			assert.Equal(t, time.Duration(detect[int(math.Ceil(0.5*float64(len(detect))))-1]), c.DetectMedian)
			assert.Equal(t, time.Duration(detect[int(math.Ceil(0.9*float64(len(detect))))-1]), c.DetectP90)
		} else {
			assert.Zero(t, c.DetectMedian)
		}
	}
}

func TestParseShard(t *testing.T) {
	sh, err := ParseShard("3/7")
	require.NoError(t, err)
	assert.Equal(t, Shard{3, 7}, sh)
	for _, bad := range []string{"", "1", "7/7", "-1/3", "0/0", "a/b", "1/2/3"} {
		_, err := ParseShard(bad)
		assert.Error(t, err, bad)
	}
	// The shards of any count partition the replications.
	for _, n := range []int{1, 2, 7, 13} {
		next := 0
		for k := 0; k < n; k++ {
			lo, hi := Shard{k, n}.Reps(100)
			assert.Equal(t, next, lo)
			assert.GreaterOrEqual(t, hi, lo)
			next = hi
		}
		assert.Equal(t, 100, next)
	}
}

// runSharded runs every shard of cfg, round-trips each partial through its
// file encoding, and merges them in a shuffled order.
func runSharded(t *testing.T, cfg Config, n int, r *rand.Rand) *Result {
	t.Helper()
	parts := make([]*Partial, n)
	for k := 0; k < n; k++ {
		p, err := RunShard(context.Background(), cfg, Shard{k, n})
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, EncodePartial(&buf, p))
		parts[k], err = DecodePartial(&buf)
		require.NoError(t, err)
	}
	r.Shuffle(n, func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	merged, err := MergePartials(parts...)
	require.NoError(t, err)
	res, err := merged.Result()
	require.NoError(t, err)
	return res
}

// TestShardedEqualsUnsharded: 1, 2 and 7 shards merged give exactly the
// unsharded result, at both fidelities.
func TestShardedEqualsUnsharded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		fid  Fidelity
		reps int
		grid string
	}{{Aggregate, 700, ""}, {EventLevel, 7, "alpha=0.05;effect=0,5"}} {
		if tc.fid == EventLevel && testing.Short() {
			continue
		}
		cfg := quickConfig(t, tc.fid, tc.reps, 2)
		if tc.grid != "" {
			cfg.Grid = tc.grid
		}
		want, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		require.Positive(t, want.Cells[len(want.Cells)-1].Detections, "the test needs detections to compare quantiles")
		for _, n := range []int{1, 2, 7} {
			got := runSharded(t, cfg, n, r)
			assert.Equal(t, want, got, "%s, %d shards", tc.fid, n)
		}
	}
}

func TestMergePartialsErrors(t *testing.T) {
	ctx := context.Background()
	cfg := quickConfig(t, Aggregate, 50, 1)
	p0, err := RunShard(ctx, cfg, Shard{0, 3})
	require.NoError(t, err)
	p1, err := RunShard(ctx, cfg, Shard{1, 3})
	require.NoError(t, err)

	_, err = MergePartials(p0, p0)
	assert.ErrorContains(t, err, "shard 0/3 is in part 1 and part 2")

	m, err := MergePartials(p1, p0)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, m.Done)
	_, err = m.Result()
	assert.ErrorContains(t, err, "shards 2 of 3 are missing")
	assert.ErrorIs(t, err, ErrPartial)

	other := cfg
	other.Seed++
	q, err := RunShard(ctx, other, Shard{2, 3})
	require.NoError(t, err)
	_, err = MergePartials(p0, q)
	assert.ErrorContains(t, err, "seed 42 vs 43")

	other = cfg
	other.Grid = "alpha=0.01,0.05;effect=0,6"
	q, err = RunShard(ctx, other, Shard{2, 3})
	require.NoError(t, err)
	_, err = MergePartials(p0, q)
	assert.ErrorContains(t, err, "fingerprint")

	bad := *p1
	bad.Cells = slices.Clone(p1.Cells)
	bad.Cells[1].Tally.Reps++
	_, err = MergePartials(p0, &bad)
	assert.ErrorContains(t, err, "cell 2 has")

	for _, in := range []string{
		`{"format":"other"}`,
		`{"format":"guardsim-sweep-partial/1","extra":1}`,
		`not json`,
	} {
		_, err := DecodePartial(bytes.NewBufferString(in))
		assert.ErrorIs(t, err, ErrPartial, in)
	}
}
