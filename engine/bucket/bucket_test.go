package bucket

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seed(s int64) *int64 { return &s }

// T1, T3, T4, T5 and the derived values of reference Test vectors: hash
// input, 60-bit prefix (when listed) and float32 bucket value.
func TestBucketValues(t *testing.T) {
	cases := []struct {
		name      string
		h         Hasher
		value     string
		prefixHex string
		n         uint64
		want      float32
	}{
		{"T1 userKeyA", ForFlag("hashKey", "saltyA"), "userKeyA", "6bec658111d6ad9", 486043891349154521, 0.42157587},
		{"T1 userKeyB", ForFlag("hashKey", "saltyA"), "userKeyB", "abbcba2157240ad", 773435658029121709, 0.6708485},
		{"T1 userKeyC", ForFlag("hashKey", "saltyA"), "userKeyC", "1a7a754382d1e86", 119247895310179974, 0.10343106},
		{"T1 33333", ForFlag("hashKey", "saltyA"), "33333", "8c37000519e66b0", 631471519433647792, 0.54771423},
		{"T1 99999", ForFlag("hashKey", "saltyA"), "99999", "bb2093103e3a1a5", 842746186395001253, 0.7309658},
		{"T1 seed 61 userKeyA", ForSeed(61), "userKeyA", "19175196da26483", 113000217734964355, 0.09801207},
		{"T1 seed 61 userKeyB", ForSeed(61), "userKeyB", "2514169d979b419", 166986584065422361, 0.14483777},
		{"T1 seed 61 userKeyC", ForSeed(61), "userKeyC", "ec9c925acc68fc9", 1065603950499499977, 0.9242641},
		{"T1 secondary A", ForFlag("hashKey", "saltyA"), "userKeyA.some-secondary-key", "", 0, 0.23385963},
		{"T1 secondary B", ForFlag("hashKey", "saltyA"), "userKeyB.some-secondary-key", "", 0, 0.72651005},
		{"T1 secondary C", ForFlag("hashKey", "saltyA"), "userKeyC.some-secondary-key", "", 0, 0.66467357},
		{"T1 seed 62", ForSeed(62), "userKeyA", "", 0, 0.093569301},
		{"T1 seed 999", ForSeed(999), "userKeyA", "", 0, 0.72284752},
		{"T1 userKeyD", ForFlag("hashKey", "saltyA"), "userKeyD", "", 0, 0.78162807},
		{"T1 seed 42 userKeyD", ForSeed(42), "userKeyD", "", 0, 0.8884899},
		{"T3 segment userKeyA", ForFlag("segkey", "salty"), "userKeyA", "254fb5c77105d31", 168035460672675121, 0.14574753},
		{"T3 segment userKeyZ", ForFlag("segkey", "salty"), "userKeyZ", "74f0549e11f6497", 526645496293319831, 0.45679215},
		{"T4 seed 60", ForSeed(60), "userKeyA", "b36cfa185d88ed8", 0, 0.7008816},
		{"T4 salt userKey", ForFlag("hashKey", "salt"), "userKey", "", 0, 0.5245434},
		{"T4 secondary", ForFlag("hashKey", "salt"), "userKey.mySecondaryKey", "", 0, 0.9241147},
		{"T5 segment3 user-key", ForFlag("segment3", "salty"), "user-key", "2645c56765f3e0d", 0, 0.14950213},
		{"T5 segment3 unmatching", ForFlag("segment3", "salty"), "unmatching-key", "5d9a4bf386a64b4", 0, 0.36563563},
		{"T5 empty salt fallthrough", ForFlag("flag-with-fallthrough-rollout", ""), "user-key", "b8efa537e5cf675", 0, 0.72240669},
		{"T5 empty salt rule", ForFlag("flag-with-rule-rollout", ""), "user-key", "ac67d5dfcd08220", 0, 0.67345941},
		{"negative seed", ForSeed(-1), "userKeyA", "", 0, 0.24927914},
		{"T6 boundary", ForFlag("hashKey", "saltyA"), "user-169", "940a2801a7a23a1", 666711415934559137, 0.578279972},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.h.Value(c.value)
			assert.InEpsilon(t, c.want, got, 1e-7)
			n := c.h.Hash60(c.value)
			if c.prefixHex != "" {
				want, err := strconv.ParseUint(c.prefixHex, 16, 64)
				require.NoError(t, err)
				assert.Equal(t, want, n)
			}
			if c.n != 0 {
				assert.Equal(t, c.n, n)
			}
		})
	}
}

