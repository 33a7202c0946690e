// Package bucket is LaunchDarkly-compatible bucketing: SHA-1 of
// "flagKey.salt.value" (or "seed.value" when the rollout has a seed), the
// first 15 hex digits divided in float32 by 0xFFFFFFFFFFFFFFF, and weights
// in 0..100000 walked as a float32 running total, exactly as the Go server
// SDK's evaluator does (go-server-sdk-evaluation evaluator_bucketing.go).
package bucket

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
)

// longScale is float32(0xFFFFFFFFFFFFFFF), as in the Go SDK.
const longScale = float32(0xFFFFFFFFFFFFFFF)

// Hasher computes bucket values for one flag (key and salt) or one seed.
// A zero Hasher hashes with an empty key and salt.
type Hasher struct {
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
	return Hasher{prefix: strconv.AppendInt(nil, seed, 10)}
}

// New returns ForSeed(*seed) when seed is non-nil, otherwise ForFlag.
func New(flagKey, salt string, seed *int64) Hasher {
	if seed != nil {
		return ForSeed(*seed)
	}
	return ForFlag(flagKey, salt)
}

// Value is the bucket value in [0, 1) of a string bucketable value.
func (h Hasher) Value(value string) float32 {
	buf := make([]byte, 0, len(h.prefix)+1+len(value))
	buf = append(buf, h.prefix...)
	if len(h.prefix) > 0 && h.prefix[len(h.prefix)-1] != '.' {
		buf = append(buf, '.')
	}
	buf = append(buf, value...)
	return hashToBucket(buf)
}

// IntValue is the bucket value of an integer attribute, written in base 10.
func (h Hasher) IntValue(v int64) float32 {
	return h.Value(strconv.FormatInt(v, 10))
}

func hashToBucket(input []byte) float32 {
	sum := sha1.Sum(input)
	var hexbuf [40]byte
	hex.Encode(hexbuf[:], sum[:])
	n, err := strconv.ParseUint(string(hexbuf[:15]), 16, 64)
	if err != nil { // cannot happen: 15 hex digits always parse
		return 0
	}
	return float32(n) / longScale
}

// WeightedVariation is one entry of a rollout: a variation index and its
// weight in thousandths of a percent (0..100000).
type WeightedVariation struct {
	Variation int
	Weight    int
	Untracked bool
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
