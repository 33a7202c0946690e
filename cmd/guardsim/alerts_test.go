package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/pagerduty"
)

// fakeRealPagerDuty points the "real" PagerDuty URL at a loopback mock and
// counts the requests that reach it.
func fakeRealPagerDuty(t *testing.T) (*pagerduty.Mock, *atomic.Int64) {
	t.Helper()
	m := pagerduty.NewMock(pagerduty.MockOptions{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	old := realPagerDutyURL
	realPagerDutyURL = srv.URL
	t.Cleanup(func() { realPagerDutyURL = old })
	return m, &hits
}

func keyEnv(k string) string {
	if k == pagerduty.EnvRoutingKey {
		return pdTestKey
	}
	return ""
}

func readMockEvents(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "pagerduty.jsonl"))
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// The Check of issue 12: with PAGERDUTY_ROUTING_KEY exported, `make run`
// (guardsim run on defaults) sends nothing to the real endpoint.
func TestRunWithRoutingKeyExportedPagesNobody(t *testing.T) {
	_, hits := fakeRealPagerDuty(t)
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := cli(t, keyEnv, "run", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Zero(t, hits.Load(), "a backtest must not reach the real PagerDuty endpoint")
	assert.Contains(t, stdout, "alerts: to the in-process PagerDuty mock (Events API v2; nothing left this machine")
	assert.Contains(t, stdout, "the routing key was not used: pass --pagerduty-url or --alert-live")
	assert.NotContains(t, stdout+stderr, pdTestKey)
	summary, err := os.ReadFile(filepath.Join(dir, "summary.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(summary), "alerts: to the in-process PagerDuty mock")
	lines := readMockEvents(t, dir)
	require.Len(t, lines, 2, "the mock got the trigger and the resolve")
	assert.Contains(t, lines[0], `"action":"trigger"`)
}

// Severity, version and the key file are honoured by the mock and still do
// not switch to the real endpoint.
func TestRunPagerDutyFlagsWorkAgainstTheMock(t *testing.T) {
	_, hits := fakeRealPagerDuty(t)
	keyFile := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(keyFile, []byte(pdTestKey), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"severity", []string{"--pagerduty-severity", "warning"}, []string{`"severity":"warning"`, `"version":"v2"`}},
		{"v1", []string{"--pagerduty-version", "v1"}, []string{`"version":"v1"`, `"effect":"opened"`}},
		{"key file", []string{"--routing-key-file", keyFile}, []string{`"version":"v2"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			code, _, stderr := cli(t, keyEnv, append([]string{"run", "--out", dir, "--quiet"}, tc.args...)...)
			require.Equal(t, 0, code, stderr)
			lines := readMockEvents(t, dir)
			require.Len(t, lines, 2)
			for _, w := range tc.want {
				assert.Contains(t, lines[0], w)
			}
			assert.Contains(t, lines[1], `"effect":"resolved"`)
		})
	}
	assert.Zero(t, hits.Load())
}

// Only an explicit flag reaches the real endpoint (positive control of the
// tests above: the loopback listener does receive what is sent to it).
func TestAlertLiveReachesTheRealEndpoint(t *testing.T) {
	m, hits := fakeRealPagerDuty(t)
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := cli(t, keyEnv, "run", "--out", dir, "--alert-live")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, int64(2), hits.Load())
	inc, ok := m.IncidentFor(pdTestKey, "default:production:new-checkout-service")
	require.True(t, ok)
	assert.Equal(t, pagerduty.IncidentResolved, inc.Status)
	assert.Contains(t, stdout, "alerts: to PagerDuty at "+realPagerDutyURL)
	assert.Contains(t, stdout, pagerduty.Fingerprint(pdTestKey))
	assert.NotContains(t, stdout+stderr, pdTestKey)

	// Without a key, --alert-live is a usage error.
	code, _, stderr = cli(t, nil, "run", "--out", filepath.Join(t.TempDir(), "o"), "--alert-live")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, pagerduty.EnvRoutingKey)
}
