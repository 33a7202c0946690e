package bucket

import (
	"errors"
	"fmt"
)

// RolloutKind is "rollout" (or empty) or "experiment", as in flag data.
type RolloutKind string

const (
	KindRollout    RolloutKind = "rollout"
	KindExperiment RolloutKind = "experiment"
)

// Rollout is a percentage rollout or experiment of a flag rule or
// fallthrough in LaunchDarkly's flag data (the SDK's JSON field names):
// the weighted variations, the randomization unit (contextKind; absent in
// old-style data, which then means "user" and a literal bucketBy), the
// attribute to bucket by and the seed.
type Rollout struct {
	Kind        RolloutKind         `json:"kind,omitempty"`
	ContextKind string              `json:"contextKind,omitempty"`
	Variations  []WeightedVariation `json:"variations"`
	BucketBy    string              `json:"bucketBy,omitempty"`
	Seed        *int64              `json:"seed,omitempty"`
}

// Served is what a rollout serves a context.
type Served struct {
	// Index is the position in Rollout.Variations and Variation its
	// variation index.
	Index, Variation int
	// InExperiment is true when the context counts in the experiment: an
	// experiment's tracked bucket, except for a context that lacks the
	// rollout's kind (LaunchDarkly's evaluation reason inExperiment).
	InExperiment bool
	// Bucket is the bucket value and Failure why it fell back to 0.
	Bucket  float32
	Failure Failure
}

// ErrNoVariations is the error of a rollout without variations
// (LaunchDarkly: MALFORMED_FLAG "rollout or experiment with no variations").
var ErrNoVariations = errors.New("rollout or experiment with no variations")

// Serve evaluates the rollout for a (multi-kind) context of the flag with
// key flagKey and salt (a seeded rollout ignores both), as the Go SDK's
// variationOrRolloutResult does: experiments bucket by key and ignore
// bucketBy; weights are walked as a float32 running total; a bucket at or
// above the total goes to the last entry. Errors: an invalid context, a
// malformed bucketBy (rollouts only), no variations.
func (r Rollout) Serve(flagKey, salt string, contexts []Context) (Served, error) {
	if len(r.Variations) == 0 {
		if err := ValidateContexts(contexts); err != nil {
			return Served{}, err
		}
		return Served{}, ErrNoVariations
	}
	experiment := r.Kind == KindExperiment
	ref := BucketBy(r.BucketBy, r.ContextKind)
	if experiment {
		ref = Ref{}
	}
	b, f, err := BucketRef(New(flagKey, salt, r.Seed), contexts, r.ContextKind, ref)
	if err != nil {
		if f == InvalidReference {
			return Served{}, fmt.Errorf("bucketBy: %w", err)
		}
		return Served{}, err
	}
	// The SDK's loop (variationOrRolloutResult): inside the weights a
	// context lacking the kind is not in the experiment; the past-the-end
	// fallback does not check that.
	var sum float32
	for i, wv := range r.Variations {
		sum += float32(wv.Weight) / 100000.0
		if b < sum {
			in := experiment && !wv.Untracked && f != ContextLacksDesiredKind
			return Served{Index: i, Variation: wv.Variation, InExperiment: in, Bucket: b, Failure: f}, nil
		}
	}
	i := len(r.Variations) - 1
	wv := r.Variations[i]
	return Served{Index: i, Variation: wv.Variation, InExperiment: experiment && !wv.Untracked, Bucket: b, Failure: f}, nil
}
