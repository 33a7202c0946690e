package kit

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var vectorDir = filepath.Join("..", "..", "..", "testdata", "vectors")

// Every vector under testdata/vectors reproduces.
func TestVectors(t *testing.T) {
	files, err := LoadDir(vectorDir)
	require.NoError(t, err)
	families := map[string]int{}
	for _, f := range files {
		for _, c := range f.Cases {
			families[f.Family]++
			t.Run(f.Family+"/"+c.Name, func(t *testing.T) {
				mm, err := c.Check()
				require.NoError(t, err)
				for _, m := range mm {
					t.Error(m)
				}
			})
		}
	}
	for _, fam := range []string{"growthbook", "confseq", "ssrm", "msprt", "launchdarkly-bucketing", "guardsim"} {
		assert.Positive(t, families[fam], "family %s has no vectors", fam)
	}
}

// A perturbed expectation fails: the check can fail.
func TestCheckDetectsMismatch(t *testing.T) {
	c := Case{Func: "rho", Args: Args{"nstar": 5000.0, "alpha": 0.05, "one_sided": true}, Want: map[string]Value{"rho": 0.0356}, Tol: 1e-9}
	mm, err := c.Check()
	require.NoError(t, err)
	require.Len(t, mm, 1)
	assert.Equal(t, "rho", mm[0].Output)
}

func TestCallErrors(t *testing.T) {
	_, err := Call("nope", nil)
	assert.ErrorContains(t, err, `unknown function "nope"`)
	_, err = Call("rho", Args{})
	assert.ErrorContains(t, err, `missing argument "nstar"`)
	_, err = Call("rho", Args{"nstar": 1.0, "bogus": 2.0})
	assert.ErrorContains(t, err, `unknown argument "bogus"`)
	_, err = Call("rho", Args{"nstar": "x"})
	assert.ErrorContains(t, err, `"x" is not a number`)
	_, err = Call("sequential_cs", Args{"a_n": 1.0, "a_sum": 1.0, "a_sumsq": 1.0, "b_n": 1.0, "b_sum": 1.0, "b_sumsq": 1.0, "scale": "log"})
	assert.ErrorContains(t, err, `"log" is not absolute or relative`)
	_, err = Call("covariance", Args{"m": []float64{1, 2}, "d": []float64{1}})
	assert.ErrorContains(t, err, "has 1 values, m has 2")
}

func TestParseArg(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"1.5", 1.5},
		{"true", true},
		{"1,2,3", []float64{1, 2, 3}},
		{"1:4", []float64{1, 2, 3, 4}},
		{"0:1:0.5", []float64{0, 0.5, 1}},
		{"1,2;3,4", [][]float64{{1, 2}, {3, 4}}},
		{"userKeyA", "userKeyA"},
		{"a.b:c", "a.b:c"},
	}
	for _, c := range cases {
		got, err := ParseArg(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	_, err := ParseArg("3:1")
	assert.Error(t, err)
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, writeFile(p, body))
		return p
	}
	_, err := LoadFile(write("a.json", `{"format":"x","family":"f","source":"s","cases":[]}`))
	assert.ErrorContains(t, err, `format "x"`)
	_, err = LoadFile(write("b.json", `{"format":"guardsim-vectors/1","family":"f","source":"s","cases":[{"name":"n","func":"rho","args":{},"want":{"nope":1}}]}`))
	assert.ErrorContains(t, err, `rho has no output "nope"`)
	_, err = LoadFile(write("c.json", `{"format":"guardsim-vectors/1","family":"f","source":"s","extra":1}`))
	assert.ErrorContains(t, err, "unknown field")
	_, err = LoadFile(write("d.json", `{"format":"guardsim-vectors/1","family":"f","source":"s","cases":[{"name":"n","func":"rho","args":{},"want":{"rho":"big"}}]}`))
	assert.ErrorContains(t, err, `"big" is not a number`)
}
