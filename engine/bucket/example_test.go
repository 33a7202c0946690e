package bucket_test

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/guardsim/guardsim/engine/bucket"
)

// An experiment from LaunchDarkly flag data (the SDK's JSON), evaluated
// for three users (the Go SDK's own test vectors: seed 61 gives buckets
// 0.098, 0.145 and 0.924).
func ExampleRollout_Serve() {
	var r bucket.Rollout
	data := `{"kind":"experiment","seed":61,"variations":[
		{"variation":1,"weight":10000},{"variation":0,"weight":20000},{"variation":0,"weight":70000,"untracked":true}]}`
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		panic(err)
	}
	for _, key := range []string{"userKeyA", "userKeyB", "userKeyC"} {
		s, err := r.Serve("flag", "salt", []bucket.Context{{Key: key}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: bucket %.4f, variation %d, in experiment %v\n", key, s.Bucket, s.Variation, s.InExperiment)
	}
	// An invalid context is an error, never a silent bucket 0.
	_, err := r.Serve("flag", "salt", []bucket.Context{{Kind: "org", Key: "o"}, {Kind: "org", Key: "p"}})
	fmt.Println(err)
	// Output:
	// userKeyA: bucket 0.0980, variation 1, in experiment true
	// userKeyB: bucket 0.1448, variation 0, in experiment true
	// userKeyC: bucket 0.9243, variation 0, in experiment false
	// invalid context: kind org appears twice in a multi-kind context (contexts 1 and 2)
}

// Bucketing by an attribute of one kind of a multi-kind context. With a
// context kind, bucketBy is an attribute reference; in old-style flag data
// (no contextKind) the same string is a literal attribute name.
func ExampleBucketContext() {
	h := bucket.ForFlag("hashKey", "saltyA")
	ctx := []bucket.Context{
		{Kind: "user", Key: "u-1"},
		{Kind: "org", Key: "o-9", Attributes: map[string]any{"account": map[string]string{"id": "userKeyA"}}},
	}
	v, f, err := bucket.BucketContext(h, ctx, "org", "/account/id")
	fmt.Printf("%.8f %v %v\n", v, f, err)
	v, f, err = bucket.BucketContext(h, ctx, "", "/account/id") // old style: no attribute "/account/id" on the user
	fmt.Printf("%.8f %v %v\n", v, f, err)
	_, _, err = bucket.BucketContext(h, ctx, "org", "/account//id")
	fmt.Println(err)
	// Output:
	// 0.42157587 OK <nil>
	// 0.00000000 AttributeNotFound <nil>
	// invalid attribute reference "/account//id"
}

// The bucket value of a key and the variation its weights pick.
func ExampleHasher_Value() {
	h := bucket.ForSeed(61)
	v := h.Value("userKeyB")
	fmt.Printf("%.8f\n", v)
	fmt.Println(bucket.PickWeights(v, []int{10000, 80000, 10000}))
	// Output:
	// 0.14483777
	// 1
}

// A simulator's contexts "user-0", "user-1", … bucketed without building
// their keys: the same values as Value of each key.
func ExampleHasher_Numbered() {
	h := bucket.ForSeed(1234567)
	keys := h.Numbered("user-")
	for _, n := range []int{0, 42, 199999} {
		fmt.Println(n, keys.Value(n) == h.Value("user-"+strconv.Itoa(n)))
	}
	// Output:
	// 0 true
	// 42 true
	// 199999 true
}
