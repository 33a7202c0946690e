//go:build amd64 && !purego

package bucket

import "encoding/binary"

// sha1First64 is the first 64 bits (H0<<32 | H1) of the SHA-1 digest of a
// message that b holds already padded to one 64-byte block: sha1Words of
// its big-endian words (one assembly routine serves both entry points).
func sha1First64(b *[64]byte) uint64 {
	be := binary.BigEndian
	return sha1Words(be.Uint64(b[0:]), be.Uint64(b[8:]), be.Uint64(b[16:]), be.Uint64(b[24:]),
		be.Uint64(b[32:]), be.Uint64(b[40:]), be.Uint64(b[48:]), be.Uint64(b[56:]))
}

func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// haveSHANI reports the SHA extensions (CPUID.7.0:EBX bit 29) with the
// SSSE3 and SSE4.1 (PINSRQ, PEXTRQ) instructions the assembly also uses.
var haveSHANI = func() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	_, b7, _, _ := cpuid(7, 0)
	return c1&(1<<9) != 0 && c1&(1<<19) != 0 && b7&(1<<29) != 0
}()

// sha1Words is the first 64 bits (H0<<32 | H1) of the SHA-1 digest of the
// padded block whose eight big-endian 64-bit words are w0..w7.
//
//go:noescape
func sha1Words(w0, w1, w2, w3, w4, w5, w6, w7 uint64) uint64
