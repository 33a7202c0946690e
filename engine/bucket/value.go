package bucket

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// This file reads Go attribute values as LaunchDarkly's Go SDK does
// (go-sdk-common ldvalue.CopyArbitraryValue, v3.4.0), so that a context
// built from the same Go values buckets alike. The SDK converts the types
// it lists (bool, strings, the integer and float types other than int64
// and uint64, []any, map[string]any and maps and slices of those element
// types, pointers to some of them) directly, numbers to float64; any other
// value (int64, uint64, json.Number, structs, other maps) goes through
// encoding/json and the SDK's own JSON reader (go-jsonstream), which reads
// an integer literal into an int64 with wrap-around before converting to
// float64 and gives null for a document it cannot read. We cannot import
// the SDK in the library (a large dependency for one conversion), so the
// rules are re-stated here and checked side by side with the SDK's own
// evaluator in ld_parity_test.go.

// An ld value is nil (null), string, bool, float64, array{} or an object.
type array struct{}

// object is an ld object; get returns the ld value of a property (nil
// when absent).
type object interface{ get(p string) any }

// anyMap is a map[string]any: its elements are read on access.
type anyMap map[string]any

func (m anyMap) get(p string) any { return ldValue(m[p]) }

// jsonObject is a parsed JSON object: its elements are ld values.
type jsonObject map[string]any

func (m jsonObject) get(p string) any { return m[p] }

// typedMap is a map[string]string or map[string]bool.
type typedMap[T string | bool] map[string]T

func (m typedMap[T]) get(p string) any {
	v, ok := m[p]
	if !ok {
		return nil
	}
	return v
}

// numMap is a map of numbers, which the SDK converts directly to float64
// (int64 and uint64 elements too, unlike scalars of those types).
type numMap[T number] map[string]T

func (m numMap[T]) get(p string) any {
	v, ok := m[p]
	if !ok {
		return nil
	}
	return float64(v)
}

type number interface {
	int | int8 | int16 | int32 | int64 | uint | uint8 | uint16 | uint32 | uint64 | float32 | float64
}

// ldValue reads a Go value as an ld value (CopyArbitraryValue).
func ldValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	case bool:
		return x
	case float64:
		return x
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case float32:
		return float64(x)
	case *string:
		return deref(x)
	case *bool:
		return deref(x)
	case *int:
		return deref(x)
	case *int8:
		return deref(x)
	case *int16:
		return deref(x)
	case *int32:
		return deref(x)
	case *uint:
		return deref(x)
	case *uint8:
		return deref(x)
	case *uint16:
		return deref(x)
	case *uint32:
		return deref(x)
	case *float32:
		return deref(x)
	case *float64:
		return deref(x)
	case map[string]any:
		return anyMap(x)
	case *map[string]any:
		if x == nil {
			return nil
		}
		return anyMap(*x)
	case map[string]string:
		return typedMap[string](x)
	case map[string]bool:
		return typedMap[bool](x)
	case map[string]int:
		return numMap[int](x)
	case map[string]int8:
		return numMap[int8](x)
	case map[string]int16:
		return numMap[int16](x)
	case map[string]int32:
		return numMap[int32](x)
	case map[string]int64:
		return numMap[int64](x)
	case map[string]uint:
		return numMap[uint](x)
	case map[string]uint8:
		return numMap[uint8](x)
	case map[string]uint16:
		return numMap[uint16](x)
	case map[string]uint32:
		return numMap[uint32](x)
	case map[string]uint64:
		return numMap[uint64](x)
	case map[string]float32:
		return numMap[float32](x)
	case map[string]float64:
		return numMap[float64](x)
	case []any, *[]any, []string, []bool, []int, []int8, []int16, []int32, []int64, []uint, []uint8,
		[]uint16, []uint32, []uint64, []float32, []float64:
		if p, ok := x.(*[]any); ok && p == nil {
			return nil
		}
		return array{}
	case json.RawMessage:
		return parseJSON(x)
	case *json.RawMessage:
		if x == nil {
			return nil
		}
		return parseJSON(*x)
	}
	// int64, uint64 (map elements of those types are direct, above),
	// json.Number, structs, other maps and slices: through JSON.
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return parseJSON(b)
}

func deref[T string | bool | number](p *T) any {
	if p == nil {
		return nil
	}
	return ldValue(*p)
}

// parseJSON reads a JSON document as the SDK's reader does; nil when any
// part of it cannot be read.
func parseJSON(b []byte) any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err != nil {
		return nil
	}
	v, ok := fromJSON(raw)
	if !ok {
		return nil
	}
	return v
}

func fromJSON(raw any) (any, bool) {
	switch x := raw.(type) {
	case json.Number:
		return jsonNumber(string(x))
	case map[string]any:
		o := make(jsonObject, len(x))
		for k, e := range x {
			v, ok := fromJSON(e)
			if !ok {
				return nil, false
			}
			o[k] = v
		}
		return o, true
	case []any:
		for _, e := range x {
			if _, ok := fromJSON(e); !ok {
				return nil, false
			}
		}
		return array{}, true
	}
	return raw, true // nil, string, bool
}

// jsonNumber reads a JSON number literal as go-jsonstream's reader does:
// with a fraction or exponent by strconv.ParseFloat (out of range: an
// error); otherwise digit by digit into an int64 that wraps around.
func jsonNumber(lit string) (any, bool) {
	if strings.ContainsAny(lit, ".eE") {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
	neg := strings.HasPrefix(lit, "-")
	var n int64
	for _, c := range strings.TrimPrefix(lit, "-") {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return float64(n), true
}

// property is property p of the ld value v when v is an object, else nil.
func property(v any, p string) any {
	if o, ok := v.(object); ok {
		return o.get(p)
	}
	return nil
}

// bucketable renders an ld value as the string to hash.
func bucketable(v any) (string, Failure) {
	switch x := v.(type) {
	case nil:
		return "", AttributeNotFound
	case string:
		return x, OK
	case float64:
		return integral(x)
	}
	return "", AttributeValueWrongType
}

// integral renders an integral float in base 10 exactly as ldvalue does
// (IsInt: f == float64(int(f)); IntValue: int(f)), so that even the
// platform-dependent conversion of numbers beyond the int range agrees.
func integral(f float64) (string, Failure) {
	if f != float64(int(f)) {
		return "", AttributeValueWrongType
	}
	return strconv.Itoa(int(f)), OK
}
