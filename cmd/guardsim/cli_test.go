package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/pagerduty"
)

// cli runs guardsim with args and returns the exit code, stdout and stderr.
func cli(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	code := run(context.Background(), args, &env{stdout: &out, stderr: &errb, getenv: getenv})
	return code, out.String(), errb.String()
}

func readResult(t *testing.T, dir string) *engine.Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "timeline.json"))
	require.NoError(t, err)
	var res engine.Result
	require.NoError(t, json.Unmarshal(data, &res))
	return &res
}

func TestRunDefaultScenarioWritesEverything(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := cli(t, nil, "run", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "OUTCOME: ROLLED BACK (regression on latency_ms)")
	for _, f := range []string{"timeline.csv", "timeline.json", "summary.txt", "summary.json", "report.md", "report.html", "charts/latency_ms.png", "charts/checkout_conversion.png", "pagerduty.jsonl"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	// The mock saw the trigger and its resolve, with the same dedup key.
	data, err := os.ReadFile(filepath.Join(dir, "pagerduty.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"action":"trigger"`)
	assert.Contains(t, lines[1], `"action":"resolve"`)
	assert.Contains(t, lines[1], `"effect":"resolved"`)
	assert.Contains(t, lines[0], `"dedup_key":"default:production:new-checkout-service"`)
	res := readResult(t, dir)
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	require.Len(t, res.Outcome.Alerts, 2)
	assert.True(t, res.Outcome.Alerts[1].Delivered)
}

func TestRunIsDeterministic(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, d := range []string{a, b} {
		code, _, stderr := cli(t, nil, "run", "--scenario", "srm-fault", "--out", d, "--quiet")
		require.Equal(t, 0, code, stderr)
	}
	for _, f := range []string{"timeline.csv", "timeline.json", "summary.json", "report.md", "report.html", "charts/latency_ms.png", "pagerduty.jsonl"} {
		x, err := os.ReadFile(filepath.Join(a, f))
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(b, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(x, y), "%s differs between two runs with the same seed", f)
	}
}

func TestGenerateThenReplayReproducesRun(t *testing.T) {
	tmp := t.TempDir()
	for _, sc := range []string{"latency-regression", "low-traffic"} {
		t.Run(sc, func(t *testing.T) {
			runDir, replayDir := filepath.Join(tmp, sc, "run"), filepath.Join(tmp, sc, "replay")
			events := filepath.Join(tmp, sc, "events.parquet")
			code, _, stderr := cli(t, nil, "run", "--scenario", sc, "--out", runDir, "--quiet")
			require.Equal(t, 0, code, stderr)
			code, stdout, stderr := cli(t, nil, "generate", "--scenario", sc, "--out", events)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, "wrote ")
			code, _, stderr = cli(t, nil, "replay", "--events", events, "--rollout", sc, "--out", replayDir, "--quiet")
			require.Equal(t, 0, code, stderr)
			for _, f := range []string{"timeline.csv", "timeline.json", "summary.json", "report.md", "pagerduty.jsonl"} {
				x, err := os.ReadFile(filepath.Join(runDir, f))
				require.NoError(t, err)
				y, err := os.ReadFile(filepath.Join(replayDir, f))
				require.NoError(t, err)
				// The replay adds its provenance; everything else is the run's.
				switch f {
				case "summary.json":
					var sum map[string]any
					require.NoError(t, json.Unmarshal(y, &sum))
					require.Contains(t, sum, "replay")
					delete(sum, "replay")
					var want map[string]any
					require.NoError(t, json.Unmarshal(x, &want))
					assert.Equal(t, want, sum, "summary.json: replay differs from run")
					continue
				case "report.md":
					a := bytes.Index(y, []byte("\n## Replay\n"))
					require.Positive(t, a, "the replay's report says where its events came from")
					b := bytes.Index(y[a+1:], []byte("\n## "))
					y = append(y[:a:a], y[a+1+b:]...)
				}
				assert.True(t, bytes.Equal(x, y), "%s: replay differs from run", f)
			}
			assert.Equal(t, readResult(t, runDir).Outcome, readResult(t, replayDir).Outcome)
		})
	}
}

func TestReplayWhatIf(t *testing.T) {
	tmp := t.TempDir()
	events := filepath.Join(tmp, "events.parquet")
	code, _, stderr := cli(t, nil, "generate", "--scenario", "latency-regression", "--out", events)
	require.Equal(t, 0, code, stderr)
	// A much stricter alpha detects later (or not at all) on the same data.
	code, _, stderr = cli(t, nil, "replay", "--events", events, "--rollout", "latency-regression", "--alpha", "0.0001", "--out", filepath.Join(tmp, "strict"), "--quiet")
	require.Equal(t, 0, code, stderr)
	base := readResult(t, filepath.Join(tmp, "strict"))
	assert.Equal(t, 0.0001, base.Policy.Alpha)
	code, _, stderr = cli(t, nil, "replay", "--events", events, "--rollout", "latency-regression", "--schedule", "5:12h,50:3d", "--out", filepath.Join(tmp, "sched"), "--quiet")
	require.Equal(t, 0, code, stderr)
	sched := readResult(t, filepath.Join(tmp, "sched"))
	require.Len(t, sched.Policy.Steps, 2)
	assert.Equal(t, 50.0, sched.Policy.Steps[1].Percent)

	code, _, stderr = cli(t, nil, "replay", "--events", events, "--rollout", "latency-regression", "--schedule", "5h", "--out", filepath.Join(tmp, "bad"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--schedule")
	assert.NoDirExists(t, filepath.Join(tmp, "bad"))
}

func TestErrorsExitNonZeroWithoutOutput(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nrollout:\n  alhpa: 0.1\n"), 0o644))
	notParquet := filepath.Join(tmp, "junk.parquet")
	require.NoError(t, os.WriteFile(notParquet, []byte("this is not parquet"), 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"run", "--bogus"}, 2, "bogus"},
		{"unknown scenario", []string{"run", "--scenario", "nope", "--out", filepath.Join(tmp, "o1")}, 1, `unknown scenario "nope"`},
		{"bad scenario field", []string{"run", "--scenario", bad, "--out", filepath.Join(tmp, "o2")}, 1, `line 3: unknown field "alhpa" in rollout`},
		{"replay missing flags", []string{"replay", "--events", notParquet}, 2, "required"},
		{"replay corrupt parquet", []string{"replay", "--events", notParquet, "--rollout", "aa-no-effect", "--out", filepath.Join(tmp, "o3")}, 1, "junk.parquet"},
		{"live --alert-live without a key", []string{"live", "--speed", "1000", "--alert-live"}, 2, "PAGERDUTY_ROUTING_KEY"},
		{"bad severity", []string{"run", "--pagerduty-severity", "loud", "--out", filepath.Join(tmp, "o4")}, 2, "--pagerduty-severity"},
		{"bad budget", []string{"run", "--pagerduty-budget", "0s", "--out", filepath.Join(tmp, "o5")}, 2, "--pagerduty-budget"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, nil, tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
	for _, o := range []string{"o1", "o2", "o3", "o4", "o5"} {
		assert.NoDirExists(t, filepath.Join(tmp, o), "no partial output")
	}
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), "staging"), "staging directory %s left behind", e.Name())
	}
}

func TestUndeliverableAlertFailsTheRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	key := "0123456789abcdef0123456789abcdef"
	getenv := func(k string) string {
		if k == "PAGERDUTY_ROUTING_KEY" {
			return key
		}
		return ""
	}
	// Nothing listens on this loopback port: every attempt fails.
	code, _, stderr := cli(t, getenv, "run", "--out", dir, "--quiet", "--pagerduty-url", "http://127.0.0.1:1", "--pagerduty-max-attempts", "2")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "could not be delivered")
	assert.NotContains(t, stderr, key, "the routing key is never printed")
	res := readResult(t, dir)
	require.NotEmpty(t, res.Outcome.Alerts)
	assert.False(t, res.Outcome.Alerts[0].Delivered)
	data, err := os.ReadFile(filepath.Join(dir, "pagerduty.jsonl"))
	require.NoError(t, err)
	assert.NotContains(t, string(data), key)
}

