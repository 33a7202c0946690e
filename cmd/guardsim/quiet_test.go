package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/compare"
	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/pagerduty"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// TestEveryCommandHasQuiet: --quiet (-q) is a flag of every command.
func TestEveryCommandHasQuiet(t *testing.T) {
	for _, name := range commandNames() {
		fs, _ := commands[name].flags(io.Discard)
		f := fs.Lookup("quiet")
		if assert.NotNil(t, f, "guardsim %s has no --quiet", name) {
			assert.Equal(t, "q", f.Shorthand, name)
		}
	}
}

// TestQuietBehaviour: what each command prints with --quiet, and that
// the same command without it prints more.
func TestQuietBehaviour(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "cmp.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(compareScenario), 0o644))
	ev := filepath.Join(dir, "ev.parquet")
	code, _, stderr := cli(t, nil, "generate", "--scenario", sc, "--out", ev, "--quiet")
	require.Equal(t, 0, code, stderr)

	silent := func(args ...string) []string { return args }
	cases := []struct {
		name       string
		args       []string
		wantStdout string // exact, with --quiet
	}{
		{"scenarios", silent("scenarios"), strings.Join(scenarios.Names(), "\n") + "\n"},
		{"policies", silent("policies"), policyNames()},
		{"stats check", silent("stats", "--check", filepath.Join("..", "..", "testdata", "vectors")), ""},
		{"plan to a file", silent("plan", "--scenario", sc, "--out", filepath.Join(dir, "plan.md")), ""},
		{"run", silent("run", "--scenario", sc, "--out", filepath.Join(dir, "run")), ""},
		{"replay", silent("replay", "--events", ev, "--rollout", sc, "--out", filepath.Join(dir, "replay"), "--no-alerts"), ""},
		{"compare", silent("compare", "--scenario", sc, "--policies", "launchdarkly,growthbook", "--out", filepath.Join(dir, "cmp")), ""},
		{"compare replay", silent("compare", "--events", ev, "--rollout", sc, "--policies", "launchdarkly,growthbook", "--out", filepath.Join(dir, "cmp2")), ""},
		{"live", silent("live", "--scenario", sc, "--speed", "1e7", "--out", filepath.Join(dir, "live")), ""},
		{"fleet-generate", silent("fleet-generate", "--scenario", filepath.Join("..", "..", "sim", "fleet", "testdata", "small.yaml"), "--n", "2", "--out", filepath.Join(dir, "fleet")), ""},
		{"sweep", silent("sweep", "--scenario", sc, "--grid", "effect=0", "--reps", "20", "--out", filepath.Join(dir, "sweep")), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, nil, append(tc.args, "--quiet")...)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, tc.wantStdout, stdout)
			assert.Empty(t, stderr, "--quiet: nothing on stderr")
			// Without --quiet there is more to read (into fresh outputs).
			loud := slicesReplaceOut(tc.args, dir)
			code, stdout2, stderr2 := cli(t, nil, loud...)
			require.Equal(t, 0, code, stderr2)
			assert.Greater(t, len(stdout2)+len(stderr2), len(stdout), "without --quiet it prints more")
		})
	}
}

// slicesReplaceOut gives a copy of args whose --out names a fresh path.
func slicesReplaceOut(args []string, dir string) []string {
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "--out" {
			out[i+1] = filepath.Join(dir, "loud-"+filepath.Base(out[i+1]))
		}
	}
	return out
}

// streamLen is the number of events of scenario sc's stream served under
// policy name's allocation.
func streamLen(t *testing.T, sc, name string) int {
	t.Helper()
	s, err := scenarios.Load(sc)
	require.NoError(t, err)
	base, err := s.BasePolicy()
	require.NoError(t, err)
	pols, err := compare.Policies(base, []compare.Spec{{Name: name}})
	require.NoError(t, err)
	n := 0
	_, err = sim.Simulate(t.Context(), pols[0], s.Model(), engine.Options{}, func(b []engine.Event) error {
		n += len(b)
		return nil
	})
	require.NoError(t, err)
	return n
}

