package bucket

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketContext(t *testing.T) {
	h := ForFlag("hashKey", "saltyA")
	userA := Context{Key: "userKeyA"}
	cases := []struct {
		name     string
		contexts []Context
		kind     string
		bucketBy string
		want     float32
		failure  Failure
	}{
		{"key, default kind", []Context{userA}, "", "", 0.42157587, OK},
		{"key, explicit user kind", []Context{{Kind: "user", Key: "userKeyA"}}, "user", "", 0.42157587, OK},
		{"renamed kind", []Context{{Kind: "org", Key: "userKeyB"}}, "org", "", 0.6708485, OK},
		{"multi-kind with irrelevant kind", []Context{{Kind: "irrelevantKind", Key: "other"}, {Kind: "user", Key: "userKeyC"}}, "user", "", 0.10343106, OK},
		{"multi-kind wrongkind member", []Context{{Kind: "wrongkind", Key: "userKeyA"}, {Kind: "org", Key: "userKeyB"}}, "org", "", 0.6708485, OK},
		{"string attribute", []Context{{Key: "x", Attributes: map[string]any{"attr1": "userKeyC"}}}, "", "attr1", 0.10343106, OK},
		{"int attribute", []Context{{Key: "x", Attributes: map[string]any{"attr1": 33333}}}, "", "attr1", 0.54771423, OK},
		{"int64 attribute", []Context{{Key: "x", Attributes: map[string]any{"attr1": int64(99999)}}}, "", "attr1", 0.7309658, OK},
		{"integral float 33333.0", []Context{{Key: "x", Attributes: map[string]any{"attr1": 33333.0}}}, "", "attr1", 0.54771423, OK},
		{"numeric string", []Context{{Key: "x", Attributes: map[string]any{"attr1": "33333"}}}, "", "attr1", 0.54771423, OK},
		{"attribute reference", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]any{"subprop": "userKeyA"}}}}, "user", "/attr1/subprop", 0.42157587, OK},
		{"escaped reference", []Context{{Key: "x", Attributes: map[string]any{"a/b": map[string]any{"c~d": "userKeyB"}}}}, "user", "/a~1b/c~0d", 0.6708485, OK},
		{"literal name with slash", []Context{{Key: "x", Attributes: map[string]any{"a/b": "userKeyC"}}}, "", "a/b", 0.10343106, OK},
		{"/key reference", []Context{userA}, "user", "/key", 0.42157587, OK},
		{"key by name", []Context{userA}, "", "key", 0.42157587, OK},
		{"single-kind wrong kind", []Context{userA}, "org", "", 0, ContextLacksDesiredKind},
		{"multi-kind without org", []Context{userA, {Kind: "wrongkind", Key: "k"}}, "org", "", 0, ContextLacksDesiredKind},
		{"missing attribute", []Context{userA}, "", "unknownAttr", 0, AttributeNotFound},
		{"missing nested", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]any{}}}}, "user", "/attr1/subprop", 0, AttributeNotFound},
		{"nested in non-object", []Context{{Key: "x", Attributes: map[string]any{"attr1": "s"}}}, "user", "/attr1/subprop", 0, AttributeNotFound},
		{"null attribute", []Context{{Key: "x", Attributes: map[string]any{"attr1": nil}}}, "", "attr1", 0, AttributeNotFound},
		{"float 999.999", []Context{{Key: "x", Attributes: map[string]any{"attr1": 999.999}}}, "", "attr1", 0, AttributeValueWrongType},
		{"float 1.5", []Context{{Key: "x", Attributes: map[string]any{"attr1": 1.5}}}, "", "attr1", 0, AttributeValueWrongType},
		{"bool", []Context{{Key: "x", Attributes: map[string]any{"attr1": true}}}, "", "attr1", 0, AttributeValueWrongType},
		{"array", []Context{{Key: "x", Attributes: map[string]any{"attr1": []any{"x"}}}}, "", "attr1", 0, AttributeValueWrongType},
		{"object", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]any{"x": "y"}}}}, "", "attr1", 0, AttributeValueWrongType},
		{"invalid reference ///", []Context{userA}, "user", "///", 0, InvalidReference},
		{"invalid escape", []Context{userA}, "user", "/a~2", 0, InvalidReference},
		{"trailing tilde", []Context{userA}, "user", "/a~", 0, InvalidReference},
		{"old-style literal /attr1", []Context{{Key: "x", Attributes: map[string]any{"/attr1": "userKeyA", "attr1": "userKeyB"}}}, "", "/attr1", 0.42157587, OK},
		{"old-style literal ///", []Context{{Key: "x", Attributes: map[string]any{"///": "userKeyC"}}}, "", "///", 0.10343106, OK},
		{"old-style literal, missing", []Context{userA}, "", "/key", 0, AttributeNotFound},
		{"json.Number int", []Context{{Key: "x", Attributes: map[string]any{"attr1": json.Number("33333")}}}, "", "attr1", 0.54771423, OK},
		{"json.Number exponent", []Context{{Key: "x", Attributes: map[string]any{"attr1": json.Number("3.3333e4")}}}, "", "attr1", 0.54771423, OK},
		{"json.Number fraction", []Context{{Key: "x", Attributes: map[string]any{"attr1": json.Number("1.5")}}}, "", "attr1", 0, AttributeValueWrongType},
		{"nested map[string]string", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]string{"subprop": "userKeyA"}}}}, "user", "/attr1/subprop", 0.42157587, OK},
		{"nested struct via JSON", []Context{{Key: "x", Attributes: map[string]any{"attr1": struct {
			Sub int `json:"subprop"`
		}{33333}}}}, "user", "/attr1/subprop", 0.54771423, OK},
		{"map[string]string itself", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]string{"a": "b"}}}}, "", "attr1", 0, AttributeValueWrongType},
		{"anonymous is a bool built-in", []Context{userA}, "user", "anonymous", 0, AttributeValueWrongType},
		{"name must be a string", []Context{{Key: "x", Attributes: map[string]any{"name": 5}}}, "user", "name", 0, AttributeNotFound},
		{"name", []Context{{Key: "x", Attributes: map[string]any{"name": "userKeyB"}}}, "user", "name", 0.6708485, OK},
		{"kind built-in", []Context{{Kind: "org", Key: "x"}}, "org", "kind", ForFlag("hashKey", "saltyA").Value("org"), OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, f, err := BucketContext(h, c.contexts, c.kind, c.bucketBy)
			assert.Equal(t, c.failure, f)
			if c.failure == InvalidReference {
				require.ErrorIs(t, err, ErrInvalidReference)
			} else {
				require.NoError(t, err)
			}
			if c.want == 0 {
				assert.Equal(t, float32(0), got)
			} else {
				assert.InEpsilon(t, c.want, got, 1e-7)
			}
		})
	}
}