// The hash input strings, checked against SHA-1 of the literal inputs the
// reference lists, including the double dot of an empty salt and the
// seeded forms.
func TestHashInput(t *testing.T) {
	cases := []struct {
		h     Hasher
		value string
		input string
	}{
		{ForFlag("hashKey", "saltyA"), "userKeyA", "hashKey.saltyA.userKeyA"},
		{ForFlag("flag-with-fallthrough-rollout", ""), "user-key", "flag-with-fallthrough-rollout..user-key"},
		{ForSeed(61), "userKeyA", "61.userKeyA"},
		{ForSeed(-1), "userKeyA", "-1.userKeyA"},
		{New("hashKey", "saltyA", seed(61)), "userKeyB", "61.userKeyB"},
		{New("hashKey", "saltyA", nil), "userKeyB", "hashKey.saltyA.userKeyB"},
		{Hasher{}, "x", "..x"},
		{ForFlag("", ""), "x", "..x"},
	}
	for _, c := range cases {
		sum := sha1.Sum([]byte(c.input))
		want, err := strconv.ParseUint(hex.EncodeToString(sum[:])[:15], 16, 64)
		require.NoError(t, err)
		assert.Equal(t, want, c.h.Hash60(c.value), c.input)
	}
	// Seeded hashing ignores flag key and salt.
	assert.Equal(t, New("a", "b", seed(61)).Value("userKeyA"), New("c", "d", seed(61)).Value("userKeyA"))
}

// Hash60 reads the first 60 digest bits directly; the SDK parses the first
// 15 hex digits. They agree, including long inputs past the stack buffer.
func TestHash60MatchesHexParse(t *testing.T) {
	h := ForFlag("flag", "salt")
	for i := range 2000 {
		v := "user-" + strconv.Itoa(i)
		if i%100 == 0 {
			v += string(make([]byte, 200+i/10))
		}
		sum := sha1.Sum([]byte("flag.salt." + v))
		want, err := strconv.ParseUint(hex.EncodeToString(sum[:])[:15], 16, 64)
		require.NoError(t, err)
		require.Equal(t, want, h.Hash60(v))
		require.Equal(t, float32(want)/float32(0xFFFFFFFFFFFFFFF), h.Value(v))
	}
}

func TestIntValue(t *testing.T) {
	h := ForFlag("hashKey", "saltyA")
	assert.Equal(t, h.Value("33333"), h.IntValue(33333))
	assert.InEpsilon(t, float32(0.54771423), h.IntValue(33333), 1e-7)
	assert.InEpsilon(t, float32(0.7309658), h.IntValue(99999), 1e-7)
	assert.Equal(t, ForSeed(1).Value("-5"), ForSeed(1).IntValue(-5))
}

// T5 sdk-test-harness integer buckets floor(n·100000/0xFFFFFFFFFFFFFFF).
func TestIntBucket(t *testing.T) {
	cases := []struct {
		h     Hasher
		value string
		want  int
	}{
		{ForFlag("hashKey", "saltyA"), "userKeyA", 42157},
		{ForFlag("hashKey", "saltyA"), "userKeyB", 67084},
		{ForFlag("hashKey", "saltyA"), "userKeyC", 10343},
		{ForSeed(61), "userKeyA", 9801},
		{ForFlag("segkey", "salty"), "userKeyA", 14574},
		{ForFlag("segkey", "salty"), "userKeyZ", 45679},
		{ForFlag("segment3", "salty"), "user-key", 14950},
		{ForFlag("segment3", "salty"), "unmatching-key", 36563},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.h.IntBucket(c.value), c.value)
	}
	// segment-match.yml: rule weight 14955 = bucket of user-key + 5.
	assert.Equal(t, 14955, ForFlag("segment3", "salty").IntBucket("user-key")+5)
}

