package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/compare"
)

const compareScenario = `name: cmp
seed: 5
rollout: {step_duration: 8h, min_contexts: 50}
traffic: {rate_per_hour: 1500, population: 20000}
metrics:
  - {key: latency_ms, kind: numeric, direction: lower_is_better, mean: 250, sd: 80, regression: {effect: 15, start_step: 2}}
  - {key: conv, kind: binary, direction: higher_is_better, rate: 0.1}
`

// readFiles reads every file under dir, keyed by its relative path.
func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	}))
	return files
}

// dropEvents removes the report line that says where the events came from.
func dropEvents(b []byte) string {
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "Events: ") && !strings.HasPrefix(l, "<p>Events: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestCompareOnReplayEqualsCompareOnScenario(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "cmp.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(compareScenario), 0o644))
	pols := []string{"--policies", "launchdarkly,growthbook,kayenta,naive-peeking", "--policy", "flagger:threshold=3"}

	a := filepath.Join(dir, "a")
	code, stdout, stderr := cli(t, nil, append([]string{"compare", "--scenario", sc, "--out", a}, pols...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "served under the allocation of the first policy, launchdarkly")

	ev := filepath.Join(dir, "events.parquet")
	code, _, stderr = cli(t, nil, "generate", "--scenario", sc, "--out", ev, "-q")
	require.Equal(t, 0, code, stderr)
	b := filepath.Join(dir, "b")
	code, _, stderr = cli(t, nil, append([]string{"compare", "--events", ev, "--rollout", sc, "--out", b}, pols...)...)
	require.Equal(t, 0, code, stderr)

	fa, fb := readFiles(t, a), readFiles(t, b)
	require.Equal(t, len(fa), len(fb))
	for name, da := range fa {
		db, ok := fb[name]
		require.True(t, ok, name)
		if name == "compare.md" || name == "compare.html" {
			// Identical but for the line saying where the events came from.
			assert.Equal(t, dropEvents(da), dropEvents(db), name)
			assert.NotEqual(t, string(da), string(db), name)
			continue
		}
		assert.Equal(t, da, db, "%s differs between the scenario and its replay", name)
	}
	for _, f := range []string{"compare.json", "compare.md", "compare.html", "charts/latency_ms.png", "charts/conv.png",
		"timelines/growthbook.csv", "timelines/flagger_threshold_3_.csv", "pagerduty/launchdarkly.jsonl"} {
		assert.Contains(t, fa, f)
	}

	// The comparison itself: every policy's row, and the default policy's
	// row matches a plain run of the scenario.
	var doc struct {
		Policies []compare.Summary `json:"policies"`
	}
	require.NoError(t, json.Unmarshal(fa["compare.json"], &doc))
	require.Len(t, doc.Policies, 5)
	assert.Equal(t, "flagger(threshold=3)", doc.Policies[4].Policy)
	run := filepath.Join(dir, "run")
	code, _, stderr = cli(t, nil, "run", "--scenario", sc, "--out", run, "-q")
	require.Equal(t, 0, code, stderr)
	res := readResult(t, run)
	ld := doc.Policies[0]
	assert.Equal(t, res.Outcome.Status, ld.Status)
	assert.Equal(t, res.Outcome.Reason, ld.Reason)
	assert.Equal(t, res.Outcome.Elapsed, ld.Elapsed)
	assert.Equal(t, res.Outcome.NewContexts, ld.NewContexts)
	assert.Len(t, ld.Alerts, len(res.Outcome.Alerts))
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := cli(t, nil, "compare", "--scenario", "aa-no-effect", "--out", filepath.Join(dir, "x"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "at least one policy")
	code, _, stderr = cli(t, nil, "compare", "--scenario", "aa-no-effect", "--policies", "launchdarkly,nope", "--out", filepath.Join(dir, "x"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown policy "nope"`)
	code, _, stderr = cli(t, nil, "compare", "--scenario", "aa-no-effect", "--policy", "flagger:threshold", "--out", filepath.Join(dir, "x"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "PARAM=VALUE")
	code, _, stderr = cli(t, nil, "compare", "--scenario", "aa-no-effect", "--policies", "argo,argo", "--out", filepath.Join(dir, "x"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "twice")
	assert.NoDirExists(t, filepath.Join(dir, "x"))
}
