package engine

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestPopulateKeepsContents checks that prefaulting memory leaves what is
// in it alone: written bytes stay, fresh memory stays zero (a wrong advice,
// such as MADV_DONTNEED, would zero the written pages).
func TestPopulateKeepsContents(t *testing.T) {
	const n = 4 << 20
	written := make([]byte, n)
	for i := range written {
		written[i] = byte(i*7 + 1)
	}
	fresh := make([]byte, n)
	populate(unsafe.Pointer(unsafe.SliceData(written)), n)
	populate(unsafe.Pointer(unsafe.SliceData(fresh)), n)
	populate(unsafe.Pointer(unsafe.SliceData(fresh[1:])), 100) // less than a page: nothing to do
	for i := range written {
		if written[i] != byte(i*7+1) {
			require.Failf(t, "populate changed memory", "byte %d is %d", i, written[i])
		}
	}
	require.Zero(t, countNonZero(fresh))
}

func countNonZero(b []byte) int {
	n := 0
	for _, x := range b {
		if x != 0 {
			n++
		}
	}
	return n
}