func TestScenariosCommand(t *testing.T) {
	code, stdout, _ := cli(t, nil, "scenarios")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "latency-regression")
	assert.Contains(t, stdout, "(default)")
	code, stdout, _ = cli(t, nil, "scenarios", "--show", "low-traffic")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "name: low-traffic")
}

func TestLiveAgainstAnEndpoint(t *testing.T) {
	m := pdStartMock(t, pagerduty.MockOptions{RateLimitFirst: 1})
	key := "abcdefabcdefabcdefabcdefabcdef12"
	getenv := func(k string) string {
		if k == "PAGERDUTY_ROUTING_KEY" {
			return key
		}
		return ""
	}
	dir := filepath.Join(t.TempDir(), "live")
	// 240 virtual hours at 2e6x real time take well under a second.
	code, stdout, stderr := cli(t, getenv, "live", "--scenario", "latency-regression", "--speed", "2e6", "--out", dir, "--pagerduty-url", m.URL(),
		"--link-url", "https://flags.example.com/rollouts/new-checkout")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "live: ")
	assert.Contains(t, stderr, "rollback")
	assert.Contains(t, stdout, "ROLLED BACK")
	assert.NotContains(t, stderr+stdout, key)
	inc, ok := m.IncidentFor(key, "default:production:new-checkout-service")
	require.True(t, ok, "the trigger opened an incident despite the first request being rate-limited")
	assert.Equal(t, pagerduty.IncidentResolved, inc.Status)
	assert.FileExists(t, filepath.Join(dir, "pagerduty.jsonl"))
}

