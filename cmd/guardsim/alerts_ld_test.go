package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/pagerduty"
	"github.com/guardsim/guardsim/scenarios"
)

// wireEvent is one request body a capturing endpoint received.
type wireEvent struct {
	path string
	body map[string]any
}

// capturingPagerDuty is a loopback endpoint that records every request
// body and answers as the strict mock does.
func capturingPagerDuty(t *testing.T) (*httptest.Server, *pagerduty.Mock, func() []wireEvent) {
	t.Helper()
	m := pagerduty.NewMock(pagerduty.MockOptions{})
	var mu sync.Mutex
	var got []wireEvent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		got = append(got, wireEvent{r.URL.Path, body})
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, m, func() []wireEvent {
		mu.Lock()
		defer mu.Unlock()
		return append([]wireEvent(nil), got...)
	}
}

// scenarioWithAlerts writes the built-in scenario name with an alerts
// section appended.
func scenarioWithAlerts(t *testing.T, name, alerts string) string {
	t.Helper()
	data, err := scenarios.Builtin(name)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), name+".yaml")
	require.NoError(t, os.WriteFile(path, append(data, []byte("\n"+alerts)...), 0o644))
	return path
}

// describe is "path action summary" per wire event.
func describe(evs []wireEvent) []string {
	var out []string
	for _, e := range evs {
		s := e.path
		if a, ok := e.body["event_action"].(string); ok {
			s += " " + a
		}
		if p, ok := e.body["payload"].(map[string]any); ok {
			s += " " + p["summary"].(string)
		}
		out = append(out, s)
	}
	return out
}

// The scenario's alerts section reaches the wire: LaunchDarkly's summary
// with the flag name, source, tags, the events filter and change events.
func TestScenarioAlertsSectionOnTheWire(t *testing.T) {
	const (
		trig = "/v2/enqueue trigger Regression detected for measured rollout on flag New checkout service"
		res  = "/v2/enqueue resolve"
		chg  = "/v2/change/enqueue Guarded rollout "
	)
	ldFields := "alerts:\n  flag_name: New checkout service\n  source: app.launchdarkly.com\n  tags: [team:payments, tier1]\n"
	for _, tc := range []struct {
		name, alerts string
		args         []string
		want         []string
		incident     pagerduty.IncidentStatus
	}{
		{"template fields", ldFields, nil, []string{trig, res}, pagerduty.IncidentResolved},
		{"regression only (LaunchDarkly filter name)", ldFields + "  events: [measured-rollout-regression]\n", nil, []string{trig}, pagerduty.IncidentOpen},
		{"change events from the scenario", ldFields + "  change_events: true\n", nil, []string{
			chg + "started on flag New checkout service: step 1 at 1%",
			chg + "on flag New checkout service advanced to step 2 at 5%",
			chg + "on flag New checkout service advanced to step 3 at 10%",
			trig, res,
			chg + "on flag New checkout service rolled back at step 3 (10%): regression"}, pagerduty.IncidentResolved},
		{"change events from the flag", ldFields, []string{"--" + flagChangeEvents}, nil, pagerduty.IncidentResolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, m, got := capturingPagerDuty(t)
			path := scenarioWithAlerts(t, "latency-regression", tc.alerts)
			dir := filepath.Join(t.TempDir(), "out")
			args := append([]string{"run", "--scenario", path, "--out", dir, "--quiet", "--pagerduty-url", srv.URL}, tc.args...)
			code, _, stderr := cli(t, keyEnv, args...)
			require.Equal(t, 0, code, stderr)
			evs := got()
			want := tc.want
			if want == nil {
				want = []string{chg + "started on flag New checkout service: step 1 at 1%"}
			}
			if tc.want != nil {
				// Alert events and change events are delivered in order
				// within each kind (two outbox lanes), not across them.
				assert.Equal(t, byPath(want, true), byPath(describe(evs), true))
				assert.Equal(t, byPath(want, false), byPath(describe(evs), false))
			} else {
				require.NotEmpty(t, evs)
				assert.Equal(t, want[0], describe(evs)[0])
				assert.Equal(t, 4, len(m.Changes()), "start, two advances, rollback")
			}
			inc, ok := m.IncidentFor(pdTestKey, "default:production:new-checkout-service")
			require.True(t, ok)
			assert.Equal(t, tc.incident, inc.Status)
			assert.Equal(t, "app.launchdarkly.com", inc.Source)
			for _, e := range evs {
				p, ok := e.body["payload"].(map[string]any)
				if !ok {
					assert.Equal(t, []string{"dedup_key", "event_action", "routing_key"}, keys(e.body), "LaunchDarkly's three-field resolve")
					continue
				}
				assert.Equal(t, "app.launchdarkly.com", p["source"])
				det := p["custom_details"].(map[string]any)
				assert.Equal(t, []any{"team:payments", "tier1"}, det["tags"])
				assert.Equal(t, "new-checkout-service", det["flagKey"])
				ts, err := time.Parse(time.RFC3339Nano, p["timestamp"].(string))
				require.NoError(t, err)
				assert.Equal(t, 2026, ts.Year(), "outside live mode the wire carries the simulated time")
			}
		})
	}
}

