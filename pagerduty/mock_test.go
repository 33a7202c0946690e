package pagerduty

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v2Trigger is a valid v2 trigger as a mutable map.
func v2Trigger() map[string]any {
	return map[string]any{
		"routing_key": testKey, "event_action": "trigger", "dedup_key": "default:test:flag",
		"payload": map[string]any{"summary": "Regression detected", "source": "app.launchdarkly.com", "severity": "critical",
			"timestamp": "2015-07-17T08:42:58.315+0000", "custom_details": map[string]any{"flagKey": "flag", "tags": []any{}}},
	}
}

// v1TriggerLD is LaunchDarkly's documented v1 example, client nulls included.
func v1TriggerLD() map[string]any {
	return map[string]any{
		"service_key": testKey, "event_type": "trigger", "incident_key": "default:test:pagerduty-test-flag",
		"description": "Regression detected for guarded rollout", "client": nil, "client_url": nil,
		"contexts": []any{map[string]any{"type": "link", "href": "https://app.launchdarkly.com/x", "text": "Go to LaunchDarkly"}},
		"details":  map[string]any{"envKey": "test", "flagKey": "pagerduty-test-flag", "projKey": "default", "tags": []any{}},
	}
}

func with(m map[string]any, f func(map[string]any)) map[string]any { f(m); return m }

func payload(m map[string]any) map[string]any { return m["payload"].(map[string]any) }

