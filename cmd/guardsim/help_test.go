package main

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelp: --help, -h and help list every command with its one-line
// summary; help CMD and CMD --help show that command's flags.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, stdout, stderr := cli(t, nil, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		for _, n := range commandNames() {
			assert.Contains(t, stdout, "  "+n+strings.Repeat(" ", 16-len(n)+1)+commands[n].summary, "%v lists %s", args, n)
		}
		assert.Contains(t, stdout, "Flags of run (the default command):")
		assert.Contains(t, stdout, "--scenario")
	}
	for _, args := range [][]string{{"help", "sweep"}, {"sweep", "--help"}, {"sweep", "-h"}} {
		code, stdout, _ := cli(t, nil, args...)
		require.Equal(t, 0, code, "%v", args)
		assert.Contains(t, stdout, "Usage: guardsim sweep [flags]", "%v", args)
		assert.Contains(t, stdout, "--grid", "%v shows sweep's flags", args)
		assert.NotContains(t, stdout, "--no-alerts", "%v shows only sweep's flags", args)
		assert.Contains(t, stdout, "Commands:\n")
	}
	code, _, stderr := cli(t, nil, "help", "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)
	code, _, stderr = cli(t, nil, "sweep", "--grdi", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown flag: --grdi")
	assert.Contains(t, stderr, "guardsim help sweep")
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, _ := cli(t, nil, args...)
		require.Equal(t, 0, code)
		assert.True(t, strings.HasPrefix(stdout, "guardsim "), stdout)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	assert.Equal(t, "guardsim v1.2.3 revision 0123abcd (modified) 2026-12-01T10:00:00Z, go1.26.8", formatVersion(bi))
	assert.Equal(t, "guardsim (devel), go1.26.8", formatVersion(&debug.BuildInfo{GoVersion: "go1.26.8"}))
}

// TestInterrupt: a command stopped by SIGINT exits 130 with one message and
// writes nothing.
func TestInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interrupted{syscall.SIGINT})
	dir := filepath.Join(t.TempDir(), "o")
	for _, args := range [][]string{
		{"sweep", "--grid", "effect=0", "--reps", "100", "--out", dir},
		{"run", "--out", dir, "--quiet"},
	} {
		var out, errb bytes.Buffer
		code := run(ctx, args, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
		assert.Equal(t, 130, code, "%v", args)
		assert.Equal(t, "guardsim "+args[0]+": interrupted by interrupt; nothing written\n", errb.String(), "%v", args)
		assert.NoDirExists(t, dir)
	}
	assert.Equal(t, 143, interrupted{syscall.SIGTERM}.exitCode())
}

// --help never presents PagerDuty's real URL as where alerts go by
// default: on the commands that alert the mock unless asked, the
// --pagerduty-url line names no default and says the mock is used.
func TestHelpDoesNotSuggestTheRealPagerDutyURLByDefault(t *testing.T) {
	for _, cmd := range []string{"run", "replay", "live", "compare"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, stderr := cli(t, nil, cmd, "--help")
			require.Equal(t, 0, code, stderr)
			var line string
			for _, l := range strings.Split(stdout, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "--pagerduty-url") {
					line = l
				}
			}
			require.NotEmpty(t, line, "%s has --pagerduty-url", cmd)
			assert.NotContains(t, line, "https://events.pagerduty.com", "the real endpoint is not shown as the URL's value")
			assert.NotContains(t, line, "(default", "no default value")
			assert.Contains(t, line, "in-process mock")
		})
	}
}