// T1: the multi-kind context behaves exactly like its matching member, and
// the kind itself is not hashed.
func TestBucketContextMultiKindEqualsSingle(t *testing.T) {
	h := ForSeed(61)
	single, _, err := BucketContext(h, []Context{{Kind: "org", Key: "userKeyB"}}, "org", "")
	require.NoError(t, err)
	multi, _, err := BucketContext(h, []Context{{Kind: "user", Key: "zzz"}, {Kind: "org", Key: "userKeyB"}, {Kind: "irrelevantKind", Key: "q"}}, "org", "")
	require.NoError(t, err)
	assert.Equal(t, single, multi)
	assert.Equal(t, h.Value("userKeyB"), single)
	assert.InEpsilon(t, float32(0.14483777), single, 1e-7)
}

// T4 legacy: integer 33333, string "33333" and integral float 33333.0 give
// the same bucket; 999.999 gives 0.
func TestBucketableNumbers(t *testing.T) {
	h := ForFlag("hashKey", "saltyA")
	for _, v := range []any{33333, int32(33333), uint16(33333), int64(33333), uint64(33333), float32(33333), 33333.0, "33333"} {
		got, f, err := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"intAttr": v}}}, "", "intAttr")
		require.NoError(t, err)
		assert.Equal(t, OK, f, "%T", v)
		assert.Equal(t, h.Value("33333"), got, "%T", v)
	}
	neg, f, _ := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": -7.0}}}, "", "a")
	assert.Equal(t, OK, f)
	assert.Equal(t, h.Value("-7"), neg)
	_, f, _ = BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": 1e300}}}, "", "a")
	assert.Equal(t, AttributeValueWrongType, f)
}

