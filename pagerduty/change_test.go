package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func changeAlert(flag string, k engine.AlertKind, step int, percent float64) engine.Alert {
	a := regression(flag)
	a.Kind, a.Step, a.Percent, a.Metric = k, step, percent, ""
	a.Summary = "Guarded rollout on flag " + flag + " " + string(k)
	return a
}

// validChange is PagerDuty's documented change event example, as a map.
func validChange() map[string]any {
	return map[string]any{
		"routing_key": testKey,
		"payload": map[string]any{
			"summary": "Build Success: Increase snapshot create timeout to 30 seconds", "timestamp": "2020-07-17T08:42:58.315+0000",
			"source": "acme-build-pipeline-tool-default-i-9999", "custom_details": map[string]any{"build_state": "passed"},
		},
		"links": []any{map[string]any{"href": "https://acme.pagerduty.dev/build/2", "text": "View more details in Acme!"}},
	}
}

func TestWireFormatChange(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) {
		c.Source, c.Tags, c.LinkURL = "guardsim.test", []string{"cfg-tag"}, "https://app.example.com/r/1"
	})
	a := changeAlert("checkout", engine.ChangeAdvanced, 2, 5)
	assert.Equal(t, map[string]any{
		"routing_key": testKey,
		"payload": map[string]any{
			"summary":   "Guarded rollout on flag checkout step_advanced",
			"source":    "guardsim.test",
			"timestamp": "2026-03-01T12:00:00.000Z",
			"custom_details": map[string]any{
				"projKey": "default", "envKey": "production", "flagKey": "checkout", "tags": []any{"cfg-tag"},
				"event": "step_advanced", "step": 2.0, "percent": 5.0,
			},
		},
		"links": []any{map[string]any{"href": "https://app.example.com/r/1", "text": "Go to LaunchDarkly"}},
	}, decodeBody(t, c, a), "no event_action, no dedup_key, no severity")

	rb := changeAlert("checkout", engine.ChangeRolledBack, 2, 5)
	rb.Reason = engine.ReasonSRM
	det := decodeBody(t, c, rb)["payload"].(map[string]any)["custom_details"].(map[string]any)
	assert.Equal(t, "srm", det["reason"])

	// v1 has no change events: refused before anything is sent.
	rm := startMock(t, MockOptions{})
	c1, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Version = V1 })
	err := c1.Notify(context.Background(), a)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalidAlert), err)
	assert.Contains(t, err.Error(), "change events need Events API v2")
	assert.Zero(t, rm.Stats().Requests)
}

// The scenario's source, tags and flag name (carried by the alert) win
// over the client's own; in live mode the wall-clock time is stamped on
// the wire instead of the simulated time.
func TestAlertFieldsOverrideAndWallTime(t *testing.T) {
	wall := time.Date(2026, 12, 1, 17, 30, 0, 123e6, time.UTC)
	for _, tc := range []struct {
		name           string
		mod            func(*engine.Alert)
		source, ts     string
		tags           []any
		summaryIfEmpty string
	}{
		{"client defaults", func(*engine.Alert) {}, "guardsim.test", "2026-03-01T12:00:00.000Z", []any{"cfg"}, "Regression detected for measured rollout on flag checkout"},
		{"alert's source, tags and flag name", func(a *engine.Alert) {
			a.Source, a.Tags, a.FlagName = "app.launchdarkly.com", []string{"team:pay", "t1"}, "New checkout"
		}, "app.launchdarkly.com", "2026-03-01T12:00:00.000Z", []any{"team:pay", "t1"}, "Regression detected for measured rollout on flag New checkout"},
		{"wall time", func(a *engine.Alert) { a.WallTime = wall }, "guardsim.test", "2026-12-01T17:30:00.123Z", []any{"cfg"}, "Regression detected for measured rollout on flag checkout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Source, c.Tags = "guardsim.test", []string{"cfg"} })
			a := regression("checkout")
			a.Summary = ""
			tc.mod(&a)
			p := decodeBody(t, c, a)["payload"].(map[string]any)
			assert.Equal(t, tc.source, p["source"])
			assert.Equal(t, tc.ts, p["timestamp"])
			assert.Equal(t, tc.tags, p["custom_details"].(map[string]any)["tags"])
			assert.Equal(t, tc.summaryIfEmpty, p["summary"])
		})
	}
}

