package bucket

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"testing"
)

var sinkF float32

func BenchmarkBucketValue(b *testing.B) {
	h := ForSeed(1234567)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sinkF += h.Value(keys[i&1023])
	}
}

// hexValue is the SDK's formulation (hex-encode, parse 15 digits), kept as
// a baseline for BenchmarkBucketValue.
func hexValue(prefix, value string) float32 {
	sum := sha1.Sum([]byte(prefix + value))
	n, _ := strconv.ParseUint(hex.EncodeToString(sum[:])[:15], 16, 64)
	return float32(n) / longScale
}

func BenchmarkBucketValueHexBaseline(b *testing.B) {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sinkF += hexValue("1234567.", keys[i&1023])
	}
}

func TestHexBaselineAgrees(t *testing.T) {
	h := ForSeed(1234567)
	for i := range 500 {
		k := "user-" + strconv.Itoa(i)
		if hexValue("1234567.", k) != h.Value(k) {
			t.Fatalf("%s: %v != %v", k, hexValue("1234567.", k), h.Value(k))
		}
	}
}

func TestValueDoesNotAllocate(t *testing.T) {
	h := ForFlag("flag-with-a-long-key", "salt")
	allocs := testing.AllocsPerRun(100, func() { sinkF += h.Value("user-key-0123456789") })
	if allocs != 0 {
		t.Fatalf("Value allocates %v times", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() { sinkF += h.IntValue(1234567890) })
	if allocs != 0 {
		t.Fatalf("IntValue allocates %v times", allocs)
	}
}