// Numbers are float64 in LaunchDarkly (ldvalue): integers beyond 2^53
// hash as their nearest float64, whatever Go type carries them.
func TestBigIntegersRoundThroughFloat64(t *testing.T) {
	h := ForSeed(7)
	const big = 1<<53 + 1 // not a float64: rounds to 2^53
	for _, v := range []any{int64(big), uint64(big), int(big), json.Number("9007199254740993"), float64(big)} {
		got, f, err := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": v}}}, "", "a")
		require.NoError(t, err)
		assert.Equal(t, OK, f, "%T", v)
		assert.Equal(t, h.Value("9007199254740992"), got, "%T", v)
	}
	assert.Equal(t, h.Value("9007199254740992"), h.IntValue(big))
	// Beyond the int range the SDK's two paths differ, and so do we: a
	// uint (converted directly) of 2^64−1 is 1.8e19, not an int: wrong
	// type; a uint64 goes through JSON, whose reader wraps the literal
	// around in an int64: −1.
	_, f, err := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": uint(1<<64 - 1)}}}, "", "a")
	require.NoError(t, err)
	assert.Equal(t, AttributeValueWrongType, f)
	got, f, err := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": uint64(1<<64 - 1)}}}, "", "a")
	require.NoError(t, err)
	assert.Equal(t, OK, f)
	assert.Equal(t, h.Value("-1"), got)
	// As map elements, uint64s are converted directly (wrong type again).
	_, f, err = BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": map[string]uint64{"b": 1<<64 - 1}}}}, "user", "/a/b")
	require.NoError(t, err)
	assert.Equal(t, AttributeValueWrongType, f)
	// A JSON number out of float64 range makes the whole value null.
	_, f, err = BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": map[string]json.Number{"b": "1", "c": "1e400"}}}}, "user", "/a/b")
	require.NoError(t, err)
	assert.Equal(t, AttributeNotFound, f)
}

func TestInvalidContextsAreErrors(t *testing.T) {
	h := ForSeed(7)
	cases := []struct {
		name     string
		contexts []Context
		want     string
	}{
		{"none", nil, "at least one context"},
		{"empty key", []Context{{Key: ""}}, "empty key"},
		{"empty key in a multi-kind context", []Context{{Kind: "org", Key: "o"}, {Kind: "user"}}, "context 2 (kind user): invalid context: empty key"},
		{"kind kind", []Context{{Kind: "kind", Key: "k"}}, `cannot be "kind"`},
		{"kind multi", []Context{{Kind: "multi", Key: "k"}}, `kind "multi"`},
		{"bad characters", []Context{{Kind: "org unit", Key: "k"}}, "character"},
		{"duplicate kinds", []Context{{Kind: "org", Key: "a"}, {Kind: "org", Key: "b"}}, "kind org appears twice"},
		{"user twice (default kind)", []Context{{Key: "a"}, {Kind: "user", Key: "b"}}, "kind user appears twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Whatever the rollout's kind and bucketBy: the context is refused.
			for _, kind := range []string{"", "user", "org", "absent"} {
				_, _, err := BucketContext(h, c.contexts, kind, "")
				require.ErrorIs(t, err, ErrInvalidContext)
				assert.ErrorContains(t, err, c.want)
			}
		})
	}
}

// A malformed reference is an error whether or not the context has the
// rollout's kind (LaunchDarkly checks the reference first).
func TestMalformedReferenceWhateverTheKind(t *testing.T) {
	h := ForSeed(7)
	for _, ctxs := range [][]Context{{{Key: "k"}}, {{Kind: "org", Key: "k"}}, {{Kind: "device", Key: "d"}, {Kind: "org", Key: "k"}}} {
		for _, ref := range []string{"///", "/", "/a//b", "/a~2", "/a~"} {
			_, f, err := BucketContext(h, ctxs, "org", ref)
			require.ErrorIs(t, err, ErrInvalidReference, "%v %q", ctxs, ref)
			assert.Equal(t, InvalidReference, f)
		}
	}
	// Old-style data reads the same strings as attribute names: no error.
	_, f, err := BucketContext(h, []Context{{Key: "k"}}, "", "///")
	require.NoError(t, err)
	assert.Equal(t, AttributeNotFound, f)
}

func TestFailureString(t *testing.T) {
	assert.Equal(t, "ContextLacksDesiredKind", ContextLacksDesiredKind.String())
	assert.Equal(t, "AttributeValueWrongType", AttributeValueWrongType.String())
	assert.Equal(t, "Failure(42)", Failure(42).String())
}