func TestMockValidation(t *testing.T) {
	rm := startMock(t, MockOptions{})
	big := strings.Repeat("x", MaxBodyBytes)
	cases := []struct {
		name    string
		path    string
		body    any // map, or a raw string
		status  int
		wantErr string // substring of one of errors; "" when accepted
	}{
		// v2
		{"v2 valid trigger", PathV2, v2Trigger(), 202, ""},
		{"v2 not JSON", PathV2, `{"routing_key":`, 400, "JSON parse error"},
		{"v2 empty body", PathV2, ``, 400, "JSON parse error"},
		{"v2 JSON array", PathV2, `[1,2]`, 400, "must be a JSON object"},
		{"v2 JSON null", PathV2, `null`, 400, "must be a JSON object"},
		{"v2 missing routing_key", PathV2, with(v2Trigger(), func(m map[string]any) { delete(m, "routing_key") }), 400, "'routing_key' is missing or blank"},
		{"v2 routing_key 31 chars", PathV2, with(v2Trigger(), func(m map[string]any) { m["routing_key"] = testKey[:31] }), 400, "Length of 'routing_key' is incorrect (should be 32 characters)"},
		{"v2 routing_key 33 chars", PathV2, with(v2Trigger(), func(m map[string]any) { m["routing_key"] = testKey + "x" }), 400, "Length of 'routing_key' is incorrect"},
		{"v2 routing_key number", PathV2, with(v2Trigger(), func(m map[string]any) { m["routing_key"] = 12 }), 400, "'routing_key' must be a string"},
		{"v2 missing event_action", PathV2, with(v2Trigger(), func(m map[string]any) { delete(m, "event_action") }), 400, "'event_action' is missing or blank"},
		{"v2 bad event_action", PathV2, with(v2Trigger(), func(m map[string]any) { m["event_action"] = "open" }), 400, "'event_action' is invalid (must be one of: trigger acknowledge resolve)"},
		{"v2 dedup_key 256", PathV2, with(v2Trigger(), func(m map[string]any) { m["dedup_key"] = strings.Repeat("k", 256) }), 400, "'dedup_key' is too long (max 255 characters)"},
		{"v2 dedup_key 255", PathV2, with(v2Trigger(), func(m map[string]any) { m["dedup_key"] = strings.Repeat("k", 255) }), 202, ""},
		{"v2 dedup_key number", PathV2, with(v2Trigger(), func(m map[string]any) { m["dedup_key"] = 5 }), 400, "'dedup_key' must be a string"},
		{"v2 resolve without dedup_key", PathV2, map[string]any{"routing_key": testKey, "event_action": "resolve"}, 400, "'dedup_key' is required for resolve events"},
		{"v2 ack with empty dedup_key", PathV2, map[string]any{"routing_key": testKey, "event_action": "acknowledge", "dedup_key": ""}, 400, "'dedup_key' is required for acknowledge events"},
		{"v2 resolve minimal (LD template)", PathV2, map[string]any{"routing_key": testKey, "event_action": "resolve", "dedup_key": "x"}, 202, ""},
		{"v2 trigger without payload", PathV2, with(v2Trigger(), func(m map[string]any) { delete(m, "payload") }), 400, "'payload' is missing"},
		{"v2 payload not object", PathV2, with(v2Trigger(), func(m map[string]any) { m["payload"] = "x" }), 400, "'payload' must be an object"},
		{"v2 missing summary", PathV2, with(v2Trigger(), func(m map[string]any) { delete(payload(m), "summary") }), 400, "'payload.summary' is missing or blank"},
		{"v2 blank summary", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["summary"] = "  " }), 400, "'payload.summary' is missing or blank"},
		{"v2 summary 1025", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["summary"] = strings.Repeat("s", 1025) }), 400, "'payload.summary' is too long (max 1024 characters)"},
		{"v2 summary 1024 runes", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["summary"] = strings.Repeat("é", 1024) }), 202, ""},
		{"v2 missing source", PathV2, with(v2Trigger(), func(m map[string]any) { delete(payload(m), "source") }), 400, "'payload.source' is missing or blank"},
		{"v2 missing severity", PathV2, with(v2Trigger(), func(m map[string]any) { delete(payload(m), "severity") }), 400, "'payload.severity' is missing or blank"},
		{"v2 bad severity", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["severity"] = "fatal" }), 400, "'payload.severity' is invalid (must be one of: critical error warning info)"},
		{"v2 severity uppercase", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["severity"] = "CRITICAL" }), 400, "'payload.severity' is invalid"},
		{"v2 severity info", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["severity"] = "info" }), 202, ""},
		{"v2 bad timestamp", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["timestamp"] = "yesterday" }), 400, "'payload.timestamp' is not a valid ISO 8601 timestamp"},
		{"v2 RFC3339 timestamp", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["timestamp"] = "2026-03-01T12:00:00.000Z" }), 202, ""},
		{"v2 component number", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["component"] = 1 }), 400, "'payload.component' must be a string"},
		{"v2 nulls for optional strings", PathV2, with(v2Trigger(), func(m map[string]any) {
			m["client"], m["client_url"], payload(m)["component"], payload(m)["group"], payload(m)["class"] = nil, nil, nil, nil, nil
		}), 202, ""},
		{"v2 trigger with null dedup_key", PathV2, with(v2Trigger(), func(m map[string]any) { m["dedup_key"] = nil }), 202, ""},
		{"v2 client number", PathV2, with(v2Trigger(), func(m map[string]any) { m["client"] = 3 }), 400, "'client' must be a string"},
		{"v2 link without href", PathV2, with(v2Trigger(), func(m map[string]any) { m["links"] = []any{map[string]any{"text": "x"}} }), 400, "'links[0].href' is missing or blank"},
		{"v2 links not array", PathV2, with(v2Trigger(), func(m map[string]any) { m["links"] = "x" }), 400, "'links' must be an array of objects"},
		{"v2 link ok", PathV2, with(v2Trigger(), func(m map[string]any) { m["links"] = []any{map[string]any{"href": "https://x", "text": nil}} }), 202, ""},
		{"v2 image http", PathV2, with(v2Trigger(), func(m map[string]any) { m["images"] = []any{map[string]any{"src": "http://x/i.png"}} }), 400, "'images[0].src' must be an HTTPS URL"},
		{"v2 image without src", PathV2, with(v2Trigger(), func(m map[string]any) { m["images"] = []any{map[string]any{"alt": "x"}} }), 400, "'images[0].src' is missing or blank"},
		{"v2 image https", PathV2, with(v2Trigger(), func(m map[string]any) {
			m["images"] = []any{map[string]any{"src": "https://x/i.png", "href": "https://x", "alt": "chart"}}
		}), 202, ""},
		{"v2 body over 512 KB", PathV2, with(v2Trigger(), func(m map[string]any) { payload(m)["custom_details"] = map[string]any{"blob": big} }), 400, "Event object is too large"},
		{"v2 several errors at once", PathV2, map[string]any{"routing_key": "x", "event_action": "nope"}, 400, "'event_action' is invalid"},
		// v1
		{"v1 LD example with null client", PathV1, v1TriggerLD(), 200, ""},
		{"v1 not JSON", PathV1, `nope`, 400, "JSON parse error"},
		{"v1 missing service_key", PathV1, with(v1TriggerLD(), func(m map[string]any) { delete(m, "service_key") }), 400, "'service_key' is missing or blank"},
		{"v1 bad event_type", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["event_type"] = "page" }), 400, "'event_type' is invalid (must be one of: trigger acknowledge resolve)"},
		{"v1 missing event_type", PathV1, with(v1TriggerLD(), func(m map[string]any) { delete(m, "event_type") }), 400, "'event_type' is missing or blank"},
		{"v1 resolve without incident_key", PathV1, map[string]any{"service_key": testKey, "event_type": "resolve"}, 400, "'incident_key' is required for resolve events"},
		{"v1 resolve minimal", PathV1, map[string]any{"service_key": testKey, "event_type": "resolve", "incident_key": "k"}, 200, ""},
		{"v1 incident_key 256", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["incident_key"] = strings.Repeat("k", 256) }), 400, "'incident_key' is too long (max 255 characters)"},
		{"v1 trigger without description", PathV1, with(v1TriggerLD(), func(m map[string]any) { delete(m, "description") }), 400, "'description' is missing or blank"},
		{"v1 description 1025", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["description"] = strings.Repeat("d", 1025) }), 400, "'description' is too long (max 1024 characters)"},
		{"v1 details not object", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["details"] = []any{1} }), 400, "'details' must be an object"},
		{"v1 context bad type", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["contexts"] = []any{map[string]any{"type": "video"}} }), 400, "'contexts[0].type' is invalid"},
		{"v1 link context without href", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["contexts"] = []any{map[string]any{"type": "link"}} }), 400, "'contexts[0].href' is missing or blank"},
		{"v1 image context http", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["contexts"] = []any{map[string]any{"type": "image", "src": "http://x"}} }), 400, "'contexts[0].src' must be an HTTPS URL"},
		{"v1 image context https", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["contexts"] = []any{map[string]any{"type": "image", "src": "https://x"}} }), 200, ""},
		{"v1 body over 512 KB", PathV1, with(v1TriggerLD(), func(m map[string]any) { m["details"] = map[string]any{"blob": big} }), 400, "Event object is too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, ok := tc.body.(string)
			if !ok {
				body = mustJSON(t, tc.body)
			}
			before := rm.Stats()
			status, resp := post(t, rm.URL(), tc.path, body)
			require.Equal(t, tc.status, status, "%v", resp)
			after := rm.Stats()
			assert.Equal(t, before.Requests+1, after.Requests)
			if tc.wantErr == "" {
				assert.Equal(t, "success", resp["status"])
				assert.Equal(t, "Event processed", resp["message"])
				keyField := map[string]string{PathV2: "dedup_key", PathV1: "incident_key"}[tc.path]
				assert.NotEmpty(t, resp[keyField], "the answer carries the key")
				assert.Equal(t, before.Accepted+1, after.Accepted)
				return
			}
			assert.Equal(t, before.Rejected+1, after.Rejected)
			if tc.wantErr == "JSON parse error" {
				assert.Equal(t, "unrecognized object", resp["status"])
			} else {
				assert.Equal(t, "invalid event", resp["status"])
				assert.Equal(t, "Event object is invalid", resp["message"])
			}
			var errs []string
			for _, e := range resp["errors"].([]any) {
				errs = append(errs, e.(string))
				assert.NotContains(t, e.(string), testKey, "error messages name fields, not values")
			}
			assert.True(t, containsSub(errs, tc.wantErr), "errors %q lack %q", errs, tc.wantErr)
			last := rm.Events()[len(rm.Events())-1]
			assert.Equal(t, OutcomeRejected, last.Outcome)
			assert.Equal(t, 400, last.StatusCode)
			assert.Equal(t, errs, last.Errors)
		})
	}
	// Rejected events never touch incident state.
	rejected := map[int]bool{}
	for _, e := range rm.Events() {
		if e.Outcome == OutcomeRejected {
			rejected[e.Seq] = true
		}
	}
	assert.NotEmpty(t, rejected)
	for _, inc := range rm.Incidents() {
		for _, seq := range inc.Events {
			assert.False(t, rejected[seq], "rejected event %d applied to %s", seq, inc.ID)
		}
	}
}

