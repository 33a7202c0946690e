package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// testKey is a distinctive 32-character routing key, to search for leaks.
const testKey = "pdkeySECRETsecret0123456789ABCDE"

// otherKey is a second valid routing key.
const otherKey = "otherKEY00000000000000000000zzzz"

// startMock serves a mock on loopback for the test's lifetime.
func startMock(t testing.TB, opts MockOptions) *RunningMock {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	rm, err := StartMock(context.Background(), opts)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(rm.URL(), "http://127.0.0.1:"), rm.URL())
	t.Cleanup(func() { _ = rm.Close() })
	return rm
}

// sleepRecorder is a Sleep that does not sleep but records the waits.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient returns a client on url that never really sleeps.
func newTestClient(t testing.TB, url string, mod func(*Config)) (*Client, *sleepRecorder) {
	t.Helper()
	sr := &sleepRecorder{}
	cfg := Config{BaseURL: url, RoutingKey: testKey, Sleep: sr.sleep, Seed: 1}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	require.NoError(t, err)
	return c, sr
}

func regression(flag string) engine.Alert {
	return engine.Alert{
		Kind: engine.AlertRegression, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		ProjectKey: "default", EnvironmentKey: "production", FlagKey: flag, Metric: "error-rate",
		Summary: "Regression detected for measured rollout on flag " + flag, Step: 2, Percent: 5,
	}
}

func reverted(flag string) engine.Alert {
	a := regression(flag)
	a.Kind, a.Reason, a.Summary = engine.AlertReverted, engine.ReasonRegression, "Rollout of "+flag+" reverted"
	return a
}

// post sends a raw body to the mock and decodes the JSON answer.
func post(t testing.TB, base, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	}
	return resp.StatusCode, m
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// getJSON decodes GET base+path into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
