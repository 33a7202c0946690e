package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/pagerduty"
)

// pdTestKey is a distinctive routing key, searched for in every output.
const pdTestKey = "pdcliSECRETsecret0123456789ABCDE"

// pdSyncBuffer is a goroutine-safe bytes.Buffer.
type pdSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *pdSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *pdSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func pdEnv(key string) (*env, *pdSyncBuffer, *pdSyncBuffer) {
	out, errb := &pdSyncBuffer{}, &pdSyncBuffer{}
	return &env{stdout: out, stderr: errb, getenv: func(k string) string {
		if k == pagerduty.EnvRoutingKey {
			return key
		}
		return ""
	}}, out, errb
}

func pdStartMock(t *testing.T, opts pagerduty.MockOptions) *pagerduty.RunningMock {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	m, err := pagerduty.StartMock(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestPagerDutyTestCommand(t *testing.T) {
	for _, v := range []string{"v2", "v1"} {
		t.Run(v, func(t *testing.T) {
			m := pdStartMock(t, pagerduty.MockOptions{RateLimitFirst: 1})
			e, out, errb := pdEnv(pdTestKey)
			code := run(t.Context(), []string{"pagerduty-test", "--pagerduty-url", m.URL(), "--pagerduty-version", v,
				"--severity", "warning", "--flag-key", "checkout", "--flag-key", "search", "--project", "p", "--environment", "prod"}, e)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errb.String())

			incs := m.Incidents()
			require.Len(t, incs, 2)
			for i, key := range []string{"p:prod:checkout", "p:prod:search"} {
				assert.Equal(t, key, incs[i].DedupKey)
				assert.Equal(t, pagerduty.IncidentResolved, incs[i].Status)
				assert.Equal(t, 1, incs[i].Triggers)
				assert.Contains(t, incs[i].Summary, "[guardsim pagerduty-test]")
				if v == "v2" {
					assert.Equal(t, "warning", incs[i].Severity)
				}
			}
			assert.Equal(t, 4, m.Stats().Accepted)
			assert.Equal(t, 1, m.Stats().RateLimited, "the first trigger was retried")

			o := out.String()
			assert.Contains(t, o, "Events API "+v)
			assert.Contains(t, o, pagerduty.Fingerprint(pdTestKey))
			assert.Regexp(t, regexp.MustCompile(`trigger\s+p:prod:checkout\s+delivered\s+HTTP 20[02]\s+attempts 2`), o)
			assert.Regexp(t, regexp.MustCompile(`resolve\s+p:prod:search\s+delivered\s+HTTP 20[02]\s+attempts 1`), o)
			assert.Contains(t, o, "4 of 4 events delivered")
			assert.Contains(t, errb.String(), "retrying", "the retry is logged")
			assert.NotContains(t, o+errb.String(), pdTestKey)
		})
	}
}

func TestPagerDutyTestKeyFile(t *testing.T) {
	m := pdStartMock(t, pagerduty.MockOptions{})
	keyFile := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(keyFile, []byte(pdTestKey+"\n"), 0o600))
	e, out, errb := pdEnv("")
	code := run(t.Context(), []string{"pagerduty-test", "--pagerduty-url", m.URL(), "--routing-key-file", keyFile}, e)
	require.Equal(t, 0, code, errb.String())
	inc, ok := m.IncidentFor(pdTestKey, "default:test:pagerduty-test-flag")
	require.True(t, ok, "the default flag key and the key from the file were used")
	assert.Equal(t, pagerduty.IncidentResolved, inc.Status)
	assert.NotContains(t, out.String()+errb.String(), pdTestKey)
}

