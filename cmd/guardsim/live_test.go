package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/pagerduty"
)

// TestMain lets a test run this test binary as the guardsim command (for
// killing it with SIGKILL, which an in-process run cannot survive).
func TestMain(m *testing.M) {
	if os.Getenv("GUARDSIM_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func guardsimProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "GUARDSIM_TEST_AS_MAIN=1", pagerduty.EnvRoutingKey+"="+pdTestKey)
	return cmd
}

func countLines(path, substr string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			n++
		}
	}
	return n
}

// The Check of issue 12: the live process is killed with SIGKILL while
// its alerts are being delivered (PagerDuty rate-limits it), then resumed
// with --resume: PagerDuty sees exactly one trigger and one resolve, and
// the resumed run re-sends nothing already accepted.
func TestLiveSIGKILLMidDeliveryThenResume(t *testing.T) {
	mock := pagerduty.NewMock(pagerduty.MockOptions{})
	var limiting atomic.Bool
	limiting.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limiting.Load() && r.Method == http.MethodPost {
			w.Header().Set("Retry-After", "60")
			http.Error(w, `{"status":"throttle event"}`, http.StatusTooManyRequests)
			return
		}
		mock.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "live")
	var stderr bytes.Buffer
	p := guardsimProcess(t, "live", "--scenario", "latency-regression", "--speed", "2e6", "--out", dir, "--pagerduty-url", srv.URL, "--quiet")
	p.Stderr = &stderr
	require.NoError(t, p.Start())
	spool := filepath.Join(dir, "outbox.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for countLines(spool, `"op":"queued"`) < 2 {
		require.True(t, time.Now().Before(deadline), "no alerts spooled; stderr: %s", stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, p.Process.Signal(syscall.SIGKILL))
	_ = p.Wait()
	assert.Zero(t, mock.Stats().Accepted, "nothing got through the rate limit before the kill")
	assert.Zero(t, countLines(spool, `"op":"delivered"`))
	assert.FileExists(t, filepath.Join(dir, "timeline.jsonl"))

	limiting.Store(false)
	code, stdout, errOut := cli(t, keyEnv, "live", "--resume", dir, "--pagerduty-url", srv.URL)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "resuming after check")
	assert.Contains(t, stdout, "ROLLED BACK")
	st := mock.Stats()
	assert.Equal(t, 2, st.Accepted, "exactly one trigger and one resolve")
	incs := mock.Incidents()
	require.Len(t, incs, 1)
	assert.Equal(t, pagerduty.IncidentResolved, incs[0].Status)
	assert.Equal(t, 1, incs[0].Triggers)
	var actions []string
	for _, ev := range mock.Events() {
		actions = append(actions, ev.Action)
	}
	assert.Equal(t, []string{"trigger", "resolve"}, actions)
	assert.Equal(t, 2, countLines(spool, `"op":"delivered"`))
	assert.Equal(t, 2, countLines(spool, `"op":"queued"`), "the resumed run spooled no duplicate")
	res := readResult(t, dir)
	require.Len(t, res.Outcome.Alerts, 2)
	for _, a := range res.Outcome.Alerts {
		assert.True(t, a.Delivered, a.Error)
	}
	// The timeline appended per check matches the final timeline.
	var checks []engine.Check
	f, err := os.Open(filepath.Join(dir, "timeline.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	dec := json.NewDecoder(f)
	for dec.More() {
		var c engine.Check
		require.NoError(t, dec.Decode(&c))
		checks = append(checks, c)
	}
	require.Len(t, checks, len(res.Timeline))
	for i := range checks {
		assert.Equal(t, res.Timeline[i].Decision, checks[i].Decision, i)
		assert.True(t, res.Timeline[i].Time.Equal(checks[i].Time), i)
	}
	// A finished run cannot be resumed again.
	code, _, errOut = cli(t, keyEnv, "live", "--resume", dir, "--pagerduty-url", srv.URL)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "already ended")
}

// Live mode stops when the rollout ends (not when the stream does), and
// SIGINT/SIGTERM still write the outputs.
func TestLiveEndsWithTheRolloutAndWritesOutputsOnSIGTERM(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "live")
	start := time.Now()
	// latency-regression rolls back within a few virtual days; the stream
	// is 10 days long: at 3e5x the rest would take seconds more.
	code, stdout, stderr := cli(t, nil, "live", "--scenario", "latency-regression", "--speed", "3e5", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ROLLED BACK")
	res := readResult(t, dir)
	last := res.Timeline[len(res.Timeline)-1]
	assert.Equal(t, engine.DecisionRollback, last.Decision)
	assert.Less(t, time.Since(start), 30*time.Second)

	dir2 := filepath.Join(t.TempDir(), "live2")
	p := guardsimProcess(t, "live", "--scenario", "aa-no-effect", "--speed", "3600", "--out", dir2, "--quiet")
	var errb bytes.Buffer
	p.Stderr = &errb
	require.NoError(t, p.Start())
	deadline := time.Now().Add(30 * time.Second)
	for countLines(filepath.Join(dir2, "timeline.jsonl"), `"decision"`) < 1 {
		require.True(t, time.Now().Before(deadline), errb.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, p.Process.Signal(syscall.SIGTERM))
	err := p.Wait()
	require.Error(t, err, "an interrupted live run exits non-zero")
	assert.Contains(t, errb.String(), "--resume "+dir2)
	for _, f := range []string{"timeline.csv", "timeline.json", "summary.txt", "live-state.json"} {
		assert.FileExists(t, filepath.Join(dir2, f))
	}
	sum, err := os.ReadFile(filepath.Join(dir2, "summary.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(sum), "interrupted")
}