func TestMockChangeValidation(t *testing.T) {
	rm := startMock(t, MockOptions{})
	for _, tc := range []struct {
		name    string
		body    any
		wantErr string
	}{
		{"documented example", validChange(), ""},
		{"minimal", map[string]any{"routing_key": testKey, "payload": map[string]any{"summary": "s"}}, ""},
		{"not JSON", `{"routing_key":`, "JSON parse error"},
		{"missing routing_key", with(validChange(), func(m map[string]any) { delete(m, "routing_key") }), "'routing_key' is missing or blank"},
		{"short routing_key", with(validChange(), func(m map[string]any) { m["routing_key"] = "abc" }), "Length of 'routing_key' is incorrect"},
		{"missing payload", with(validChange(), func(m map[string]any) { delete(m, "payload") }), "'payload' is missing"},
		{"payload not object", with(validChange(), func(m map[string]any) { m["payload"] = "x" }), "'payload' must be an object"},
		{"missing summary", with(validChange(), func(m map[string]any) { delete(payload(m), "summary") }), "'payload.summary' is missing or blank"},
		{"summary too long", with(validChange(), func(m map[string]any) { payload(m)["summary"] = strings.Repeat("s", 1025) }), "'payload.summary' is too long (max 1024 characters)"},
		{"source number", with(validChange(), func(m map[string]any) { payload(m)["source"] = 3 }), "'payload.source' must be a string"},
		{"bad timestamp", with(validChange(), func(m map[string]any) { payload(m)["timestamp"] = "yesterday" }), "'payload.timestamp' is not a valid ISO 8601 timestamp"},
		{"custom_details array", with(validChange(), func(m map[string]any) { payload(m)["custom_details"] = []any{1} }), "'payload.custom_details' must be an object"},
		{"link without href", with(validChange(), func(m map[string]any) { m["links"] = []any{map[string]any{"text": "t"}} }), "'links[0].href' is missing or blank"},
		{"event_action", with(validChange(), func(m map[string]any) { m["event_action"] = "trigger" }), "'event_action' is not a change event field"},
		{"dedup_key", with(validChange(), func(m map[string]any) { m["dedup_key"] = "k" }), "'dedup_key' is not a change event field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ok := tc.body.(string)
			if !ok {
				body = mustJSON(t, tc.body)
			}
			before := rm.Stats()
			status, resp := post(t, rm.URL(), PathChange, body)
			if tc.wantErr == "" {
				require.Equal(t, 202, status, "%v", resp)
				assert.Equal(t, map[string]any{"status": "success", "message": "Change event processed"}, resp, "no dedup_key in the answer")
				assert.Equal(t, before.Changes+1, rm.Stats().Changes)
				return
			}
			require.Equal(t, 400, status, "%v", resp)
			var errs []string
			for _, e := range resp["errors"].([]any) {
				errs = append(errs, e.(string))
			}
			assert.True(t, containsSub(errs, tc.wantErr), "errors %q lack %q", errs, tc.wantErr)
			assert.Equal(t, before.Changes, rm.Stats().Changes)
		})
	}
	assert.Zero(t, rm.Stats().Incidents, "change events open no incident")
}

// Client and mock over loopback: change events go to /v2/change/enqueue,
// are retried like alerts (here through a rate limit), never touch the
// incident of the same flag, and keep their order in the outbox.
func TestChangeEventsThroughTheOutbox(t *testing.T) {
	rm := startMock(t, MockOptions{RateLimitFirst: 2})
	c, sr := newTestClient(t, rm.URL(), nil)
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	o, err := OpenOutbox(spool, c, OutboxOptions{Workers: 1})
	require.NoError(t, err)
	seq := []engine.Alert{
		changeAlert("f", engine.ChangeStarted, 1, 1),
		changeAlert("f", engine.ChangeAdvanced, 2, 5),
		regression("f"),
		reverted("f"),
		changeAlert("f", engine.ChangeRolledBack, 2, 5),
	}
	for i := range seq {
		seq[i].Time = seq[i].Time.Add(time.Duration(i) * time.Minute)
		require.NoError(t, o.Notify(context.Background(), seq[i]))
	}
	require.NoError(t, o.Close(context.Background()))
	assert.Empty(t, o.Undelivered())
	assert.Len(t, sr.all(), 2, "two rate-limited attempts retried")

	ch := rm.Changes()
	require.Len(t, ch, 3)
	var events []string
	for _, r := range ch {
		var d map[string]any
		require.NoError(t, json.Unmarshal(r.CustomDetails, &d))
		events = append(events, d["event"].(string))
		assert.Equal(t, Fingerprint(testKey), r.RoutingKeyFP)
		assert.Equal(t, "guardsim", r.Source)
	}
	assert.Equal(t, []string{"rollout_started", "step_advanced", "rollout_rolled_back"}, events)
	incs := rm.Incidents()
	require.Len(t, incs, 1)
	assert.Equal(t, IncidentResolved, incs[0].Status)
	assert.Equal(t, 1, incs[0].Triggers)
	for _, d := range c.Deliveries() {
		if d.Alert.Kind.IsChange() {
			assert.Equal(t, ActionChange, d.Action)
		}
	}
}