func policyNames() string {
	var b strings.Builder
	for _, np := range detect.Policies() {
		b.WriteString(np.Name + "\n")
	}
	return b.String()
}

// TestQuietPagerDuty: pagerduty-test --quiet prints nothing when every
// event is delivered and the report when one is not; pagerduty-mock
// --quiet prints its URL only.
func TestQuietPagerDuty(t *testing.T) {
	m := pdStartMock(t, pagerduty.MockOptions{})
	e, out, errb := pdEnv(pdTestKey)
	code := run(t.Context(), []string{"pagerduty-test", "--pagerduty-url", m.URL(), "--quiet"}, e)
	require.Equal(t, 0, code, errb.String())
	assert.Empty(t, out.String()+errb.String())
	assert.Equal(t, 2, m.Stats().Accepted, "the events were sent")

	bad := pdStartMock(t, pagerduty.MockOptions{FailFirst: 1000})
	e, out, errb = pdEnv(pdTestKey)
	code = run(t.Context(), []string{"pagerduty-test", "--pagerduty-url", bad.URL(), "--pagerduty-max-attempts", "1", "--quiet"}, e)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, out.String(), "NOT delivered", "failures are reported")
	assert.Contains(t, errb.String(), "not delivered")

	ctx, cancel := context.WithCancel(t.Context())
	e, out, errb = pdEnv("")
	done := make(chan int)
	go func() { done <- run(ctx, []string{"pagerduty-mock", "--quiet"}, e) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "\n") {
		require.True(t, time.Now().Before(deadline), "mock did not start: %s", errb.String())
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+\n$`, out.String())
}

// TestCompareAndLiveProgress: --progress=plain gives plain lines ending at
// 100% (compare: all policies' events; live: the virtual hours of the
// schedule); on a terminal a bar is drawn; otherwise nothing.
func TestCompareAndLiveProgress(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "cmp.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(compareScenario), 0o644))

	code, _, stderr := cli(t, nil, "compare", "--scenario", sc, "--policies", "launchdarkly,growthbook,kayenta", "--out", filepath.Join(dir, "c1"), "--progress", "plain")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "\r")
	m := regexp.MustCompile(`compare: (\d+)/(\d+) events \(100%\)\n$`).FindStringSubmatch(stderr)
	require.NotNil(t, m, "stderr: %q", stderr)
	assert.Equal(t, m[1], m[2])
	// The total is three passes over the stream compare generates (under
	// the first policy's allocation).
	assert.Equal(t, m[2], strconv.Itoa(3*streamLen(t, sc, "launchdarkly")), "3 policies × the stream's events")

	code, _, stderr = cli(t, nil, "live", "--scenario", sc, "--speed", "1e7", "--out", filepath.Join(dir, "l1"), "--progress", "plain")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "\r")
	assert.Regexp(t, `live cmp: \d+/40 virtual hours \(\d+%\)\n`, stderr, "plain progress lines")
	assert.Contains(t, stderr, "live: live run of scenario cmp", "the decision log stays")

	for _, tty := range []bool{false, true} {
		for _, args := range [][]string{
			{"compare", "--scenario", sc, "--policies", "launchdarkly", "--out", filepath.Join(t.TempDir(), "c")},
			{"live", "--scenario", sc, "--speed", "1e7", "--out", filepath.Join(t.TempDir(), "l")},
		} {
			var out, errb bytes.Buffer
			e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, stderrTerminal: tty}
			code := run(context.Background(), args, e)
			require.Equal(t, 0, code, errb.String())
			frames := strings.Contains(errb.String(), "\r")
			assert.Equal(t, tty, frames, "%s on a terminal %v: bar frames %v\n%q", args[0], tty, frames, errb.String())
		}
	}
}
