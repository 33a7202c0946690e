package sweep

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/guardsim/guardsim/engine/stats"
)

// Tally is the mergeable summary of some replications of one grid cell: the
// single place a sweep counts its outcomes. Everything in it is an integer
// count, an integer sum or an exact multiset, so Merge is exact,
// associative and commutative: tallying replications in any order, split
// into any groups on any machines and merged in any tree, gives the same
// Tally, and Cell computes the same summary from it, bit for bit.
//
// Time to detection needs order statistics (median, p90). Rather than a
// sketch with an approximation error, Tally keeps the exact multiset of
// detection times, run-length encoded: the engine only decides at checks,
// so detection times fall on a few distinct check instants and the
// encoding stays small (at most one entry per check of the longest
// rollout, whatever the number of replications).
type Tally struct {
	// Reps is the number of replications tallied.
	Reps int64 `json:"reps"`
	// RolledBack counts rollouts rolled back (for any reason) and
	// RolledBackNewContexts sums their contexts exposed to the new
	// variation (for the mean exposure before rollback).
	RolledBack            int64 `json:"rolled_back"`
	RolledBackNewContexts int64 `json:"rolled_back_new_contexts"`
	// SRM, Insufficient and Completed count rollouts ended by SRM, by
	// insufficient sample, and completed.
	SRM          int64 `json:"srm"`
	Insufficient int64 `json:"insufficient"`
	Completed    int64 `json:"completed"`
	// Detect is the multiset of times to detection (nanoseconds from the
	// effect's onset: its start time, or the start of its step) of the rollouts rolled back or halted for
	// regression, as distinct values in increasing order with their counts.
	Detect []TimeCount `json:"detect"`
	// Exposed is the multiset of the contexts exposed to the new variation
	// when each replication ended (TimeCount.T holds the count), for the
	// median exposure (tally_exposure.go).
	Exposed []TimeCount `json:"exposed,omitempty"`
	// Metric[m] counts the rollouts ended by regression (rolled back or
	// halted) in which metric m flagged the regression at the deciding
	// check (tally_metric.go); trailing metrics without any are left out.
	Metric []int64 `json:"metric,omitempty"`
}

// TimeCount is one value of a run-length encoded multiset of durations.
type TimeCount struct {
	// T is the duration in nanoseconds and N how many times it occurs.
	T int64 `json:"t"`
	N int64 `json:"n"`
}

// Detections is the number of rollouts rolled back or halted for regression.
func (t *Tally) Detections() int64 {
	var n int64
	for _, d := range t.Detect {
		n += d.N
	}
	return n
}

// add tallies one replication.
func (t *Tally) add(o outcome) {
	t.Reps++
	t.Exposed = insertCount(t.Exposed, o.newContexts, 1)
	if o.reason == rsRegression && (o.status == stRolledBack || o.status == stHalted) {
		// Time to detection runs from the effect's onset (a detection
		// before it, a false one, counts as 0).
		t.addDetection(max(o.elapsed-o.onset, 0), 1)
		t.addMetrics(o.regressed)
	}
	if o.status == stRolledBack {
		t.RolledBack++
		t.RolledBackNewContexts += o.newContexts
	}
	switch {
	case o.reason == rsSRM:
		t.SRM++
	case o.reason == rsInsufficient:
		t.Insufficient++
	case o.status == stCompleted:
		t.Completed++
	}
}

// addDetection inserts n detections at time v, keeping Detect sorted.
func (t *Tally) addDetection(v, n int64) {
	i, found := slices.BinarySearchFunc(t.Detect, v, func(c TimeCount, v int64) int {
		switch {
		case c.T < v:
			return -1
		case c.T > v:
			return 1
		}
		return 0
	})
	if found {
		t.Detect[i].N += n
		return
	}
	t.Detect = slices.Insert(t.Detect, i, TimeCount{T: v, N: n})
}

