package sweep

import (
	"fmt"
	"math"
	"slices"
)

// Exposure: the multiset of contexts exposed to the new variation when each
// replication ended, kept exactly (run-length encoded, as Detect) so the
// median is exact and Merge stays associative. TimeCount.T holds the
// number of contexts.

// insertCount adds n occurrences of v to a sorted run-length multiset.
func insertCount(s []TimeCount, v, n int64) []TimeCount {
	i, found := slices.BinarySearchFunc(s, v, func(c TimeCount, v int64) int {
		switch {
		case c.T < v:
			return -1
		case c.T > v:
			return 1
		}
		return 0
	})
	if found {
		s[i].N += n
		return s
	}
	return slices.Insert(s, i, TimeCount{T: v, N: n})
}

// mergeCounts merges two sorted run-length multisets.
func mergeCounts(a, b []TimeCount) []TimeCount {
	out := make([]TimeCount, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].T < b[j].T):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].T < a[i].T:
			out = append(out, b[j])
			j++
		default:
			out = append(out, TimeCount{T: a[i].T, N: a[i].N + b[j].N})
			i++
			j++
		}
	}
	return out
}

// validateCounts checks a run-length multiset: increasing non-negative
// values, positive counts, at most max elements.
func validateCounts(s []TimeCount, max int64, what string) error {
	var n int64
	for i, d := range s {
		if d.N <= 0 || d.T < 0 || (i > 0 && d.T <= s[i-1].T) {
			return fmt.Errorf("%s: entry %d is not increasing, non-negative, with a positive count", what, i)
		}
		n += d.N
	}
	if n > max {
		return fmt.Errorf("%s: %d entries for %d replications", what, n, max)
	}
	return nil
}

// countQuantile is the nearest-rank q-quantile of a run-length multiset.
func countQuantile(s []TimeCount, q float64) int64 {
	var n int64
	for _, d := range s {
		n += d.N
	}
	if n == 0 {
		return 0
	}
	k := max(1, min(int64(math.Ceil(q*float64(n))), n))
	var seen int64
	for _, d := range s {
		seen += d.N
		if seen >= k {
			return d.T
		}
	}
	return s[len(s)-1].T
}
