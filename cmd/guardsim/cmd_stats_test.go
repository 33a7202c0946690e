package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatsCommand(t *testing.T) {
	// confseq's QuantileABTest vector, from flags.
	code, out, stderr := cli(t, nil, "stats", "quantile_ab_test", "a=1:1000", "b=101:1100", "p=0.5", "t_opt=100")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "a,b,p,t_opt,p_value", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "1:1000,101:1100,0.5,100,0.00549470"), lines[1])

	// CSV in, CSV out: LaunchDarkly bucket values T1.
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	require.NoError(t, os.WriteFile(in, []byte("key,flag_key,salt\nuserKeyA,hashKey,saltyA\nuserKeyB,hashKey,saltyA\n"), 0o644))
	outFile := filepath.Join(dir, "out.csv")
	code, _, stderr = cli(t, nil, "stats", "bucket", "--csv", in, "--out", outFile)
	require.Equal(t, 0, code, stderr)
	data, err := os.ReadFile(outFile)
	require.NoError(t, err)
	assert.Equal(t, "key,flag_key,salt,bucket,bucket_int\nuserKeyA,hashKey,saltyA,0.4215758740901947,42157\nuserKeyB,hashKey,saltyA,0.6708484888076782,67084\n", string(data))

	// Every vector reproduces through the command.
	code, out, stderr = cli(t, nil, "stats", "--check", filepath.Join("..", "..", "testdata", "vectors"))
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^(\d+) of (\d+) vectors reproduce`, out)

	code, out, _ = cli(t, nil, "stats", "--list")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "ratio_test")
}

func TestStatsCommandErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"stats"}, 2, "name a function"},
		{[]string{"stats", "nope"}, 2, `unknown function "nope"`},
		{[]string{"stats", "rho", "nstar"}, 2, `"nstar" is not key=value`},
		{[]string{"stats", "rho", "nstar=x"}, 1, `"x" is not a number`},
		{[]string{"stats", "rho"}, 1, `missing argument "nstar"`},
	}
	for _, c := range cases {
		code, _, stderr := cli(t, nil, c.args...)
		assert.Equal(t, c.code, code, "%v", c.args)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
	// A bad row names its row; no output file is left behind.
	in := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(in, []byte("nstar,alpha\n5000,0.05\nfoo,0.05\n"), 0o644))
	out := filepath.Join(dir, "out.csv")
	code, _, stderr := cli(t, nil, "stats", "rho", "--csv", in, "--out", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "row 3")
	assert.NoFileExists(t, out)
	// A vector that does not reproduce fails the check.
	bad := filepath.Join(dir, "v.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":"guardsim-vectors/1","family":"f","source":"s","cases":[{"name":"wrong","func":"rho","args":{"nstar":5000},"want":{"rho":1}}]}`), 0o644))
	code, stdout, _ := cli(t, nil, "stats", "--check", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "FAIL")
	assert.Contains(t, stdout, "0 of 1 vectors reproduce")
}
