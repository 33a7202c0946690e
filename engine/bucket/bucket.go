// Package bucket is LaunchDarkly-compatible bucketing: SHA-1 of
// "flagKey.salt.value" (or "seed.value" when the rollout has a seed), the
// first 15 hex digits divided in float32 by 0xFFFFFFFFFFFFFFF, and weights
// in 0..100000 walked as a float32 running total, exactly as the Go server
// SDK's evaluator does (go-server-sdk-evaluation evaluator_bucketing.go).
//
// Rollout.Serve evaluates a rollout or experiment from LaunchDarkly flag
// data for a (multi-kind) context: the variation and whether the context
// is in the experiment. BucketContext and BucketRef pick the bucketable
// value by kind and bucketBy with the SDK's fallbacks to bucket 0. They
// never answer silently wrong: an invalid context (empty key, kind "kind"
// or "multi", a kind twice) and a malformed bucketBy reference are errors;
// old-style flag data (no contextKind) reads bucketBy as a literal
// attribute name; attribute values are read as the SDK reads Go values
// (value.go). ld_parity_test.go checks all of it side by side with the
// SDK's own evaluator on random rollouts and contexts.
package bucket

import (
	"crypto/sha1"
	"encoding/binary"
	"math/bits"
	"strconv"
)

// longScale is float32(0xFFFFFFFFFFFFFFF), as in the Go SDK.
const longScale = float32(0xFFFFFFFFFFFFFFF)

// emptyFlagPrefix is the prefix of a zero Hasher, ForFlag("", "").
var emptyFlagPrefix = []byte("..")

// maxOneBlock is the longest message SHA-1 pads into one 64-byte block
// (the 0x80 byte and the 8-byte length follow it).
const maxOneBlock = 55

// maxHash is 0xFFFFFFFFFFFFFFF, the largest 60-bit hash prefix.
const maxHash = 0xFFFFFFFFFFFFFFF

// Hasher computes bucket values for one flag (key and salt) or one seed.
// A zero Hasher hashes with an empty key and salt, like ForFlag("", "").
type Hasher struct {
	// prefix is "flagKey.salt." or "seed.", always ending in '.'.
	prefix []byte
}

// ForFlag returns a Hasher for a flag without a seed: input
// "flagKey.salt.value" (an empty salt still adds its separator).
func ForFlag(flagKey, salt string) Hasher {
	return Hasher{prefix: []byte(flagKey + "." + salt + ".")}
}

// ForSeed returns a Hasher for a seeded rollout: input "seed.value", which
// does not depend on the flag key or salt.
func ForSeed(seed int64) Hasher {
	return Hasher{prefix: append(strconv.AppendInt(nil, seed, 10), '.')}
}

// New returns ForSeed(*seed) when seed is non-nil, otherwise ForFlag.
func New(flagKey, salt string, seed *int64) Hasher {
	if seed != nil {
		return ForSeed(*seed)
	}
	return ForFlag(flagKey, salt)
}

// Hash60 is the first 60 bits of SHA-1(prefix + value), i.e. the first 15
// hex digits of the digest read as an integer in 0..0xFFFFFFFFFFFFFFF. It
// does not allocate for inputs up to 128 bytes.
func (h Hasher) Hash60(value string) uint64 {
	prefix := h.prefix
	if prefix == nil {
		prefix = emptyFlagPrefix
	}
	if haveSHANI && len(prefix)+len(value) <= maxOneBlock {
		// One padded block, hashed with the SHA extensions and no digest
		// state: about 5× faster than crypto/sha1.Sum (sha1ni_amd64.s).
		var b [64]byte
		n := copy(b[:], prefix)
		n += copy(b[n:], value)
		b[n] = 0x80
		binary.BigEndian.PutUint64(b[56:], uint64(n)*8)
		return sha1First64(&b) >> 4
	}
	var stack [128]byte
	buf := append(stack[:0], prefix...)
	buf = append(buf, value...)
	sum := sha1.Sum(buf)
	return binary.BigEndian.Uint64(sum[:8]) >> 4
}

// Value is the bucket value in [0, 1] of a string bucketable value:
// float32(Hash60) / float32(0xFFFFFFFFFFFFFFF), in float32 as the Go SDK
// computes it (a value can round up to exactly 1).
func (h Hasher) Value(value string) float32 {
	return float32(h.Hash60(value)) / longScale
}

// IntValue is the bucket value of an integer attribute, written in base
// 10 after rounding to float64 as LaunchDarkly stores numbers (beyond 2^53
// an int64 attribute hashes as its nearest float64). Values of 2^63 and
// more after rounding are not integers to the SDK; BucketRef reports them.
func (h Hasher) IntValue(v int64) float32 {
	var b [20]byte
	return h.Value(string(strconv.AppendInt(b[:0], int64(int(float64(v))), 10)))
}

// IntBucket is the bucket on the 0..100000 scale as the LaunchDarkly SDK
// test harness computes it, floor(Hash60·100000 / 0xFFFFFFFFFFFFFFF) in
// exact integer arithmetic (sdktests computeExpectedBucketValue). It can
// differ from Value·100000 at float32 rounding boundaries.
func (h Hasher) IntBucket(value string) int {
	hi, lo := bits.Mul64(h.Hash60(value), 100000)
	q, _ := bits.Div64(hi, lo, maxHash)
	return int(q)
}

// WeightedVariation is one entry of a rollout: a variation index and its
// weight in thousandths of a percent (0..100000).
type WeightedVariation struct {
	Variation int  `json:"variation"`
	Weight    int  `json:"weight"`
	Untracked bool `json:"untracked,omitempty"`
}

// Pick returns the index into variations that a bucket value falls in,
// walking the weights as a float32 running total with a strict "<"
// comparison; a bucket at or above the total goes to the last entry. It
// returns -1 for an empty list.
func Pick(bucket float32, variations []WeightedVariation) int {
	if len(variations) == 0 {
		return -1
	}
	var sum float32
	for i, wv := range variations {
		sum += float32(wv.Weight) / 100000.0
		if bucket < sum {
			return i
		}
	}
	return len(variations) - 1
}

// PickWeights is Pick over a plain weight list.
func PickWeights(bucket float32, weights []int) int {
	if len(weights) == 0 {
		return -1
	}
	var sum float32
	for i, w := range weights {
		sum += float32(w) / 100000.0
		if bucket < sum {
			return i
		}
	}
	return len(weights) - 1
}

// PickWeightsRange is PickWeights for every bucket value in [lo, hi) at
// once: the index they all pick and true, or false when values in the
// range pick different indexes (a weight boundary falls inside it). A
// caller that keeps a coarse bucket value can so decide most picks
// exactly without the value itself.
func PickWeightsRange(lo, hi float32, weights []int) (int, bool) {
	if len(weights) == 0 {
		return -1, true
	}
	var sum float32
	for i, w := range weights[:len(weights)-1] {
		sum += float32(w) / 100000.0
		if hi <= sum {
			return i, true
		}
		if lo < sum {
			return 0, false
		}
	}
	// Values at or above every sum but the last pick the last entry,
	// whether below the last sum or not.
	return len(weights) - 1, true
}
