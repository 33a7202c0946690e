package bucket

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LaunchDarkly's published cases for rollouts and experiments:
// go-server-sdk-evaluation evaluator_bucketing_test.go (T1, commit 8394e84)
// and sdk-test-harness rollout-or-experiment.yml (T5, commit 713b622).
func TestServeUpstreamVectors(t *testing.T) {
	b := func(v, w int) WeightedVariation { return WeightedVariation{Variation: v, Weight: w} }
	bu := func(v, w int) WeightedVariation { return WeightedVariation{Variation: v, Weight: w, Untracked: true} }
	four := []WeightedVariation{b(3, 20000), b(2, 20000), b(1, 20000), b(0, 40000)}
	exp := []WeightedVariation{b(1, 10000), b(0, 20000), bu(0, 70000)}
	user := func(k string) []Context { return []Context{{Key: k}} }
	cases := []struct {
		name         string
		flag, salt   string
		r            Rollout
		ctx          []Context
		variation    int
		inExperiment bool
	}{
		{"T1 rollout A", "hashKey", "saltyA", Rollout{Variations: four}, user("userKeyA"), 1, false},
		{"T1 rollout B", "hashKey", "saltyA", Rollout{Variations: four}, user("userKeyB"), 0, false},
		{"T1 rollout C", "hashKey", "saltyA", Rollout{Variations: four}, user("userKeyC"), 3, false},
		{"T1 int attr 33333", "hashKey", "saltyA", Rollout{Variations: four, BucketBy: "intAttr"}, []Context{{Key: "x", Attributes: map[string]any{"intAttr": 33333}}}, 1, false},
		{"T1 int attr 99999", "hashKey", "saltyA", Rollout{Variations: four, BucketBy: "intAttr"}, []Context{{Key: "x", Attributes: map[string]any{"intAttr": 99999}}}, 0, false},
		{"T1 experiment seed 61 A", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Seed: seed(61), Variations: exp}, user("userKeyA"), 1, true},
		{"T1 experiment seed 61 B", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Seed: seed(61), Variations: exp}, user("userKeyB"), 0, true},
		{"T1 experiment seed 61 C untracked", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Seed: seed(61), Variations: exp}, user("userKeyC"), 0, false},
		{"T1 experiment unseeded A untracked", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Variations: exp}, user("userKeyA"), 0, false},
		{"T1 experiment unseeded C tracked", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Variations: exp}, user("userKeyC"), 0, true},
		{"T1 experiment ignores bucketBy", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Seed: seed(61), BucketBy: "///", ContextKind: "user", Variations: exp}, user("userKeyA"), 1, true},
		{"T1 wrong kind: first bucket, not in experiment", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Seed: seed(61), Variations: []WeightedVariation{b(1, 10000), b(0, 90000)}}, []Context{{Kind: "rightkind", Key: "userKeyC"}}, 1, false},
		{"T1 past the end", "hashKey", "saltyA", Rollout{Variations: []WeightedVariation{b(0, 5000), b(1, 5000)}}, user("userKeyD"), 1, false},
		{"T1 past the end, experiment", "hashKey", "saltyA", Rollout{Kind: KindExperiment, Seed: seed(42), Variations: []WeightedVariation{b(0, 5000), b(1, 5000)}}, user("userKeyD"), 1, true},
		{"T5 first bucket", "flag-with-fallthrough-rollout", "", Rollout{Variations: []WeightedVariation{b(2, 99999), b(3, 1)}}, user("user-key"), 2, false},
		{"T5 second bucket", "flag-with-fallthrough-rollout", "", Rollout{Variations: []WeightedVariation{b(2, 1), b(3, 99999)}}, user("user-key"), 3, false},
		{"T5 past the end", "flag-with-fallthrough-rollout", "", Rollout{Variations: []WeightedVariation{b(2, 1), b(3, 1)}}, user("user-key"), 3, false},
		{"T5 experiment first", "flag-with-fallthrough-rollout", "", Rollout{Kind: KindExperiment, Variations: []WeightedVariation{b(2, 99999), b(3, 1)}}, user("user-key"), 2, true},
		{"T5 experiment second", "flag-with-fallthrough-rollout", "", Rollout{Kind: KindExperiment, Variations: []WeightedVariation{b(2, 1), b(3, 99999)}}, user("user-key"), 3, true},
		{"T5 experiment untracked", "flag-with-fallthrough-rollout", "", Rollout{Kind: KindExperiment, Variations: []WeightedVariation{bu(2, 99999), b(3, 1)}}, user("user-key"), 2, false},
		{"T5 experiment past the end", "flag-with-fallthrough-rollout", "", Rollout{Kind: KindExperiment, Variations: []WeightedVariation{b(2, 1), b(3, 1)}}, user("user-key"), 3, true},
		{"T5 experiment missing kind", "flag", "", Rollout{Kind: KindExperiment, ContextKind: "nonexistent", Variations: []WeightedVariation{b(0, 1), b(1, 99999)}}, user("user-key"), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.r.Serve(c.flag, c.salt, c.ctx)
			require.NoError(t, err)
			assert.Equal(t, c.variation, s.Variation)
			assert.Equal(t, c.inExperiment, s.InExperiment)
		})
	}
}

func TestServeErrors(t *testing.T) {
	_, err := Rollout{}.Serve("f", "s", []Context{{Key: "k"}})
	require.ErrorIs(t, err, ErrNoVariations)
	_, err = Rollout{ContextKind: "org", BucketBy: "///", Variations: []WeightedVariation{{Weight: 100000}}}.Serve("f", "s", []Context{{Key: "k"}})
	require.ErrorIs(t, err, ErrInvalidReference)
	assert.ErrorContains(t, err, `bucketBy: invalid attribute reference "///"`)
	_, err = Rollout{Variations: []WeightedVariation{{Weight: 100000}}}.Serve("f", "s", []Context{{Kind: "multi", Key: "k"}})
	require.ErrorIs(t, err, ErrInvalidContext)
}

// Flag data JSON reads into Rollout with LaunchDarkly's field names; a
// rollout without contextKind is old-style (bucketBy a literal name).
func TestRolloutJSON(t *testing.T) {
	var r Rollout
	require.NoError(t, json.Unmarshal([]byte(`{"kind":"rollout","variations":[{"variation":1,"weight":60000},{"variation":0,"weight":40000,"untracked":true}],"bucketBy":"/org","seed":61}`), &r))
	assert.Equal(t, Rollout{Kind: KindRollout, Variations: []WeightedVariation{{Variation: 1, Weight: 60000}, {Variation: 0, Weight: 40000, Untracked: true}}, BucketBy: "/org", Seed: seed(61)}, r)
	ctx := []Context{{Key: "k", Attributes: map[string]any{"/org": "userKeyA", "org": "userKeyB"}}}
	s, err := r.Serve("f", "s", ctx)
	require.NoError(t, err)
	assert.Equal(t, ForSeed(61).Value("userKeyA"), s.Bucket, "old style: the attribute named /org")
	r.ContextKind = "user"
	s, err = r.Serve("f", "s", ctx)
	require.NoError(t, err)
	assert.Equal(t, ForSeed(61).Value("userKeyB"), s.Bucket, "with a context kind: the reference /org")
}
