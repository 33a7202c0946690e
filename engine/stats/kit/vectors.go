package kit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Format is the format tag of a vector file.
const Format = "guardsim-vectors/1"

// File is one vector file (docs/VECTORS.md): a family of cases from one
// source.
type File struct {
	Format string `json:"format"`
	Family string `json:"family"`
	// Source names where the expected values come from (repository@commit
	// and path, paper, or "computed" for guardsim's own regression values).
	Source string `json:"source"`
	Notes  string `json:"notes,omitempty"`
	Cases  []Case `json:"cases"`

	Path string `json:"-"`
}

// Case is one call and its expected outputs.
type Case struct {
	Name string `json:"name"`
	Func string `json:"func"`
	Args Args   `json:"args"`
	// Want maps output names to expected values: numbers, or "inf",
	// "-inf" and "nan".
	Want map[string]Value `json:"want"`
	// Tol is the absolute tolerance (default 1e-9); RelTol, when set, also
	// accepts a relative error up to it. Tols overrides Tol per output.
	Tol    float64            `json:"tol,omitempty"`
	RelTol float64            `json:"rel_tol,omitempty"`
	Tols   map[string]float64 `json:"tols,omitempty"`
	// Source overrides the file's source for this case.
	Source string `json:"source,omitempty"`
}

// Value is an expected number; JSON strings "inf", "-inf", "nan" allowed.
type Value float64

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		switch s {
		case "inf", "+inf":
			*v = Value(math.Inf(1))
		case "-inf":
			*v = Value(math.Inf(-1))
		case "nan":
			*v = Value(math.NaN())
		default:
			return fmt.Errorf("expected value %q is not a number, inf, -inf or nan", s)
		}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("expected value %s is not a number: %w", b, err)
	}
	*v = Value(f)
	return nil
}

// LoadFile reads and validates one vector file.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	if f.Format != Format {
		return nil, fmt.Errorf("%s: format %q, want %q", path, f.Format, Format)
	}
	if f.Family == "" || f.Source == "" {
		return nil, fmt.Errorf("%s: family and source are required", path)
	}
	for i, c := range f.Cases {
		fn, ok := Lookup(c.Func)
		if !ok {
			return nil, fmt.Errorf("%s: case %d (%q): unknown func %q", path, i+1, c.Name, c.Func)
		}
		if len(c.Want) == 0 {
			return nil, fmt.Errorf("%s: case %d (%q): want is empty", path, i+1, c.Name)
		}
		for k := range c.Want {
			if !contains(fn.Outputs, k) {
				return nil, fmt.Errorf("%s: case %d (%q): %s has no output %q", path, i+1, c.Name, c.Func, k)
			}
		}
	}
	return &f, nil
}

// LoadDir reads every *.json vector file in a directory, by name.
func LoadDir(dir string) ([]*File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no *.json vector files", dir)
	}
	sort.Strings(paths)
	var out []*File
	for _, p := range paths {
		f, err := LoadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Mismatch is one output that disagrees with its expected value.
type Mismatch struct {
	Output    string
	Got, Want float64
	Tol       float64
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s = %.17g, want %.17g (tolerance %g)", m.Output, m.Got, m.Want, m.Tol)
}

// Check runs a case and lists the outputs outside tolerance.
func (c Case) Check() ([]Mismatch, error) {
	got, err := Call(c.Func, c.Args)
	if err != nil {
		return nil, err
	}
	var out []Mismatch
	keys := make([]string, 0, len(c.Want))
	for k := range c.Want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := float64(c.Want[k])
		tol := c.Tol
		if tol == 0 {
			tol = 1e-9
		}
		if t, ok := c.Tols[k]; ok {
			tol = t
		}
		g := got[k]
		if !Close(g, want, tol, c.RelTol) {
			out = append(out, Mismatch{Output: k, Got: g, Want: want, Tol: tol})
		}
	}
	return out, nil
}

// Close reports whether got matches want within the absolute tolerance
// tol or the relative tolerance rel (infinities and NaN must match
// exactly).
func Close(got, want, tol, rel float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	d := math.Abs(got - want)
	return d <= tol || (rel > 0 && d <= rel*math.Abs(want))
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
