package bucket

import (
	"math"
	"strconv"
	"strings"
)

// Context is one individual evaluation context: its kind ("" means
// "user"), key and custom attributes. A multi-kind context is a slice of
// individual contexts of distinct kinds.
type Context struct {
	Kind       string
	Key        string
	Attributes map[string]any
}

// Failure says why a bucket value fell back to 0, as in the Go SDK's
// evaluator (computeBucketValue).
type Failure int

const (
	// OK means the bucket value was computed.
	OK Failure = iota
	// ContextLacksDesiredKind means no individual context has the rollout's
	// kind. Rollouts serve the first bucket; segment rules do not match.
	ContextLacksDesiredKind
	// AttributeNotFound means the bucketBy attribute is missing.
	AttributeNotFound
	// AttributeValueWrongType means the attribute is neither a string nor an
	// integer (a non-integral number, bool, array or object).
	AttributeValueWrongType
	// InvalidReference means bucketBy is a malformed attribute reference;
	// the SDK reports the flag as malformed (an error, not bucket 0).
	InvalidReference
)

// String names the failure as the Go SDK does.
func (f Failure) String() string {
	switch f {
	case OK:
		return "OK"
	case ContextLacksDesiredKind:
		return "ContextLacksDesiredKind"
	case AttributeNotFound:
		return "AttributeNotFound"
	case AttributeValueWrongType:
		return "AttributeValueWrongType"
	case InvalidReference:
		return "InvalidReference"
	}
	return "Failure(" + strconv.Itoa(int(f)) + ")"
}

func kindOf(k string) string {
	if k == "" {
		return "user"
	}
	return k
}

// BucketContext is the bucket value of a (possibly multi-kind) context for
// a rollout with context kind kind ("" means "user") and bucketBy:
//
//   - the individual context of that kind is used and all others are
//     ignored; if there is none the value is 0 (ContextLacksDesiredKind);
//   - an empty bucketBy means the context key (experiments always pass "");
//   - bucketBy "/a/b" is an attribute reference (nested property b of
//     attribute a, with ~1 for '/' and ~0 for '~'); any other bucketBy is a
//     literal attribute name; "key" and "kind" name the built-ins;
//   - a string value is hashed as is, an integer (or an integral float64,
//     e.g. 33333.0) in base 10; any other type gives 0
//     (AttributeValueWrongType) and a missing attribute gives 0
//     (AttributeNotFound).
func BucketContext(h Hasher, contexts []Context, kind string, bucketBy string) (float32, Failure) {
	want := kindOf(kind)
	var c *Context
	for i := range contexts {
		if kindOf(contexts[i].Kind) == want {
			c = &contexts[i]
			break
		}
	}
	if c == nil {
		return 0, ContextLacksDesiredKind
	}
	if bucketBy == "" {
		return h.Value(c.Key), OK
	}
	path, ok := parseRef(bucketBy)
	if !ok {
		return 0, InvalidReference
	}
	var v any
	switch path[0] {
	case "key":
		v = c.Key
	case "kind":
		v = want
	default:
		v, ok = c.Attributes[path[0]]
		if !ok {
			return 0, AttributeNotFound
		}
	}
	for _, p := range path[1:] {
		m, isMap := v.(map[string]any)
		if !isMap {
			return 0, AttributeNotFound
		}
		if v, ok = m[p]; !ok {
			return 0, AttributeNotFound
		}
	}
	s, f := bucketable(v)
	if f != OK {
		return 0, f
	}
	return h.Value(s), OK
}

// parseRef splits an attribute reference into its path. A bucketBy that
// does not start with '/' is a single literal name.
func parseRef(ref string) ([]string, bool) {
	if !strings.HasPrefix(ref, "/") {
		return []string{ref}, true
	}
	parts := strings.Split(ref[1:], "/")
	for i, p := range parts {
		if p == "" {
			return nil, false
		}
		if !strings.Contains(p, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(p); j++ {
			if p[j] != '~' {
				b.WriteByte(p[j])
				continue
			}
			if j+1 >= len(p) {
				return nil, false
			}
			switch p[j+1] {
			case '0':
				b.WriteByte('~')
			case '1':
				b.WriteByte('/')
			default:
				return nil, false
			}
			j++
		}
		parts[i] = b.String()
	}
	return parts, true
}

// bucketable renders an attribute value as the string to hash.
func bucketable(v any) (string, Failure) {
	switch x := v.(type) {
	case nil:
		return "", AttributeNotFound
	case string:
		return x, OK
	case int:
		return strconv.Itoa(x), OK
	case int8:
		return strconv.FormatInt(int64(x), 10), OK
	case int16:
		return strconv.FormatInt(int64(x), 10), OK
	case int32:
		return strconv.FormatInt(int64(x), 10), OK
	case int64:
		return strconv.FormatInt(x, 10), OK
	case uint:
		return strconv.FormatUint(uint64(x), 10), OK
	case uint8:
		return strconv.FormatUint(uint64(x), 10), OK
	case uint16:
		return strconv.FormatUint(uint64(x), 10), OK
	case uint32:
		return strconv.FormatUint(uint64(x), 10), OK
	case uint64:
		return strconv.FormatUint(x, 10), OK
	case float32:
		return integral(float64(x))
	case float64:
		return integral(x)
	}
	return "", AttributeValueWrongType
}

// integral renders an integral float (ldvalue IsInt) in base 10.
func integral(f float64) (string, Failure) {
	if f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return "", AttributeValueWrongType
	}
	return strconv.FormatInt(int64(f), 10), OK
}