func containsSub(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestMockSeveralErrorsReported(t *testing.T) {
	rm := startMock(t, MockOptions{})
	_, resp := post(t, rm.URL(), PathV2, `{"routing_key":"x","event_action":"trigger","payload":{"severity":"bad"}}`)
	errs := resp["errors"].([]any)
	assert.Len(t, errs, 4, "%v", errs) // key length, summary, source, severity
}

func TestMockIncidentLifecycle(t *testing.T) {
	rm := startMock(t, MockOptions{})
	send := func(rk, action, key string) map[string]any {
		t.Helper()
		m := map[string]any{"routing_key": rk, "event_action": action, "dedup_key": key}
		if action == ActionTrigger {
			m["payload"] = map[string]any{"summary": "s " + key, "source": "src", "severity": "error"}
		}
		status, resp := post(t, rm.URL(), PathV2, mustJSON(t, m))
		require.Equal(t, 202, status, "%v", resp)
		assert.Equal(t, key, resp["dedup_key"])
		return resp
	}
	lastEffect := func() string { evs := rm.Events(); return evs[len(evs)-1].Effect }
	state := func(rk, key string) IncidentStatus {
		inc, ok := rm.IncidentFor(rk, key)
		require.True(t, ok)
		return inc.Status
	}

	steps := []struct {
		rk, action, key string
		effect          string
		status          IncidentStatus // of (testKey, "A") afterwards
	}{
		{testKey, ActionAcknowledge, "A", EffectDroppedUnknown, ""},
		{testKey, ActionResolve, "A", EffectDroppedUnknown, ""},
		{testKey, ActionTrigger, "A", EffectOpened, IncidentOpen},
		{testKey, ActionTrigger, "A", EffectDeduplicated, IncidentOpen},
		{testKey, ActionAcknowledge, "A", EffectAcknowledged, IncidentAcknowledged},
		{testKey, ActionAcknowledge, "A", EffectAlreadyAcknowledged, IncidentAcknowledged},
		{testKey, ActionTrigger, "A", EffectDeduplicated, IncidentAcknowledged}, // ack suppresses; no new incident
		{otherKey, ActionResolve, "A", EffectDroppedOtherRoutingKey, IncidentAcknowledged},
		{otherKey, ActionAcknowledge, "A", EffectDroppedOtherRoutingKey, IncidentAcknowledged},
		{testKey, ActionResolve, "A", EffectResolved, IncidentResolved},
		{testKey, ActionResolve, "A", EffectDroppedResolved, IncidentResolved},
		{testKey, ActionAcknowledge, "A", EffectDroppedResolved, IncidentResolved},
		{testKey, ActionTrigger, "A", EffectOpened, IncidentOpen},  // new incident after resolve
		{otherKey, ActionTrigger, "A", EffectOpened, IncidentOpen}, // same dedup key, other service
		{otherKey, ActionResolve, "A", EffectResolved, IncidentOpen},
	}
	for i, s := range steps {
		send(s.rk, s.action, s.key)
		assert.Equal(t, s.effect, lastEffect(), "step %d", i)
		if s.status != "" {
			assert.Equal(t, s.status, state(testKey, "A"), "step %d", i)
		} else {
			_, ok := rm.IncidentFor(testKey, "A")
			assert.False(t, ok, "step %d: dropped events create nothing", i)
		}
	}

	incs := rm.Incidents()
	require.Len(t, incs, 3)
	first, second, other := incs[0], incs[1], incs[2]
	assert.Equal(t, IncidentResolved, first.Status)
	assert.Equal(t, 3, first.Triggers)
	assert.False(t, first.AcknowledgedAt.IsZero())
	assert.False(t, first.ResolvedAt.IsZero())
	assert.Equal(t, []int{3, 4, 5, 6, 7, 10}, first.Events, "dropped events are not applied")
	assert.Equal(t, "s A", first.Summary)
	assert.Equal(t, "error", first.Severity)
	assert.Equal(t, "src", first.Source)
	assert.Equal(t, IncidentOpen, second.Status)
	assert.Equal(t, 1, second.Triggers)
	assert.Equal(t, Fingerprint(testKey), second.RoutingKeyFP)
	assert.Equal(t, IncidentResolved, other.Status)
	assert.Equal(t, Fingerprint(otherKey), other.RoutingKeyFP)
	st := rm.Stats()
	assert.Equal(t, 3, st.Incidents)
	assert.Equal(t, 1, st.Open)
	assert.Equal(t, len(steps), st.Accepted, "dropped events are still accepted (202), as PagerDuty's API is asynchronous")

	// The same through HTTP.
	var got []Incident
	getJSON(t, rm.URL()+"/incidents", &got)
	assert.Equal(t, incs, normalizeTimes(got, incs))
	var evs []ReceivedEvent
	getJSON(t, rm.URL()+"/events", &evs)
	require.Len(t, evs, len(steps))
	assert.Equal(t, EffectDroppedOtherRoutingKey, evs[7].Effect)
	var stats MockStats
	getJSON(t, rm.URL()+"/stats", &stats)
	assert.Equal(t, st, stats)
}

// normalizeTimes copies want's times into got (JSON drops the monotonic clock).
func normalizeTimes(got, want []Incident) []Incident {
	for i := range got {
		if i < len(want) && got[i].OpenedAt.Equal(want[i].OpenedAt) && got[i].AcknowledgedAt.Equal(want[i].AcknowledgedAt) && got[i].ResolvedAt.Equal(want[i].ResolvedAt) {
			got[i].OpenedAt, got[i].AcknowledgedAt, got[i].ResolvedAt = want[i].OpenedAt, want[i].AcknowledgedAt, want[i].ResolvedAt
		}
	}
	return got
}

func TestMockV1SharesState(t *testing.T) {
	rm := startMock(t, MockOptions{})
	status, resp := post(t, rm.URL(), PathV1, mustJSON(t, v1TriggerLD()))
	require.Equal(t, 200, status)
	assert.Equal(t, "default:test:pagerduty-test-flag", resp["incident_key"])
	status, _ = post(t, rm.URL(), PathV1, `{"service_key":"`+testKey+`","event_type":"acknowledge","incident_key":"default:test:pagerduty-test-flag"}`)
	require.Equal(t, 200, status)
	inc, ok := rm.IncidentFor(testKey, "default:test:pagerduty-test-flag")
	require.True(t, ok)
	assert.Equal(t, IncidentAcknowledged, inc.Status)
	assert.Equal(t, V1, inc.Version)
	// A v2 resolve with the same integration key resolves it.
	status, _ = post(t, rm.URL(), PathV2, `{"routing_key":"`+testKey+`","event_action":"resolve","dedup_key":"default:test:pagerduty-test-flag"}`)
	require.Equal(t, 202, status)
	inc, _ = rm.IncidentFor(testKey, "default:test:pagerduty-test-flag")
	assert.Equal(t, IncidentResolved, inc.Status)
}

func TestMockGeneratesDedupKey(t *testing.T) {
	rm := startMock(t, MockOptions{Seed: 3})
	trig := with(v2Trigger(), func(m map[string]any) { delete(m, "dedup_key") })
	_, r1 := post(t, rm.URL(), PathV2, mustJSON(t, trig))
	_, r2 := post(t, rm.URL(), PathV2, mustJSON(t, trig))
	k1, k2 := r1["dedup_key"].(string), r2["dedup_key"].(string)
	assert.Len(t, k1, 32)
	assert.NotEqual(t, k1, k2, "a trigger without a key always opens a new alert")
	assert.Len(t, rm.Incidents(), 2)
	_, r3 := post(t, rm.URL(), PathV1, `{"service_key":"k","event_type":"trigger","description":"d"}`)
	assert.Len(t, r3["incident_key"], 32)
}

func TestMockFaults(t *testing.T) {
	resolve := mustJSON(t, map[string]any{"routing_key": testKey, "event_action": "resolve", "dedup_key": "k"})
	resolveV1 := mustJSON(t, map[string]any{"service_key": testKey, "event_type": "resolve", "incident_key": "k"})
	statuses := func(t *testing.T, rm *RunningMock, path, body string, n int) []int {
		var out []int
		for range n {
			resp, err := http.Post(rm.URL()+path, "application/json", strings.NewReader(body))
			if err != nil {
				out = append(out, 0) // dropped
				continue
			}
			_ = resp.Body.Close()
			out = append(out, resp.StatusCode)
		}
		return out
	}
	cases := []struct {
		name string
		opts MockOptions
		path string
		want []int
	}{
		{"rate limit every 3rd v2", MockOptions{RateLimitEvery: 3}, PathV2, []int{202, 202, 429, 202, 202, 429, 202}},
		{"rate limit every 3rd v1", MockOptions{RateLimitEvery: 3}, PathV1, []int{200, 200, 403, 200, 200, 403, 200}},
		{"rate limit first 2", MockOptions{RateLimitFirst: 2}, PathV2, []int{429, 429, 202, 202}},
		{"fail first 2", MockOptions{FailFirst: 2}, PathV2, []int{500, 500, 202}},
		{"fail first with 503", MockOptions{FailFirst: 1, FailStatus: 503}, PathV1, []int{503, 200}},
		{"drop first 2", MockOptions{DropFirst: 2}, PathV2, []int{0, 0, 202}},
		{"phases in order", MockOptions{DropFirst: 1, RateLimitFirst: 1, FailFirst: 1, RateLimitEvery: 5}, PathV2, []int{0, 429, 500, 202, 429, 202}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rm := startMock(t, tc.opts)
			body := resolve
			if tc.path == PathV1 {
				body = resolveV1
			}
			assert.Equal(t, tc.want, statuses(t, rm, tc.path, body, len(tc.want)))
			evs := rm.Events()
			require.Len(t, evs, len(tc.want))
			for i, e := range evs {
				assert.Equal(t, tc.want[i], e.StatusCode)
				assert.Equal(t, i+1, e.Seq)
				assert.Equal(t, "k", e.DedupKey, "faulted events are recorded with their key")
				assert.Equal(t, ActionResolve, e.Action)
				wantOutcome := map[int]string{0: OutcomeDropped, 429: OutcomeRateLimited, 403: OutcomeRateLimited, 500: OutcomeServerError, 503: OutcomeServerError, 202: OutcomeAccepted, 200: OutcomeAccepted}[tc.want[i]]
				assert.Equal(t, wantOutcome, e.Outcome)
			}
		})
	}

	t.Run("fail rate is seeded", func(t *testing.T) {
		run := func(seed uint64) []int {
			rm := startMock(t, MockOptions{FailRate: 0.3, Seed: seed})
			return statuses(t, rm, PathV2, resolve, 400)
		}
		a, b, c := run(7), run(7), run(8)
		assert.Equal(t, a, b, "same seed, same faults")
		assert.NotEqual(t, a, c)
		fails := 0
		for _, s := range a {
			if s == 500 {
				fails++
			} else {
				assert.Equal(t, 202, s)
			}
		}
		assert.InDelta(t, 120, fails, 40, "about 30%% fail")
	})

	t.Run("drop rate", func(t *testing.T) {
		rm := startMock(t, MockOptions{DropRate: 0.5, Seed: 1})
		got := statuses(t, rm, PathV2, resolve, 100)
		drops := 0
		for _, s := range got {
			if s == 0 {
				drops++
			}
		}
		assert.InDelta(t, 50, drops, 20)
		assert.Equal(t, drops, rm.Stats().Dropped)
	})

	t.Run("delay", func(t *testing.T) {
		rm := startMock(t, MockOptions{Delay: 80 * time.Millisecond})
		start := time.Now()
		assert.Equal(t, []int{202}, statuses(t, rm, PathV2, resolve, 1))
		assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
	})
}

