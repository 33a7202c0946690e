package bucket

import (
	"encoding/binary"
	"strconv"
	"unsafe"
)

// Numbered buckets the keys base+n for numbers n ≥ 0 written in base 10
// ("user-0", "user-1", … for base "user-"), as a simulator names its
// contexts. Value(n) equals the Hasher's Value(base + strconv.Itoa(n)).
type Numbered struct {
	h    Hasher
	base string
	// With the SHA extensions and a short enough prefix and base, the
	// hash input is assembled in registers: words is the padded block
	// with prefix+base in place (big-endian 64-bit words) and off where
	// the digits go.
	fast  bool
	off   int
	words [8]uint64
}

// digitPairs[r] is r's two decimal digits as a big-endian pair of bytes.
var digitPairs = func() (t [100]uint16) {
	for r := range t {
		t[r] = uint16('0'+r/10)<<8 | uint16('0'+r%10)
	}
	return t
}()

// Numbered returns the Numbered hasher of keys base+n.
func (h Hasher) Numbered(base string) Numbered {
	k := Numbered{h: h, base: base}
	prefix := h.prefix
	if prefix == nil {
		prefix = emptyFlagPrefix
	}
	// Up to 7 digits and the 0x80 byte fill at most 8 bytes after off.
	if k.off = len(prefix) + len(base); haveSHANI && k.off+8 <= 56 {
		var b [64]byte
		copy(b[copy(b[:], prefix):], base)
		for i := range k.words {
			k.words[i] = binary.BigEndian.Uint64(b[8*i:])
		}
		k.fast = true
	}
	return k
}

// Value is the bucket value of key base+n.
func (k *Numbered) Value(n int) float32 {
	if !k.fast || n < 0 || n >= 10_000_000 {
		var buf [64]byte
		key := strconv.AppendInt(append(buf[:0], k.base...), int64(n), 10)
		return k.h.Value(unsafe.String(unsafe.SliceData(key), len(key)))
	}
	// d: the digits, most significant first, then 0x80, as the top bytes
	// of a big-endian word.
	d, sh, u := uint64(0x80), 8, uint64(n)
	for u >= 100 {
		q := u / 100
		d |= uint64(digitPairs[u-q*100]) << sh
		sh += 16
		u = q
	}
	if u >= 10 {
		d |= uint64(digitPairs[u]) << sh
		sh += 16
	} else {
		d |= ('0' + u) << sh
		sh += 8
	}
	d <<= 64 - sh
	w := k.words
	q, r := k.off/8, uint(k.off%8)*8
	w[q] |= d >> r
	if r != 0 {
		w[q+1] |= d << (64 - r)
	}
	w[7] = uint64(k.off+sh/8-1) * 8 // the message length in bits
	return float32(sha1Words(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])>>4) / longScale
}
