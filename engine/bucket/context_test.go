package bucket

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
		{"attribute reference", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]any{"subprop": "userKeyA"}}}}, "", "/attr1/subprop", 0.42157587, OK},
		{"escaped reference", []Context{{Key: "x", Attributes: map[string]any{"a/b": map[string]any{"c~d": "userKeyB"}}}}, "", "/a~1b/c~0d", 0.6708485, OK},
		{"literal name with slash", []Context{{Key: "x", Attributes: map[string]any{"a/b": "userKeyC"}}}, "", "a/b", 0.10343106, OK},
		{"/key reference", []Context{userA}, "", "/key", 0.42157587, OK},
		{"key by name", []Context{userA}, "", "key", 0.42157587, OK},
		{"single-kind wrong kind", []Context{userA}, "org", "", 0, ContextLacksDesiredKind},
		{"multi-kind without org", []Context{userA, {Kind: "wrongkind", Key: "k"}}, "org", "", 0, ContextLacksDesiredKind},
		{"missing attribute", []Context{userA}, "", "unknownAttr", 0, AttributeNotFound},
		{"missing nested", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]any{}}}}, "", "/attr1/subprop", 0, AttributeNotFound},
		{"nested in non-object", []Context{{Key: "x", Attributes: map[string]any{"attr1": "s"}}}, "", "/attr1/subprop", 0, AttributeNotFound},
		{"null attribute", []Context{{Key: "x", Attributes: map[string]any{"attr1": nil}}}, "", "attr1", 0, AttributeNotFound},
		{"float 999.999", []Context{{Key: "x", Attributes: map[string]any{"attr1": 999.999}}}, "", "attr1", 0, AttributeValueWrongType},
		{"float 1.5", []Context{{Key: "x", Attributes: map[string]any{"attr1": 1.5}}}, "", "attr1", 0, AttributeValueWrongType},
		{"bool", []Context{{Key: "x", Attributes: map[string]any{"attr1": true}}}, "", "attr1", 0, AttributeValueWrongType},
		{"array", []Context{{Key: "x", Attributes: map[string]any{"attr1": []any{"x"}}}}, "", "attr1", 0, AttributeValueWrongType},
		{"object", []Context{{Key: "x", Attributes: map[string]any{"attr1": map[string]any{"x": "y"}}}}, "", "attr1", 0, AttributeValueWrongType},
		{"invalid reference ///", []Context{userA}, "", "///", 0, InvalidReference},
		{"invalid escape", []Context{userA}, "", "/a~2", 0, InvalidReference},
		{"trailing tilde", []Context{userA}, "", "/a~", 0, InvalidReference},
		{"no contexts", nil, "", "", 0, ContextLacksDesiredKind},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, f := BucketContext(h, c.contexts, c.kind, c.bucketBy)
			assert.Equal(t, c.failure, f)
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
	single, _ := BucketContext(h, []Context{{Kind: "org", Key: "userKeyB"}}, "org", "")
	multi, _ := BucketContext(h, []Context{{Kind: "user", Key: "zzz"}, {Kind: "org", Key: "userKeyB"}, {Kind: "irrelevantKind", Key: "q"}}, "org", "")
	assert.Equal(t, single, multi)
	assert.Equal(t, h.Value("userKeyB"), single)
	assert.InEpsilon(t, float32(0.14483777), single, 1e-7)
}

// T4 legacy: integer 33333, string "33333" and integral float 33333.0 give
// the same bucket; 999.999 gives 0.
func TestBucketableNumbers(t *testing.T) {
	h := ForFlag("hashKey", "saltyA")
	for _, v := range []any{33333, int32(33333), uint16(33333), int64(33333), uint64(33333), float32(33333), 33333.0, "33333"} {
		got, f := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"intAttr": v}}}, "", "intAttr")
		assert.Equal(t, OK, f, "%T", v)
		assert.Equal(t, h.Value("33333"), got, "%T", v)
	}
	neg, f := BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": -7.0}}}, "", "a")
	assert.Equal(t, OK, f)
	assert.Equal(t, h.Value("-7"), neg)
	_, f = BucketContext(h, []Context{{Key: "k", Attributes: map[string]any{"a": 1e300}}}, "", "a")
	assert.Equal(t, AttributeValueWrongType, f)
}

func TestFailureString(t *testing.T) {
	assert.Equal(t, "ContextLacksDesiredKind", ContextLacksDesiredKind.String())
	assert.Equal(t, "AttributeValueWrongType", AttributeValueWrongType.String())
	assert.Equal(t, "Failure(42)", Failure(42).String())
}