func TestMockRoutesAndMethods(t *testing.T) {
	rm := startMock(t, MockOptions{})
	resp, err := http.Get(rm.URL() + PathV2)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Post(rm.URL()+"/events", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Get(rm.URL() + "/nope")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Zero(t, rm.Stats().Requests, "only event posts count")
}

func TestMockJSONL(t *testing.T) {
	var live bytes.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rm := startMock(t, MockOptions{EventsWriter: &live, RateLimitFirst: 1, Now: func() time.Time { return now }})
	c, _ := newTestClient(t, rm.URL(), nil)
	require.NoError(t, c.Notify(t.Context(), regression("a")))
	require.NoError(t, c.Notify(t.Context(), reverted("a")))
	post(t, rm.URL(), PathV2, `{"routing_key":"`+testKey+`","event_action":"bad"}`)

	var dump bytes.Buffer
	require.NoError(t, rm.WriteJSONL(&dump))
	require.NoError(t, rm.Close())
	assert.Equal(t, dump.String(), live.String(), "the live log and the dump agree")

	var got []ReceivedEvent
	sc := bufio.NewScanner(&live)
	for sc.Scan() {
		var e ReceivedEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		got = append(got, e)
	}
	require.Len(t, got, 4)
	assert.Equal(t, []string{OutcomeRateLimited, OutcomeAccepted, OutcomeAccepted, OutcomeRejected}, []string{got[0].Outcome, got[1].Outcome, got[2].Outcome, got[3].Outcome})
	for _, e := range got {
		assert.Equal(t, now, e.Time)
		assert.Equal(t, Fingerprint(testKey), e.RoutingKeyFP)
	}
	assert.Equal(t, "Regression detected for measured rollout on flag a", got[1].Summary)
	assert.Equal(t, "critical", got[1].Severity)
	assert.Equal(t, EffectResolved, got[2].Effect)
	assert.NotContains(t, live.String(), testKey)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, assert.AnError }

func TestMockWriterErrorReported(t *testing.T) {
	rm, err := StartMock(t.Context(), MockOptions{EventsWriter: failingWriter{}})
	require.NoError(t, err)
	status, _ := post(t, rm.URL(), PathV2, mustJSON(t, v2Trigger()))
	assert.Equal(t, 202, status, "the event is still processed")
	require.ErrorIs(t, rm.Err(), assert.AnError)
	require.ErrorIs(t, rm.Close(), assert.AnError)
	assert.Len(t, rm.Events(), 1)
}

func TestStartMockStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	rm, err := StartMock(ctx, MockOptions{})
	require.NoError(t, err)
	cancel()
	select {
	case <-rm.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("mock did not stop on ctx cancel")
	}
	_, err = http.Get(rm.URL() + "/events")
	assert.Error(t, err)
	assert.NoError(t, rm.Close())
}

func TestStartMockBadAddr(t *testing.T) {
	_, err := StartMock(t.Context(), MockOptions{Addr: "127.0.0.1:notaport"})
	require.Error(t, err)
}
