// Package kit is guardsim's stats-core kit: every statistic the project
// reproduces from an upstream source (GrowthBook, confseq, ssrm, mSPRT,
// LaunchDarkly bucketing) and its own new ones, behind one name → function
// registry with named arguments and named outputs. The same registry reads
// the test vectors under testdata/vectors/ (see docs/VECTORS.md for the
// JSON format) and serves `guardsim stats`, so users can diff their own
// implementation against guardsim's on their own cases.
package kit

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Args are a call's named arguments: float64, bool, string, []float64 or
// [][]float64 values, as decoded from JSON or parsed by ParseArg.
type Args map[string]any

// Func is one kit function.
type Func struct {
	Name string
	Doc  string
	// Params lists the argument names, in order; a "?" suffix marks an
	// optional one.
	Params []string
	// Outputs lists the result names, in order.
	Outputs []string
	Eval    func(Args) (map[string]float64, error)
}

var registry = map[string]Func{}

func register(f Func) { registry[f.Name] = f }

// Lookup returns the function with the given name.
func Lookup(name string) (Func, bool) {
	f, ok := registry[name]
	return f, ok
}

// Funcs lists every function, by name.
func Funcs() []Func {
	out := make([]Func, 0, len(registry))
	for _, f := range registry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Call evaluates the named function, checking that every required argument
// is present and no unknown one is given.
func Call(name string, args Args) (map[string]float64, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown function %q (see the list of functions)", name)
	}
	known := map[string]bool{}
	for _, p := range f.Params {
		opt := strings.HasSuffix(p, "?")
		p = strings.TrimSuffix(p, "?")
		known[p] = true
		if _, ok := args[p]; !ok && !opt {
			return nil, fmt.Errorf("%s: missing argument %q", name, p)
		}
	}
	for k := range args {
		if !known[k] {
			return nil, fmt.Errorf("%s: unknown argument %q (want %s)", name, k, strings.Join(f.Params, ", "))
		}
	}
	out, err := f.Eval(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// num returns a float argument (or def when absent and def is given).
func (a Args) num(k string, def ...float64) (float64, error) {
	v, ok := a[k]
	if !ok {
		if len(def) > 0 {
			return def[0], nil
		}
		return 0, fmt.Errorf("missing argument %q", k)
	}
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return 0, fmt.Errorf("argument %q is NaN", k)
		}
		return x, nil
	case int:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("argument %q: %q is not a number", k, x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("argument %q: want a number, got %T", k, v)
}

func (a Args) boolean(k string, def bool) (bool, error) {
	v, ok := a[k]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(x)
		if err != nil {
			return false, fmt.Errorf("argument %q: %q is not true or false", k, x)
		}
		return b, nil
	}
	return false, fmt.Errorf("argument %q: want true or false, got %T", k, v)
}

func (a Args) str(k, def string) (string, error) {
	v, ok := a[k]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("argument %q: want a string, got %T", k, v)
	}
	return s, nil
}

func (a Args) vec(k string) ([]float64, error) {
	v, ok := a[k]
	if !ok {
		return nil, fmt.Errorf("missing argument %q", k)
	}
	switch x := v.(type) {
	case []float64:
		return x, nil
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			f, ok := e.(float64)
			if !ok {
				return nil, fmt.Errorf("argument %q[%d]: want a number, got %T", k, i, e)
			}
			out[i] = f
		}
		return out, nil
	case map[string]any: // {"from": a, "to": b, "step": s}
		return rangeObj(k, x)
	case string:
		p, err := ParseArg(x)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", k, err)
		}
		if f, ok := p.([]float64); ok {
			return f, nil
		}
		if f, ok := p.(float64); ok {
			return []float64{f}, nil
		}
	}
	return nil, fmt.Errorf("argument %q: want a list of numbers, got %T", k, v)
}

func (a Args) matrix(k string) ([][]float64, error) {
	v, ok := a[k]
	if !ok {
		return nil, fmt.Errorf("missing argument %q", k)
	}
	switch x := v.(type) {
	case [][]float64:
		return x, nil
	case []any:
		out := make([][]float64, len(x))
		for i, row := range x {
			r, err := Args{k: row}.vec(k)
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	case string:
		p, err := ParseArg(x)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", k, err)
		}
		switch y := p.(type) {
		case [][]float64:
			return y, nil
		case []float64:
			return [][]float64{y}, nil
		}
	}
	return nil, fmt.Errorf("argument %q: want rows of numbers, got %T", k, v)
}

func rangeObj(k string, m map[string]any) ([]float64, error) {
	from, ok1 := m["from"].(float64)
	to, ok2 := m["to"].(float64)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("argument %q: a range needs numeric from and to", k)
	}
	step := 1.0
	if s, ok := m["step"].(float64); ok {
		step = s
	}
	return seq(from, to, step)
}

func seq(from, to, step float64) ([]float64, error) {
	if !(step > 0) || to < from || (to-from)/step > 1e8 {
		return nil, fmt.Errorf("range %g:%g:%g must rise by a positive step, at most 1e8 values", from, to, step)
	}
	var out []float64
	for i := 0; ; i++ {
		x := from + float64(i)*step
		if x > to+1e-9*step {
			break
		}
		out = append(out, x)
	}
	return out, nil
}

// ParseArg parses a command-line or CSV argument value: a number, true or
// false, a list "1,2,3" or range "1:1000" or "0:1:0.25" (from:to[:step]),
// rows "1,2;3,4", or otherwise the string itself.
func ParseArg(s string) (any, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		return b, nil
	}
	if strings.Contains(s, ";") {
		var rows [][]float64
		for i, r := range strings.Split(s, ";") {
			v, err := ParseArg(r)
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", i+1, err)
			}
			switch x := v.(type) {
			case []float64:
				rows = append(rows, x)
			case float64:
				rows = append(rows, []float64{x})
			default:
				return nil, fmt.Errorf("row %d: %q is not a list of numbers", i+1, r)
			}
		}
		return rows, nil
	}
	if strings.Contains(s, ",") {
		var out []float64
		for _, p := range strings.Split(s, ",") {
			v, err := ParseArg(p)
			if err != nil {
				return nil, err
			}
			switch x := v.(type) {
			case float64:
				out = append(out, x)
			case []float64:
				out = append(out, x...)
			default:
				return nil, fmt.Errorf("%q is not a number", p)
			}
		}
		return out, nil
	}
	if parts := strings.Split(s, ":"); len(parts) == 2 || len(parts) == 3 {
		var f [3]float64
		f[2] = 1
		ok := true
		for i, p := range parts {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil {
				ok = false
				break
			}
			f[i] = v
		}
		if ok {
			return seq(f[0], f[1], f[2])
		}
	}
	return s, nil
}

// errArg builds an argument error.
func errArg(k, format string, args ...any) error {
	return errors.New("argument " + strconv.Quote(k) + ": " + fmt.Sprintf(format, args...))
}

func sortFloats(x []float64) { sort.Float64s(x) }

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