// byPath keeps the change events (change true) or the alert events.
func byPath(evs []string, change bool) []string {
	var out []string
	for _, e := range evs {
		if strings.HasPrefix(e, pagerduty.PathChange) == change {
			out = append(out, e)
		}
	}
	return out
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// Every revert resolves, as LaunchDarkly's "measured rollout reverted":
// an SRM rollback sends a resolve although nothing was triggered (the
// mock, like PagerDuty, drops it: no open alert).
func TestSRMRollbackSendsTheRevert(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := cli(t, nil, "run", "--scenario", "srm-fault", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "OUTCOME: ROLLED BACK (srm)")
	lines := readMockEvents(t, dir)
	require.Len(t, lines, 1, strings.Join(lines, "\n"))
	assert.Contains(t, lines[0], `"action":"resolve"`)
	assert.Contains(t, lines[0], `"effect":"dropped_unknown_key"`)
	assert.Contains(t, stdout, "alert rollout_reverted (default:production:")
}

func TestChangeEventsNeedV2(t *testing.T) {
	path := scenarioWithAlerts(t, "latency-regression", "alerts:\n  change_events: true\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"flag", []string{"--scenario", "latency-regression", "--" + flagChangeEvents}, "--pagerduty-change-events needs --pagerduty-version v2"},
		{"scenario", []string{"--scenario", path}, "the scenario's alerts.change_events needs --pagerduty-version v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--out", filepath.Join(t.TempDir(), "o"), "--pagerduty-version", "v1"}, tc.args...)
			code, _, stderr := cli(t, nil, args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

// live stamps the wall-clock time of each decision on the wire, not the
// scenario's simulated time.
func TestLiveStampsWallClockTime(t *testing.T) {
	srv, m, got := capturingPagerDuty(t)
	dir := filepath.Join(t.TempDir(), "live")
	before := time.Now().Add(-time.Second)
	code, _, stderr := cli(t, keyEnv, "live", "--scenario", "latency-regression", "--speed", "3e5", "--out", dir, "--quiet",
		"--pagerduty-url", srv.URL, "--"+flagChangeEvents)
	require.Equal(t, 0, code, stderr)
	after := time.Now().Add(time.Second)
	evs := got()
	require.GreaterOrEqual(t, len(evs), 4)
	n := 0
	for _, e := range evs {
		p, ok := e.body["payload"].(map[string]any)
		if !ok {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, p["timestamp"].(string))
		require.NoError(t, err)
		assert.True(t, ts.After(before) && ts.Before(after), "%s: timestamp %s is not the wall clock (%s … %s)", e.path, ts, before, after)
		n++
	}
	assert.GreaterOrEqual(t, n, 3, "change events and the trigger carry timestamps")
	assert.NotEmpty(t, m.Changes())
	inc, ok := m.IncidentFor(pdTestKey, "default:production:new-checkout-service")
	require.True(t, ok)
	assert.Equal(t, pagerduty.IncidentResolved, inc.Status)
}

// With change events (two outbox lanes) a run's alert records are still
// the same byte for byte on every run.
func TestChangeEventsKeepOutputsDeterministic(t *testing.T) {
	var first []byte
	for i := 0; i < 3; i++ {
		dir := filepath.Join(t.TempDir(), "out")
		code, _, stderr := cli(t, nil, "run", "--scenario", "srm-fault", "--"+flagChangeEvents, "--out", dir, "--quiet")
		require.Equal(t, 0, code, stderr)
		data, err := os.ReadFile(filepath.Join(dir, "pagerduty.jsonl"))
		require.NoError(t, err)
		if first == nil {
			first = data
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			require.Len(t, lines, 5, "start, two advances, the resolve, the rollback")
			assert.Contains(t, lines[3], `"action":"resolve"`)
			assert.Contains(t, lines[4], `rolled back at step 3 (10%): srm`)
			continue
		}
		assert.Equal(t, string(first), string(data), "run %d", i+1)
	}
}

// Point 1 of issue 12 on every alerting command: with the routing key
// exported (and even the change events on), run, replay, compare and
// sweep reach no real endpoint.
func TestNoCommandPagesWithTheKeyExported(t *testing.T) {
	_, hits := fakeRealPagerDuty(t)
	tmp := t.TempDir()
	ev := filepath.Join(tmp, "events.parquet")
	code, _, stderr := cli(t, nil, "generate", "--scenario", "srm-fault", "--out", ev, "-q")
	require.Equal(t, 0, code, stderr)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"run", []string{"run", "--scenario", "srm-fault"}},
		{"replay", []string{"replay", "--events", ev, "--rollout", "srm-fault"}},
		{"compare", []string{"compare", "--scenario", "srm-fault", "--policies", "launchdarkly,growthbook"}},
		{"sweep", []string{"sweep", "--scenario", "latency-regression", "--grid", "effect=0", "--reps", "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--out", filepath.Join(tmp, tc.name), "--quiet")
			if tc.name != "sweep" {
				args = append(args, "--"+flagChangeEvents)
			}
			code, _, stderr := cli(t, keyEnv, args...)
			require.Equal(t, 0, code, stderr)
		})
	}
	assert.Zero(t, hits.Load(), "nothing reached the real endpoint")
}