// An undeliverable change event does not hold back the trigger and
// resolve of the same flag, and stays in the spool to be resent.
func TestUndeliveredChangeDoesNotBlockAlerts(t *testing.T) {
	rm := startMock(t, MockOptions{})
	c, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Version = V1 }) // v1: change events refused
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	o, err := OpenOutbox(spool, c, OutboxOptions{})
	require.NoError(t, err)
	require.NoError(t, o.Notify(context.Background(), changeAlert("f", engine.ChangeStarted, 1, 1)))
	require.NoError(t, o.Notify(context.Background(), regression("f")))
	require.NoError(t, o.Notify(context.Background(), reverted("f")))
	require.NoError(t, o.Close(context.Background()))
	und := o.Undelivered()
	require.Len(t, und, 1)
	assert.Equal(t, engine.ChangeStarted, und[0].Alert.Kind)
	incs := rm.Incidents()
	require.Len(t, incs, 1)
	assert.Equal(t, IncidentResolved, incs[0].Status)

	// Reopened against a v2 client, the change event is resent.
	c2, _ := newTestClient(t, rm.URL(), nil)
	o2, err := OpenOutbox(spool, c2, OutboxOptions{})
	require.NoError(t, err)
	require.NoError(t, o2.Close(context.Background()))
	require.Len(t, o2.Entries(), 1)
	assert.Equal(t, EntryDelivered, o2.Entries()[0].State)
	assert.Len(t, rm.Changes(), 1)
}

// An ordered outbox delivers in spool order across lanes (alert events
// and change events), whatever the timing: the endpoint's records come
// in Notify order.
func TestOrderedOutboxKeepsSpoolOrderAcrossLanes(t *testing.T) {
	rm := startMock(t, MockOptions{Delay: 2 * time.Millisecond})
	c, _ := newTestClient(t, rm.URL(), nil)
	o, err := OpenOutbox(filepath.Join(t.TempDir(), "outbox.jsonl"), c, OutboxOptions{Ordered: true, Workers: 4})
	require.NoError(t, err)
	var want []string
	for i := 0; i < 12; i++ {
		var a engine.Alert
		switch i % 3 {
		case 0:
			a = changeAlert("f", engine.ChangeAdvanced, i, float64(i))
		case 1:
			a = regression("f")
		default:
			a = reverted("f")
		}
		a.Time = a.Time.Add(time.Duration(i) * time.Hour)
		a.Summary = a.Summary + " #" + string(rune('a'+i))
		want = append(want, string(rune('a'+i)))
		require.NoError(t, o.Notify(context.Background(), a))
		if i%4 == 0 {
			time.Sleep(time.Millisecond) // let the worker start mid-stream
		}
	}
	require.NoError(t, o.Close(context.Background()))
	var got []string
	for _, ev := range rm.Events() {
		if ev.Action == ActionResolve { // resolves carry no summary: read it from the spool order instead
			got = append(got, "?")
			continue
		}
		got = append(got, ev.Summary[len(ev.Summary)-1:])
	}
	for i := range want {
		if i%3 == 2 {
			want[i] = "?"
		}
	}
	assert.Equal(t, want, got)
}

// A resumed run re-decides its change events; the outbox recognises them
// (same kind, dedup key and time) and sends each once.
func TestChangeEventsSentOnceAcrossARestart(t *testing.T) {
	rm := startMock(t, MockOptions{})
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	seq := []engine.Alert{changeAlert("f", engine.ChangeStarted, 1, 1), changeAlert("f", engine.ChangeAdvanced, 2, 5)}
	seq[1].Time = seq[1].Time.Add(24 * time.Hour)
	for run := 0; run < 2; run++ {
		c, _ := newTestClient(t, rm.URL(), nil)
		o, err := OpenOutbox(spool, c, OutboxOptions{Ordered: true})
		require.NoError(t, err)
		for _, a := range seq {
			assert.Equal(t, run == 1, o.Spooled(a))
			require.NoError(t, o.Notify(context.Background(), a))
		}
		require.NoError(t, o.Close(context.Background()))
	}
	assert.Len(t, rm.Changes(), 2)
	assert.Equal(t, 2, rm.Stats().Requests)
}