func TestPagerDutyTestErrors(t *testing.T) {
	m := pdStartMock(t, pagerduty.MockOptions{FailFirst: 1000})
	cases := []struct {
		name    string
		key     string
		args    []string
		code    int
		wantErr string
	}{
		{"missing key", "", []string{"--pagerduty-url", m.URL()}, 2, pagerduty.EnvRoutingKey},
		{"short key", pdTestKey[:31], []string{"--pagerduty-url", m.URL()}, 2, "32"},
		{"bad severity", pdTestKey, []string{"--severity", "fatal"}, 2, "severity"},
		{"bad version", pdTestKey, []string{"--pagerduty-version", "v9"}, 2, "version"},
		{"empty flag key", pdTestKey, []string{"--flag-key", ""}, 2, "--flag-key"},
		{"missing key file", pdTestKey, []string{"--routing-key-file", "/nonexistent/key"}, 1, "routing key file"},
		{"undeliverable", pdTestKey, []string{"--pagerduty-url", m.URL(), "--pagerduty-max-attempts", "2"}, 1, "2 of 2 PagerDuty events not delivered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errb := pdEnv(tc.key)
			code := run(t.Context(), append([]string{"pagerduty-test"}, tc.args...), e)
			assert.Equal(t, tc.code, code, errb.String())
			assert.Contains(t, errb.String(), tc.wantErr)
			if tc.key != "" {
				assert.NotContains(t, out.String()+errb.String(), tc.key)
			}
		})
	}
	// The undeliverable case printed the failures and PagerDuty's errors.
	e, out, _ := pdEnv(pdTestKey)
	run(t.Context(), []string{"pagerduty-test", "--pagerduty-url", m.URL(), "--pagerduty-max-attempts", "1"}, e)
	assert.Contains(t, out.String(), "NOT delivered")
	assert.Contains(t, out.String(), "injected failure")
	assert.Contains(t, out.String(), "0 of 2 events delivered")
}

func TestPagerDutyMockCommand(t *testing.T) {
	eventsFile := filepath.Join(t.TempDir(), "events.jsonl")
	e, out, errb := pdEnv("")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"pagerduty-mock", "--addr", "127.0.0.1:0", "--events-file", eventsFile,
			"--rate-limit-every", "2", "--fail-first", "1", "--seed", "5"}, e)
	}()
	var url string
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool {
		m := re.FindStringSubmatch(out.String())
		if m == nil {
			return false
		}
		url = m[1]
		return true
	}, 5*time.Second, 10*time.Millisecond, errb.String())

	c, err := pagerduty.NewClient(pagerduty.Config{BaseURL: url, RoutingKey: pdTestKey,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	require.NoError(t, err)
	a := engine.Alert{Kind: engine.AlertRegression, ProjectKey: "p", EnvironmentKey: "e", FlagKey: "f", Summary: "s"}
	require.NoError(t, c.Notify(ctx, a))
	a.Kind = engine.AlertReverted
	require.NoError(t, c.Notify(ctx, a))

	var incs []pagerduty.Incident
	require.NoError(t, pdGetJSON(ctx, url+"/incidents", &incs))
	require.Len(t, incs, 1)
	assert.Equal(t, pagerduty.IncidentResolved, incs[0].Status)

	// Change events are served too.
	a.Kind = engine.ChangeStarted
	require.NoError(t, c.Notify(ctx, a))
	var changes []pagerduty.ChangeRecord
	require.NoError(t, pdGetJSON(ctx, url+"/changes", &changes))
	require.Len(t, changes, 1)
	assert.Equal(t, "s", changes[0].Summary)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errb.String())
	case <-time.After(5 * time.Second):
		t.Fatal("pagerduty-mock did not stop on cancel")
	}
	assert.Contains(t, out.String(), "pagerduty mock stopped:")
	assert.Contains(t, out.String(), "3 accepted")
	assert.Contains(t, out.String(), pagerduty.PathChange)
	assert.Contains(t, out.String(), "1 incidents (0 open); 1 change events")

	f, err := os.Open(eventsFile)
	require.NoError(t, err)
	defer f.Close()
	var outcomes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev pagerduty.ReceivedEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		outcomes = append(outcomes, ev.Outcome)
		assert.NotContains(t, sc.Text(), pdTestKey)
	}
	// Request 1 fails (--fail-first), 2, 4 and 6 are rate-limited (--rate-limit-every 2).
	assert.Equal(t, []string{"server_error", "rate_limited", "accepted", "rate_limited", "accepted", "rate_limited", "accepted"}, outcomes)
}

func TestPagerDutyMockCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--fail-rate", "1.5"}, {"--drop-rate", "-0.1"}, {"--fail-first", "-1"}, {"--fail-status", "404"}, {"--delay", "-1s"}, {"extra"},
	} {
		e, _, errb := pdEnv("")
		code := run(t.Context(), append([]string{"pagerduty-mock", "--addr", "127.0.0.1:0"}, args...), e)
		assert.Equal(t, 2, code, "%v: %s", args, errb.String())
	}
	e, _, errb := pdEnv("")
	assert.Equal(t, 1, run(t.Context(), []string{"pagerduty-mock", "--addr", "127.0.0.1:0", "--events-file", "/nonexistent/dir/x.jsonl"}, e), errb.String())
	assert.True(t, strings.Contains(errb.String(), "events file"), errb.String())
}

func pdGetJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
