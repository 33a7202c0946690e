package bucket

// Side by side with LaunchDarkly's own Go evaluator
// (github.com/launchdarkly/go-server-sdk-evaluation v3, a test-only
// dependency): random rollouts and contexts, each evaluated by Serve and
// by the SDK's Evaluator on the same flag JSON.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldreason"
	"github.com/launchdarkly/go-sdk-common/v3/ldvalue"
	evaluation "github.com/launchdarkly/go-server-sdk-evaluation/v3"
	"github.com/launchdarkly/go-server-sdk-evaluation/v3/ldmodel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type noData struct{}

func (noData) GetFeatureFlag(string) *ldmodel.FeatureFlag { return nil }
func (noData) GetSegment(string) *ldmodel.Segment         { return nil }

// ldOutcome is what either side says: an error class, or the variation and
// whether the context is in the experiment.
type ldOutcome struct {
	Err          string // "", "context" or "malformed"
	Variation    int
	InExperiment bool
}

// ldServe evaluates the rollout as the fallthrough of a flag with the SDK.
func ldServe(t *testing.T, flagKey, salt string, r Rollout, cs []Context) ldOutcome {
	t.Helper()
	flag := map[string]any{
		"key": flagKey, "salt": salt, "on": true, "version": 1, "offVariation": 0,
		"variations":  []any{"v0", "v1", "v2", "v3"},
		"fallthrough": map[string]any{"rollout": r},
	}
	b, err := json.Marshal(flag)
	require.NoError(t, err)
	f, err := ldmodel.NewJSONDataModelSerialization().UnmarshalFeatureFlag(b)
	require.NoError(t, err, string(b))
	res := evaluation.NewEvaluator(noData{}).Evaluate(&f, ldContext(cs), nil)
	reason := res.Detail.Reason
	if reason.GetKind() == ldreason.EvalReasonError {
		switch reason.GetErrorKind() {
		case ldreason.EvalErrorUserNotSpecified:
			return ldOutcome{Err: "context"}
		case ldreason.EvalErrorMalformedFlag:
			return ldOutcome{Err: "malformed"}
		}
		t.Fatalf("unexpected SDK error %s", reason.GetErrorKind())
	}
	return ldOutcome{Variation: res.Detail.VariationIndex.IntValue(), InExperiment: reason.IsInExperiment()}
}

// ldContext builds the SDK context from ours with the SDK's own reading
// of Go values (ldvalue.CopyArbitraryValue).
func ldContext(cs []Context) ldcontext.Context {
	one := func(c Context) ldcontext.Context {
		b := ldcontext.NewBuilder(c.Key).Kind(ldcontext.Kind(c.Kind))
		for k, v := range c.Attributes {
			b.SetValue(k, ldvalue.CopyArbitraryValue(v))
		}
		return b.Build()
	}
	if len(cs) == 1 {
		return one(cs[0])
	}
	mb := ldcontext.NewMultiBuilder()
	for _, c := range cs {
		mb.Add(one(c))
	}
	return mb.Build()
}

func ourServe(flagKey, salt string, r Rollout, cs []Context) ldOutcome {
	s, err := r.Serve(flagKey, salt, cs)
	switch {
	case errors.Is(err, ErrInvalidContext):
		return ldOutcome{Err: "context"}
	case errors.Is(err, ErrInvalidReference), errors.Is(err, ErrNoVariations):
		return ldOutcome{Err: "malformed"}
	case err != nil:
		return ldOutcome{Err: err.Error()}
	}
	return ldOutcome{Variation: s.Variation, InExperiment: s.InExperiment}
}

// randomValue draws an attribute value of one of the Go shapes users have.
func randomValue(rng *rand.Rand, depth int) any {
	keys := []string{"userKeyA", "userKeyB", "33333", "", "ü-ñ", "a/b"}
	switch rng.IntN(29) {
	case 0, 1:
		return keys[rng.IntN(len(keys))]
	case 2:
		return rng.IntN(200000) - 100000
	case 3:
		return int64(1<<53) + rng.Int64N(1<<12) - 1<<11 // around 2^53
	case 4:
		return int64(1<<62) + rng.Int64N(1<<62) // up to 2^63
	case 5:
		return uint64(1<<63) + rng.Uint64N(1<<62) // beyond the int range
	case 6:
		return float64(rng.IntN(100000))
	case 7:
		return float64(rng.IntN(100000)) + 0.5
	case 8:
		return float32(rng.IntN(1 << 20))
	case 9:
		ns := []string{"33333", "3.3333e4", "1.5", "9007199254740993", "-0", "1e300", "12345678901234567890"}
		return json.Number(ns[rng.IntN(len(ns))])
	case 10:
		return rng.IntN(2) == 0
	case 11:
		return nil
	case 12:
		return []any{"x", 1}
	case 13:
		return []string{"x"}
	case 14, 15:
		if depth > 1 {
			return "leaf"
		}
		return map[string]any{"sub": randomValue(rng, depth+1), "x": randomValue(rng, depth+1)}
	case 16, 17:
		return map[string]string{"sub": keys[rng.IntN(len(keys))]}
	case 18:
		return map[string]int{"sub": rng.IntN(1000)}
	case 19:
		return uint16(rng.IntN(1 << 16))
	case 20:
		return -float64(rng.IntN(1000))
	case 21:
		str := keys[rng.IntN(len(keys))]
		return &str
	case 22:
		i := int64(1<<53) + rng.Int64N(5)
		return &i
	case 23:
		return json.RawMessage([]string{`"userKeyA"`, `33333`, `{"sub":"userKeyB"}`, `1e400`, `[1]`, `18446744073709551615`}[rng.IntN(6)])
	case 24:
		return struct {
			Sub any `json:"sub"`
		}{randomValue(rng, depth+1)}
	case 25:
		return map[string]uint64{"sub": 1<<64 - 1 - rng.Uint64N(4)}
	case 26:
		return map[string]json.Number{"sub": "33333", "x": json.Number([]string{"1", "1e400"}[rng.IntN(2)])}
	case 27:
		return uint(1<<63) + uint(rng.Uint64N(1<<62))
	}
	return math.Inf(1)
}