// Variation picks for the weight lists of T1, T2 and T4.
func TestPick(t *testing.T) {
	h := ForFlag("hashKey", "saltyA")
	s61 := ForSeed(61)
	// T1 rollout [{3,20000},{2,20000},{1,20000},{0,40000}].
	rollout := []WeightedVariation{{Variation: 3, Weight: 20000}, {Variation: 2, Weight: 20000}, {Variation: 1, Weight: 20000}, {Variation: 0, Weight: 40000}}
	for _, c := range []struct {
		v    float32
		want int
	}{
		{h.Value("userKeyA"), 1}, {h.Value("userKeyB"), 0}, {h.Value("userKeyC"), 3},
		{h.IntValue(33333), 1}, {h.IntValue(99999), 0},
	} {
		assert.Equal(t, c.want, rollout[Pick(c.v, rollout)].Variation)
	}

	// T1 experiment [Bucket(1,10000), Bucket(0,20000), BucketUntracked(0,70000)].
	exp := []WeightedVariation{{Variation: 1, Weight: 10000}, {Variation: 0, Weight: 20000}, {Variation: 0, Weight: 70000, Untracked: true}}
	type pick struct {
		v       float32
		varIdx  int
		tracked bool
	}
	for _, c := range []pick{
		{s61.Value("userKeyA"), 1, true}, {s61.Value("userKeyB"), 0, true}, {s61.Value("userKeyC"), 0, false},
		{h.Value("userKeyA"), 0, false}, {h.Value("userKeyB"), 0, false}, {h.Value("userKeyC"), 0, true},
	} {
		i := Pick(c.v, exp)
		assert.Equal(t, c.varIdx, exp[i].Variation)
		assert.Equal(t, c.tracked, !exp[i].Untracked)
	}

	// T2 [Bucket(0,10000), Bucket(2,20000), BucketUntracked(0,70000)], seed 61.
	t2 := []WeightedVariation{{Variation: 0, Weight: 10000}, {Variation: 2, Weight: 20000}, {Variation: 0, Weight: 70000, Untracked: true}}
	for _, c := range []pick{{s61.Value("userKeyA"), 0, true}, {s61.Value("userKeyB"), 2, true}, {s61.Value("userKeyC"), 0, false}} {
		i := Pick(c.v, t2)
		assert.Equal(t, c.varIdx, t2[i].Variation)
		assert.Equal(t, c.tracked, !t2[i].Untracked)
	}

	// T1 392–408: [Bucket(0,5000), Bucket(1,5000)] → pinned to the last bucket.
	short := []WeightedVariation{{Variation: 0, Weight: 5000}, {Variation: 1, Weight: 5000}}
	assert.Equal(t, 1, short[Pick(h.Value("userKeyD"), short)].Variation)
	assert.Equal(t, 1, short[Pick(ForSeed(42).Value("userKeyD"), short)].Variation)

	// T4 [Bucket(0,60000), Bucket(1,40000)] and the integer attributes.
	assert.Equal(t, []int{0, 1, 0, 0, 1}, []int{
		PickWeights(h.Value("userKeyA"), []int{60000, 40000}),
		PickWeights(h.Value("userKeyB"), []int{60000, 40000}),
		PickWeights(h.Value("userKeyC"), []int{60000, 40000}),
		PickWeights(h.IntValue(33333), []int{60000, 40000}),
		PickWeights(h.IntValue(99999), []int{60000, 40000}),
	})
	// T4 experiment seed 61 [B(0,10000), B(1,20000), BU(0,70000)].
	assert.Equal(t, []int{0, 1, 2}, []int{
		PickWeights(s61.Value("userKeyA"), []int{10000, 20000, 70000}),
		PickWeights(s61.Value("userKeyB"), []int{10000, 20000, 70000}),
		PickWeights(s61.Value("userKeyC"), []int{10000, 20000, 70000}),
	})

	// T5 rollout-or-experiment.yml, no salt, context user-key (0.7224):
	// variations [off, fallthrough, a, b].
	ft := ForFlag("flag-with-fallthrough-rollout", "").Value("user-key")
	rule := ForFlag("flag-with-rule-rollout", "").Value("user-key")
	for _, v := range []float32{ft, rule} {
		for _, c := range []struct {
			wv   []WeightedVariation
			want int
		}{
			{[]WeightedVariation{{Variation: 2, Weight: 99999}, {Variation: 3, Weight: 1}}, 2},
			{[]WeightedVariation{{Variation: 2, Weight: 1}, {Variation: 3, Weight: 99999}}, 3},
			{[]WeightedVariation{{Variation: 2, Weight: 1}, {Variation: 3, Weight: 1}}, 3},
			{[]WeightedVariation{{Variation: 2, Weight: 99999, Untracked: true}, {Variation: 3, Weight: 1}}, 2},
		} {
			assert.Equal(t, c.want, c.wv[Pick(v, c.wv)].Variation)
		}
	}
	// Empty rollouts are malformed.
	assert.Equal(t, -1, Pick(0.5, nil))
	assert.Equal(t, -1, PickWeights(0.5, nil))
	// A failed bucketing (0) lands in the first bucket; the harness
	// experiment with a missing kind uses [{0,1},{1,99999}].
	assert.Equal(t, 0, PickWeights(0, []int{1, 99999}))
}

// T3 / T5 segment rules: the rule matches when bucket < weight/100000.
func TestSegmentRule(t *testing.T) {
	seg := ForFlag("segkey", "salty")
	assert.True(t, seg.Value("userKeyA") < float32(30000)/100000)
	assert.False(t, seg.Value("userKeyZ") < float32(30000)/100000)
	s3 := ForFlag("segment3", "salty")
	assert.True(t, s3.Value("user-key") < float32(14955)/100000)
	assert.False(t, s3.Value("unmatching-key") < float32(14955)/100000)
}

// T6: the float32 boundary. The Go SDK (float32) serves the second bucket
// of [57828, 42172]; a float64 implementation would serve the first.
func TestFloat32Boundary(t *testing.T) {
	h := ForFlag("hashKey", "saltyA")
	v := h.Value("user-169")
	assert.Equal(t, float32(0.578279972), v)
	assert.Equal(t, float32(57828)/100000.0, v, "bucket equals the float32 cumulative weight")
	assert.Equal(t, 1, PickWeights(v, []int{57828, 42172}))
	assert.Equal(t, 1, Pick(v, []WeightedVariation{{Variation: 0, Weight: 57828}, {Variation: 1, Weight: 42172}}))

	// float64 reimplementation of the same walk.
	n := h.Hash60("user-169")
	v64 := float64(n) / float64(0xFFFFFFFFFFFFFFF)
	assert.InDelta(t, 0.57827997246170859, v64, 1e-16)
	pick64 := -1
	var sum float64
	for i, w := range []int{57828, 42172} {
		sum += float64(w) / 100000
		if v64 < sum {
			pick64 = i
			break
		}
	}
	assert.Equal(t, 0, pick64)
}
