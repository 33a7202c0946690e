package bucket

import (
	"crypto/sha1"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// refHash60 is Hash60 by its definition, through crypto/sha1.
func refHash60(prefix, value string) uint64 {
	sum := sha1.Sum([]byte(prefix + value))
	return binary.BigEndian.Uint64(sum[:8]) >> 4
}

// TestHash60MatchesCryptoSHA1 checks Hash60 against crypto/sha1 for every
// message length from 0 to 90 bytes (the one-block SHA-NI path ends at 55,
// the padding's edge) with random bytes, and for bucketing-shaped inputs,
// under seeded, flag and zero Hashers.
func TestHash60MatchesCryptoSHA1(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	hashers := []struct {
		h      Hasher
		prefix string
	}{
		{ForSeed(1234567), "1234567."},
		{ForSeed(-42), "-42."},
		{ForFlag("new-checkout-service", "salt"), "new-checkout-service.salt."},
		{Hasher{}, ".."},
	}
	for _, hp := range hashers {
		for n := 0; n <= 90; n++ {
			for range 40 {
				v := make([]byte, n)
				for i := range v {
					v[i] = byte(r.Uint32())
				}
				require.Equal(t, refHash60(hp.prefix, string(v)), hp.h.Hash60(string(v)), "prefix %q, value %x", hp.prefix, v)
			}
		}
		for i := range 20000 {
			k := "user-" + strconv.Itoa(i*7919)
			require.Equal(t, refHash60(hp.prefix, k), hp.h.Hash60(k), "prefix %q, key %s", hp.prefix, k)
		}
	}
}

// TestSHA1First64 checks the assembly on its own: every padded one-block
// message length, random bytes, against crypto/sha1's first 8 bytes.
func TestSHA1First64(t *testing.T) {
	if !haveSHANI {
		t.Skip("no SHA extensions on this CPU (or a purego build)")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= maxOneBlock; n++ {
		for range 200 {
			var b [64]byte
			m := b[:n]
			for i := range m {
				m[i] = byte(r.Uint32())
			}
			sum := sha1.Sum(m)
			b[n] = 0x80
			binary.BigEndian.PutUint64(b[56:], uint64(n)*8)
			require.Equal(t, binary.BigEndian.Uint64(sum[:8]), sha1First64(&b), "message %x", m)
		}
	}
}