func randomContexts(rng *rand.Rand) []Context {
	valid := []string{"", "org", "device"}
	invalid := []string{"kind", "multi", "bad kind", "ü"}
	n := 1 + rng.IntN(3)
	if rng.IntN(30) == 0 {
		n = 0 // an empty multi-kind context
	}
	perm := rng.Perm(len(valid))
	cs := make([]Context, n)
	for i := range cs {
		k := valid[perm[i]]
		switch rng.IntN(30) {
		case 0:
			k = invalid[rng.IntN(len(invalid))]
		case 1:
			k = "user" // a duplicate of "" when both are drawn
		}
		key := fmt.Sprintf("ctx-%d", rng.IntN(1000))
		if rng.IntN(40) == 0 {
			key = ""
		}
		attrs := map[string]any{}
		for _, name := range []string{"attr1", "/attr1", "a/b", "nested", "name", "anonymous"} {
			if rng.IntN(3) > 0 {
				attrs[name] = randomValue(rng, 0)
			}
		}
		cs[i] = Context{Kind: k, Key: key, Attributes: attrs}
	}
	return cs
}

func randomRollout(rng *rand.Rand) Rollout {
	r := Rollout{Variations: []WeightedVariation{}}
	r.Kind = []RolloutKind{"", KindRollout, KindExperiment}[rng.IntN(3)]
	r.ContextKind = []string{"", "user", "org", "device"}[rng.IntN(4)]
	bys := []string{"", "", "attr1", "/attr1", "/attr1/sub", "/nested/sub", "/nested/sub/sub", "/nested/x",
		"a/b", "/a~1b", "///", "/", "/attr1//x", "/a~2", "key", "/key", "kind", "name", "anonymous", "missing"}
	r.BucketBy = bys[rng.IntN(len(bys))]
	if rng.IntN(2) == 0 {
		s := rng.Int64N(2000) - 1000
		if rng.IntN(4) == 0 {
			s = rng.Int64N(1 << 50)
		}
		r.Seed = &s
	}
	n := rng.IntN(4)
	if rng.IntN(10) > 0 {
		n++ // mostly non-empty
	}
	for range n {
		w := []int{0, 1, 99999, 100000, 50000, rng.IntN(100001)}[rng.IntN(6)]
		r.Variations = append(r.Variations, WeightedVariation{Variation: rng.IntN(4), Weight: w, Untracked: rng.IntN(3) == 0})
	}
	return r
}

func TestServeMatchesLaunchDarklyEvaluator(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 7))
	reps := 20000
	if testing.Short() {
		reps = 4000
	}
	counts := map[string]int{}
	for i := range reps {
		flagKey := []string{"flag", "hashKey", "f-ü"}[rng.IntN(3)]
		salt := []string{"", "saltyA", "s"}[rng.IntN(3)]
		r := randomRollout(rng)
		cs := randomContexts(rng)
		if len(r.Variations) >= 2 && rng.IntN(2) == 0 {
			// Weights that bracket our own bucket value to 1/100000, so
			// that the bucket values themselves must agree.
			if s, err := r.Serve(flagKey, salt, cs); err == nil {
				k := int(s.Bucket*100000) + rng.IntN(3) - 1
				r.Variations = []WeightedVariation{{Variation: 0, Weight: max(k, 0)}, {Variation: 1, Weight: 1}, {Variation: 2, Weight: 100000}}
				counts["bracketed"]++
			}
		}
		ours := ourServe(flagKey, salt, r, cs)
		theirs := ldServe(t, flagKey, salt, r, cs)
		if !assert.Equal(t, theirs, ours, "case %d: flag %q salt %q rollout %+v contexts %+v", i, flagKey, salt, r, cs) {
			if counts["failed"]++; counts["failed"] > 10 {
				t.FailNow()
			}
		}
		switch {
		case ours.Err != "":
			counts["error "+ours.Err]++
		case ours.InExperiment:
			counts["in experiment"]++
		default:
			counts["served"]++
		}
	}
	t.Logf("%d cases: %v", reps, counts)
	// The draw must exercise every class.
	for _, k := range []string{"error context", "error malformed", "in experiment", "served", "bracketed"} {
		assert.Greater(t, counts[k], reps/100, k)
	}
}