func TestAlertsCarryTheLinkBackToTheRollout(t *testing.T) {
	mock := pagerduty.NewMock(pagerduty.MockOptions{})
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		mock.ServeHTTP(w, r)
	}))
	defer srv.Close()
	key := "abcdefabcdefabcdefabcdefabcdef12"
	getenv := func(k string) string {
		if k == "PAGERDUTY_ROUTING_KEY" {
			return key
		}
		return ""
	}
	link := "https://flags.example.com/rollouts/new-checkout"
	code, _, stderr := cli(t, getenv, "run", "--out", filepath.Join(t.TempDir(), "o"), "--quiet", "--pagerduty-url", srv.URL, "--link-url", link)
	require.Equal(t, 0, code, stderr)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 2, "trigger and resolve")
	assert.Contains(t, bodies[0], `"event_action":"trigger"`)
	assert.Contains(t, bodies[0], link, "the trigger links back to the rollout")
}

func TestPoliciesListsEveryPolicyWithSources(t *testing.T) {
	code, stdout, stderr := cli(t, nil, "policies")
	require.Equal(t, 0, code, stderr)
	for _, n := range []string{"launchdarkly", "growthbook", "flagger", "argo", "kayenta", "fixed-horizon", "naive-peeking", "launchdarkly-bayesian"} {
		assert.Contains(t, stdout, "\n"+n+"\n")
	}
	assert.Contains(t, stdout, "min_sample               default 150")
	assert.Contains(t, stdout, "kayenta-judge NetflixACAJudge.scala")
}

func TestRunWithNamedPolicy(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(`name: gb
seed: 3
rollout: {policy: growthbook, policy_params: {min_sample: "200"}}
traffic: {rate_per_hour: 3000}
metrics:
  - {key: latency_ms, kind: numeric, direction: lower_is_better, mean: 250, sd: 100, regression: {effect: 10, start_step: 2}}
`), 0o644))
	code, _, stderr := cli(t, nil, "run", "--scenario", sc, "--out", filepath.Join(dir, "out"), "-q")
	require.Equal(t, 0, code, stderr)
	res := readResult(t, filepath.Join(dir, "out"))
	assert.Equal(t, "growthbook", res.Policy.Name)
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	last := res.Timeline[len(res.Timeline)-1]
	require.NotNil(t, last.Metrics[0].Detail)
	assert.Contains(t, last.Metrics[0].Detail.Note, "guardrail lost")

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: b\nrollout: {policy: growthbook, policy_params: {min_samples: 1}}\ntraffic: {rate_per_hour: 10}\nmetrics: [{key: m, kind: binary, direction: higher_is_better, rate: 0.1}]\n"), 0o644))
	code, _, stderr = cli(t, nil, "run", "--scenario", bad, "--out", filepath.Join(dir, "out2"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "policy_params.min_samples")
	assert.NoDirExists(t, filepath.Join(dir, "out2"))
}

// TestReplayExports: CSV generate → replay reproduces the Parquet replay,
// and the LaunchDarkly example exports (streaming and warehouse) replay to
// the same timeline as the run of their rollout.
func TestReplayExports(t *testing.T) {
	tmp := t.TempDir()
	csvEvents, pqEvents := filepath.Join(tmp, "ev.csv"), filepath.Join(tmp, "ev.parquet")
	for _, ev := range []string{csvEvents, pqEvents} {
		code, _, stderr := cli(t, nil, "generate", "--scenario", "low-traffic", "--out", ev, "--quiet")
		require.Equal(t, 0, code, stderr)
	}
	code, stdout, _ := cli(t, nil, "generate", "--scenario", "low-traffic", "--out", csvEvents)
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "--start 2026-01-05T00:00:00Z", "the CSV replay hint carries the start")
	code, _, stderr := cli(t, nil, "replay", "--events", pqEvents, "--rollout", "low-traffic", "--out", filepath.Join(tmp, "rp"), "--quiet", "--no-alerts")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = cli(t, nil, "replay", "--events", csvEvents, "--rollout", "low-traffic", "--start", "2026-01-05T00:00:00Z", "--out", filepath.Join(tmp, "rc"), "--quiet", "--no-alerts")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, readResult(t, filepath.Join(tmp, "rp")).Timeline, readResult(t, filepath.Join(tmp, "rc")).Timeline)

	rollout := filepath.Join("..", "..", "testdata", "launchdarkly", "rollout.yaml")
	var outcomes []engine.Outcome
	for _, src := range []string{"stream", "warehouse"} {
		dir := filepath.Join(tmp, "ld-"+src)
		code, _, stderr := cli(t, nil, "replay", "--format", "launchdarkly", "--events", filepath.Join("..", "..", "testdata", "launchdarkly", src),
			"--rollout", rollout, "--out", dir, "--quiet", "--no-alerts")
		require.Equal(t, 0, code, stderr)
		outcomes = append(outcomes, readResult(t, dir).Outcome)
	}
	assert.Equal(t, outcomes[0], outcomes[1])
	assert.Equal(t, engine.StatusRolledBack, outcomes[0].Status)
	assert.Equal(t, engine.ReasonRegression, outcomes[0].Reason)

	code, _, stderr = cli(t, nil, "replay", "--events", filepath.Join("..", "..", "testdata", "exports", "events.csv"), "--rollout", rollout, "--out", filepath.Join(tmp, "x"), "--columns", "tim=ts")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--columns: column mapping "tim=ts": unknown field "tim"`)
}
