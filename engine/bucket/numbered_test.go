package bucket

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNumberedMatchesValue: Numbered(base).Value(n) is Value(base+n) for
// every digit count (0 to 9,999,999 in the register path, beyond it and
// negative numbers through Value), for prefixes that put the digits at
// every offset within a 64-bit word, too long ones (the slow path) and
// the zero Hasher.
func TestNumberedMatchesValue(t *testing.T) {
	hashers := []Hasher{{}, ForFlag("f", ""), ForFlag("new-checkout-service", "salt")}
	for s := int64(1); s <= 1e12; s *= 10 { // "1." to "1000000000000.": every offset mod 8
		hashers = append(hashers, ForSeed(s), ForSeed(-s-7))
	}
	hashers = append(hashers, ForFlag("a-flag-key-long-enough-to-leave-the-register-path", "s"))
	ns := []int{-12, -1}
	for d := 1; d <= 1e9; d *= 10 {
		ns = append(ns, d-1, d, d+1, 7*d+3)
	}
	for i := range 3000 {
		ns = append(ns, i, i*7919%10_000_000)
	}
	for _, h := range hashers {
		for _, base := range []string{"user-", "", "ctx/"} {
			k := h.Numbered(base)
			for _, n := range ns {
				require.Equal(t, h.Value(base+strconv.Itoa(n)), k.Value(n), "prefix %q base %q n %d", h.prefix, base, n)
			}
		}
	}
}

func BenchmarkNumberedValue(b *testing.B) {
	k := ForSeed(1234567).Numbered("user-")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkF += k.Value(i & 0x3ffff)
	}
}
