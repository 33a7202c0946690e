package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readTree returns every file under dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[rel], err = os.ReadFile(path)
		return err
	}))
	return files
}

// TestSweepShardMergeByteIdentical: the outputs of sweep-merge over 1, 2
// and 7 shards are byte for byte those of the unsharded sweep.
func TestSweepShardMergeByteIdentical(t *testing.T) {
	args := []string{"sweep", "--scenario", "aa-no-effect", "--grid", "alpha=0.01,0.05;effect=0,3", "--reps", "40", "--seed", "9", "--quiet"}
	full := filepath.Join(t.TempDir(), "full")
	code, _, stderr := cli(t, nil, append(args, "--out", full)...)
	require.Equal(t, 0, code, stderr)
	want := readTree(t, full)
	require.Contains(t, want, "sweep.csv")
	require.Contains(t, want, "power.png")

	for _, n := range []int{1, 2, 7} {
		tmp := t.TempDir()
		var parts []string
		for k := n - 1; k >= 0; k-- { // any order
			dir := filepath.Join(tmp, fmt.Sprintf("part-%d", k))
			code, _, stderr := cli(t, nil, append(args, "--shard", fmt.Sprintf("%d/%d", k, n), "--workers", "1", "--out", dir)...)
			require.Equal(t, 0, code, stderr)
			require.FileExists(t, filepath.Join(dir, "sweep-partial.json"))
			parts = append(parts, dir)
		}
		merged := filepath.Join(tmp, "merged")
		code, stdout, stderr := cli(t, nil, append([]string{"sweep-merge", "--out", merged}, parts...)...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "sweep of aa-no-effect (aggregate fidelity, 40 rollouts per cell, seed 9)")
		got := readTree(t, merged)
		require.Equal(t, len(want), len(got), "%d shards: same files", n)
		for name, b := range want {
			assert.True(t, string(b) == string(got[name]), "%d shards: %s differs", n, name)
		}
	}
}

func TestSweepMergeErrors(t *testing.T) {
	tmp := t.TempDir()
	base := []string{"sweep", "--scenario", "aa-no-effect", "--grid", "effect=0", "--reps", "20", "--quiet"}
	p0, p1, other := filepath.Join(tmp, "p0"), filepath.Join(tmp, "p1"), filepath.Join(tmp, "other")
	for _, c := range [][]string{
		append(base, "--shard", "0/2", "--out", p0),
		append(base, "--shard", "1/2", "--out", p1),
		append(base, "--shard", "1/2", "--seed", "3", "--out", other),
	} {
		code, _, stderr := cli(t, nil, c...)
		require.Equal(t, 0, code, stderr)
	}
	garbage := filepath.Join(tmp, "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte(`{"format":"guardsim-sweep-partial/1","reps":-1}`), 0o644))

	for _, tc := range []struct {
		args    []string
		code    int
		mention string
	}{
		{nil, 2, "no partial results"},
		{[]string{p0}, 1, "shards 1 of 2 are missing"},
		{[]string{p0, p0}, 1, "shard 0/2 is in part 1 (" + p0 + ") and part 2 (" + p0 + ")"},
		{[]string{p0, other}, 1, "part 2 (" + other + ") is not of the same sweep"},
		{[]string{p0, garbage}, 1, garbage},
		{[]string{p0, filepath.Join(tmp, "missing")}, 1, "missing"},
	} {
		out := filepath.Join(t.TempDir(), "m")
		code, _, stderr := cli(t, nil, append([]string{"sweep-merge", "--out", out}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.mention, "%v", tc.args)
		_, err := os.Stat(out)
		assert.True(t, os.IsNotExist(err), "%v: nothing written", tc.args)
	}

	code, _, stderr := cli(t, nil, append(base, "--shard", "2/2", "--out", filepath.Join(tmp, "x"))...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--shard")
}