// Merge adds the replications tallied in o to t.
func (t *Tally) Merge(o Tally) {
	t.Reps += o.Reps
	t.RolledBack += o.RolledBack
	t.RolledBackNewContexts += o.RolledBackNewContexts
	t.SRM += o.SRM
	t.Insufficient += o.Insufficient
	t.Completed += o.Completed
	merged := make([]TimeCount, 0, len(t.Detect)+len(o.Detect))
	i, j := 0, 0
	for i < len(t.Detect) || j < len(o.Detect) {
		switch {
		case j == len(o.Detect) || (i < len(t.Detect) && t.Detect[i].T < o.Detect[j].T):
			merged = append(merged, t.Detect[i])
			i++
		case i == len(t.Detect) || o.Detect[j].T < t.Detect[i].T:
			merged = append(merged, o.Detect[j])
			j++
		default:
			merged = append(merged, TimeCount{T: t.Detect[i].T, N: t.Detect[i].N + o.Detect[j].N})
			i++
			j++
		}
	}
	t.Detect = merged
	t.Exposed = mergeCounts(t.Exposed, o.Exposed)
	t.mergeMetrics(o.Metric)
}

// Validate checks that t is internally consistent (as a Tally read from a
// file must be): non-negative counts that fit in Reps, and Detect strictly
// increasing with positive counts.
func (t *Tally) Validate() error {
	if t.Reps < 0 || t.RolledBack < 0 || t.RolledBackNewContexts < 0 || t.SRM < 0 || t.Insufficient < 0 || t.Completed < 0 {
		return fmt.Errorf("negative count")
	}
	if t.RolledBack > t.Reps || t.SRM+t.Insufficient+t.Completed > t.Reps {
		return fmt.Errorf("more outcomes than the %d replications", t.Reps)
	}
	if err := validateCounts(t.Exposed, t.Reps, "exposed"); err != nil {
		return err
	}
	if err := t.validateMetrics(); err != nil {
		return err
	}
	var n int64
	for i, d := range t.Detect {
		if d.N <= 0 {
			return fmt.Errorf("detection time %d has count %d", d.T, d.N)
		}
		if d.T < 0 || (i > 0 && d.T <= t.Detect[i-1].T) {
			return fmt.Errorf("detection times are not increasing and non-negative at entry %d", i)
		}
		n += d.N
		if n > t.Reps {
			return fmt.Errorf("more detections than the %d replications", t.Reps)
		}
	}
	return nil
}

// quantile is the nearest-rank q-quantile of the detection times (the
// smallest time with at least ⌈q·n⌉ detections at or before it); zero when
// there are none.
func (t *Tally) quantile(q float64) int64 {
	n := t.Detections()
	if n == 0 {
		return 0
	}
	k := int64(math.Ceil(q * float64(n)))
	k = max(1, min(k, n))
	var seen int64
	for _, d := range t.Detect {
		seen += d.N
		if seen >= k {
			return d.T
		}
	}
	return t.Detect[len(t.Detect)-1].T
}

// cell fills the tallied statistics of c (whose Params, Policy, Alpha,
// Effect, FamilyBound and FamilyRule are set) from t, with the per-metric
// rates of the given metric keys.
func (t *Tally) cell(c Cell, keys []string) Cell {
	if c.Params == nil {
		c.Params = []Param{}
	}
	c.Reps = int(t.Reps)
	c.Detections = int(t.Detections())
	if t.Reps > 0 {
		n := float64(t.Reps)
		c.Rate = float64(c.Detections) / n
		c.SRMShare = float64(t.SRM) / n
		c.InsufficientShare = float64(t.Insufficient) / n
		c.CompletedShare = float64(t.Completed) / n
	}
	c.RateLo, c.RateHi = stats.Wilson(c.Detections, c.Reps, stats.Z95)
	c.SRMShareLo, c.SRMShareHi = stats.Wilson(int(t.SRM), c.Reps, stats.Z95)
	c.InsufficientShareLo, c.InsufficientShareHi = stats.Wilson(int(t.Insufficient), c.Reps, stats.Z95)
	c.CompletedShareLo, c.CompletedShareHi = stats.Wilson(int(t.Completed), c.Reps, stats.Z95)
	if t.RolledBack > 0 {
		c.NewContextsMean = float64(t.RolledBackNewContexts) / float64(t.RolledBack)
	}
	c.ExposureMedian = float64(countQuantile(t.Exposed, 0.5))
	c.Metrics = t.metricRates(keys)
	if c.Detections > 0 {
		c.DetectMedian = time.Duration(t.quantile(0.5))
		c.DetectP90 = time.Duration(t.quantile(0.9))
	}
	return c
}
