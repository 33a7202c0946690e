package bucket

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Context is one individual evaluation context: its kind ("" means
// "user"), key and custom attributes. A multi-kind context is a slice of
// individual contexts of distinct kinds.
//
// Attribute values are read as LaunchDarkly's ldvalue.CopyArbitraryValue
// reads Go values: strings as they are; every Go number (int, int64,
// uint64, float32, json.Number, …) as a float64, so integers beyond 2^53
// round as they do in LaunchDarkly; maps and slices of any element type
// (map[string]string, map[string]any, structs, …) as JSON objects and
// arrays. The attributes "name" (a string) and "anonymous" (a bool) are
// LaunchDarkly's built-ins: a value of another type is ignored, as the
// SDK's context builder ignores it.
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

// ErrInvalidContext is wrapped by the errors for contexts LaunchDarkly
// refuses to evaluate (ldcontext's builder errors).
var ErrInvalidContext = errors.New("invalid context")

// ErrInvalidReference is wrapped by the errors for a malformed bucketBy
// attribute reference (LaunchDarkly: MALFORMED_FLAG).
var ErrInvalidReference = errors.New("invalid attribute reference")

func kindOf(k string) string {
	if k == "" {
		return "user"
	}
	return k
}

// ValidateKind checks a context kind as LaunchDarkly's context builder
// does: "" means "user"; "kind" and "multi" are refused, and so is any
// character other than ASCII letters, digits, '.', '_' and '-'.
func ValidateKind(kind string) error {
	switch kind {
	case "":
		return nil
	case "multi":
		return fmt.Errorf("%w: kind \"multi\" is only for a multi-kind context", ErrInvalidContext)
	case "kind":
		return fmt.Errorf("%w: a context kind cannot be \"kind\"", ErrInvalidContext)
	}
	for _, ch := range kind {
		if (ch < 'a' || ch > 'z') && (ch < 'A' || ch > 'Z') && (ch < '0' || ch > '9') && ch != '.' && ch != '_' && ch != '-' {
			return fmt.Errorf("%w: kind %q has a character other than letters, digits, '.', '_' and '-'", ErrInvalidContext, kind)
		}
	}
	return nil
}

// ValidateContexts checks a (multi-kind) context as LaunchDarkly does
// before evaluating: at least one individual context, each with a valid
// kind and a non-empty key, no kind twice.
func ValidateContexts(contexts []Context) error {
	if len(contexts) == 0 {
		return fmt.Errorf("%w: a multi-kind context needs at least one context", ErrInvalidContext)
	}
	for i, c := range contexts {
		if err := ValidateKind(c.Kind); err != nil {
			return fmt.Errorf("context %d: %w", i+1, err)
		}
		if c.Key == "" {
			return fmt.Errorf("context %d (kind %s): %w: empty key", i+1, kindOf(c.Kind), ErrInvalidContext)
		}
		for j := range i {
			if kindOf(contexts[j].Kind) == kindOf(c.Kind) {
				return fmt.Errorf("%w: kind %s appears twice in a multi-kind context (contexts %d and %d)", ErrInvalidContext, kindOf(c.Kind), j+1, i+1)
			}
		}
	}
	return nil
}

// Ref is a parsed bucketBy: an attribute path (one component for a plain
// attribute name). The zero Ref is "not set" (bucket by key).
type Ref struct {
	path []string
	raw  string
	err  error
}

// NewRef parses an attribute reference as LaunchDarkly's ldattr.NewRef:
// "/a/b" is property b of attribute a (with ~1 for '/' and ~0 for '~'),
// a string without a leading '/' is one attribute name; "", "/", an empty
// component or a bad escape is malformed (Err).
func NewRef(ref string) Ref {
	if path, ok := parseRef(ref); ok {
		return Ref{path: path, raw: ref}
	}
	return Ref{raw: ref, err: fmt.Errorf("%w %q", ErrInvalidReference, ref)}
}

// LiteralRef is the attribute named name, a leading '/' included
// (ldattr.NewLiteralRef); an empty name is malformed.
func LiteralRef(name string) Ref {
	if name == "" {
		return Ref{err: fmt.Errorf("%w: empty attribute name", ErrInvalidReference)}
	}
	return Ref{path: []string{name}, raw: name}
}

// BucketBy reads a rollout's bucketBy as LaunchDarkly reads flag data
// (ldmodel setAttrNameOrRef): "" is not set; with no contextKind (old-style
// data, written before context kinds) it is a literal attribute name, a
// leading '/' included; with a contextKind it is an attribute reference.
func BucketBy(bucketBy, contextKind string) Ref {
	switch {
	case bucketBy == "":
		return Ref{}
	case contextKind == "":
		return LiteralRef(bucketBy)
	}
	return NewRef(bucketBy)
}

// IsDefined reports whether the Ref is set (malformed counts as set).
func (r Ref) IsDefined() bool { return r.path != nil || r.err != nil }

// Err is the parse error of a malformed reference.
func (r Ref) Err() error { return r.err }

// String is the reference as written.
func (r Ref) String() string { return r.raw }

// BucketContext is the bucket value of a (possibly multi-kind) context for
// a rollout with context kind contextKind and bucketBy as written in
// LaunchDarkly flag data (see BucketBy: an empty contextKind is old-style
// data, kind "user", bucketBy a literal name). It is BucketRef with
// BucketBy(bucketBy, contextKind).
func BucketContext(h Hasher, contexts []Context, contextKind, bucketBy string) (float32, Failure, error) {
	return BucketRef(h, contexts, contextKind, BucketBy(bucketBy, contextKind))
}

// BucketRef is the bucket value of a (possibly multi-kind) context for a
// rollout with context kind kind ("" means "user") bucketing by ref,
// following the Go SDK's computeBucketValue:
//
//   - an invalid context is an error (ValidateContexts), and so is a
//     malformed reference, whatever the context's kinds;
//   - the individual context of that kind is used and all others are
//     ignored; if there is none the value is 0 (ContextLacksDesiredKind);
//   - an unset ref means the context key; "key", "kind", "name" and
//     "anonymous" are the built-ins;
//   - a string value is hashed as is, an integral number in base 10 (after
//     rounding to float64); any other type gives 0 (AttributeValueWrongType)
//     and a missing attribute gives 0 (AttributeNotFound).
func BucketRef(h Hasher, contexts []Context, kind string, ref Ref) (float32, Failure, error) {
	if err := ValidateContexts(contexts); err != nil {
		return 0, OK, err
	}
	if ref.err != nil {
		return 0, InvalidReference, ref.err
	}
	want := kindOf(kind)
	var c *Context
	for i := range contexts {
		if kindOf(contexts[i].Kind) == want {
			c = &contexts[i]
			break
		}
	}
	if c == nil {
		return 0, ContextLacksDesiredKind, nil
	}
	if ref.path == nil {
		return h.Value(c.Key), OK, nil
	}
	v := c.attribute(ref.path[0], want)
	for _, p := range ref.path[1:] {
		v = property(v, p)
	}
	s, f := bucketable(v)
	if f != OK {
		return 0, f, nil
	}
	return h.Value(s), OK, nil
}

// attribute is the top-level attribute name of c as an ld value (nil:
// not found).
func (c *Context) attribute(name, kind string) any {
	switch name {
	case "key":
		return c.Key
	case "kind":
		return kind
	case "name": // the SDK's builder keeps only a string name
		if s, ok := ldValue(c.Attributes["name"]).(string); ok {
			return s
		}
		return nil
	case "anonymous": // a bool built-in, always present
		return true
	}
	return ldValue(c.Attributes[name])
}

// parseRef splits an attribute reference into its path. A bucketBy that
// does not start with '/' is a single literal name.
func parseRef(ref string) ([]string, bool) {
	if ref == "" {
		return nil, false
	}
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
