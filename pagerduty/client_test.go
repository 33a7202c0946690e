package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func TestTriggerResolveSequence(t *testing.T) {
	for _, v := range []Version{V2, V1} {
		t.Run(string(v), func(t *testing.T) {
			rm := startMock(t, MockOptions{})
			c, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Version = v; c.LinkURL = "https://app.example.com/flags/checkout" })
			ctx := context.Background()
			a := regression("checkout")

			require.NoError(t, c.Notify(ctx, a))
			inc, ok := rm.IncidentFor(testKey, "default:production:checkout")
			require.True(t, ok)
			assert.Equal(t, IncidentOpen, inc.Status)
			assert.Equal(t, a.Summary, inc.Summary)
			assert.Equal(t, v, inc.Version)

			// A second regression on the same flag dedups into the open incident.
			require.NoError(t, c.Notify(ctx, a))
			require.NoError(t, c.Notify(ctx, reverted("checkout")))

			incs := rm.Incidents()
			require.Len(t, incs, 1)
			assert.Equal(t, IncidentResolved, incs[0].Status)
			assert.Equal(t, 2, incs[0].Triggers)
			assert.Equal(t, "default:production:checkout", incs[0].DedupKey)
			assert.Equal(t, Fingerprint(testKey), incs[0].RoutingKeyFP)
			assert.False(t, incs[0].ResolvedAt.IsZero())

			evs := rm.Events()
			require.Len(t, evs, 3)
			wantStatus := map[Version]int{V2: 202, V1: 200}[v]
			for i, want := range []struct{ action, effect string }{
				{ActionTrigger, EffectOpened}, {ActionTrigger, EffectDeduplicated}, {ActionResolve, EffectResolved},
			} {
				assert.Equal(t, want.action, evs[i].Action, i)
				assert.Equal(t, want.effect, evs[i].Effect, i)
				assert.Equal(t, OutcomeAccepted, evs[i].Outcome, i)
				assert.Equal(t, wantStatus, evs[i].StatusCode, i)
				assert.Equal(t, v, evs[i].Version, i)
				assert.Equal(t, "default:production:checkout", evs[i].DedupKey, i)
			}

			ds := c.Deliveries()
			require.Len(t, ds, 3)
			for _, d := range ds {
				assert.True(t, d.Delivered)
				assert.Equal(t, 1, d.Attempts)
				assert.Equal(t, wantStatus, d.StatusCode)
				assert.Equal(t, "default:production:checkout", d.ResponseKey)
				assert.Empty(t, d.Error)
				assert.True(t, d.Record().Delivered)
			}
			assert.Equal(t, ActionResolve, ds[2].Action)
			assert.Equal(t, DeliveryStats{Delivered: 3, Attempts: 3}, c.Stats())
			assert.Empty(t, c.Undelivered())

			// Trigger after resolve opens a new incident.
			require.NoError(t, c.Notify(ctx, a))
			incs = rm.Incidents()
			require.Len(t, incs, 2)
			assert.NotEqual(t, incs[0].ID, incs[1].ID)
			assert.Equal(t, IncidentOpen, incs[1].Status)
		})
	}
}

// decodeBody builds the client's body for a and decodes it.
func decodeBody(t *testing.T, c *Client, a engine.Alert) map[string]any {
	t.Helper()
	action, err := actionFor(a.Kind)
	require.NoError(t, err)
	b, err := c.buildBody(a, action)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestWireFormatV2(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) {
		c.Severity, c.Source, c.Tags, c.LinkURL = "warning", "guardsim.test", []string{"team-a", "canary"}, "https://app.example.com/r/1"
	})
	trig := decodeBody(t, c, regression("checkout"))
	assert.Equal(t, map[string]any{
		"routing_key":  testKey,
		"event_action": "trigger",
		"dedup_key":    "default:production:checkout",
		"client":       "guardsim",
		"client_url":   "https://app.example.com/r/1",
		"links":        []any{map[string]any{"href": "https://app.example.com/r/1", "text": "Go to LaunchDarkly"}},
		"payload": map[string]any{
			"summary":   "Regression detected for measured rollout on flag checkout",
			"timestamp": "2026-03-01T12:00:00.000Z",
			"severity":  "warning",
			"source":    "guardsim.test",
			"custom_details": map[string]any{
				"projKey": "default", "envKey": "production", "flagKey": "checkout", "tags": []any{"team-a", "canary"},
			},
		},
	}, trig)
	// Resolve is LaunchDarkly's three-field template.
	assert.Equal(t, map[string]any{
		"routing_key": testKey, "event_action": "resolve", "dedup_key": "default:production:checkout",
	}, decodeBody(t, c, reverted("checkout")))

	// Without tags the list is still present and empty, as in LD's template.
	c2, _ := newTestClient(t, "http://127.0.0.1:1", nil)
	det := decodeBody(t, c2, regression("f"))["payload"].(map[string]any)["custom_details"].(map[string]any)
	assert.Equal(t, []any{}, det["tags"])
}

func TestWireFormatV1(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) {
		c.Version, c.Tags, c.LinkURL = V1, []string{"t1"}, "https://app.example.com/r/1"
	})
	assert.Equal(t, map[string]any{
		"service_key":  testKey,
		"event_type":   "trigger",
		"incident_key": "default:production:checkout",
		"description":  "Regression detected for measured rollout on flag checkout",
		"client":       "guardsim",
		"client_url":   "https://app.example.com/r/1",
		"details":      map[string]any{"projKey": "default", "envKey": "production", "flagKey": "checkout", "tags": []any{"t1"}},
		"contexts":     []any{map[string]any{"type": "link", "href": "https://app.example.com/r/1", "text": "Go to LaunchDarkly"}},
	}, decodeBody(t, c, regression("checkout")))
	assert.Equal(t, map[string]any{
		"service_key": testKey, "event_type": "resolve", "incident_key": "default:production:checkout",
		"description": "Rollout of checkout reverted",
	}, decodeBody(t, c, reverted("checkout")))

	// Without a link, client_url is JSON null as in LaunchDarkly's example.
	c2, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Version = V1 })
	m := decodeBody(t, c2, regression("f"))
	v, has := m["client_url"]
	assert.True(t, has)
	assert.Nil(t, v)
	assert.NotContains(t, m, "contexts")
}

func TestSummaryFallbackAndTruncation(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", nil)
	a := regression("f")
	a.Summary = ""
	assert.Equal(t, "Regression detected for measured rollout on flag f",
		decodeBody(t, c, a)["payload"].(map[string]any)["summary"])

	for _, long := range []string{strings.Repeat("x", 5000), strings.Repeat("é", 700), strings.Repeat("a", 1023) + "€€"} {
		a.Summary = long
		s := decodeBody(t, c, a)["payload"].(map[string]any)["summary"].(string)
		assert.LessOrEqual(t, len(s), MaxSummaryLen)
		assert.True(t, strings.HasSuffix(s, "…"), s[len(s)-8:])
		assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(s, "…")))
	}
	a.Summary = strings.Repeat("y", MaxSummaryLen)
	assert.Equal(t, a.Summary, decodeBody(t, c, a)["payload"].(map[string]any)["summary"], "exactly at the limit: untouched")

	// A truncated summary is accepted by the mock (it was not an error).
	rm := startMock(t, MockOptions{})
	c3, _ := newTestClient(t, rm.URL(), nil)
	a.Summary = strings.Repeat("z", 3000)
	require.NoError(t, c3.Notify(context.Background(), a))
	assert.Equal(t, 1, rm.Stats().Accepted)
}

func TestInvalidAlertsNotSent(t *testing.T) {
	rm := startMock(t, MockOptions{})
	c, _ := newTestClient(t, rm.URL(), nil)
	long := regression(strings.Repeat("f", 250)) // dedup key "default:production:" + 250 > 255
	err := c.Notify(context.Background(), long)
	require.ErrorIs(t, err, ErrInvalidAlert)
	assert.Contains(t, err.Error(), "dedup key")

	bad := regression("f")
	bad.Kind = "bogus"
	require.ErrorIs(t, c.Notify(context.Background(), bad), ErrInvalidAlert)

	huge, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Tags = []string{strings.Repeat("t", MaxBodyBytes)} })
	err = huge.Notify(context.Background(), regression("f"))
	require.ErrorIs(t, err, ErrInvalidAlert)
	assert.Contains(t, err.Error(), "body")

	assert.Zero(t, rm.Stats().Requests, "nothing invalid reaches the wire")
	assert.Equal(t, 0, c.Stats().Delivered)
	require.Len(t, c.Undelivered(), 2)
	for _, d := range c.Undelivered() {
		assert.Equal(t, 0, d.Attempts)
		assert.NotEmpty(t, d.Error)
		assert.False(t, d.Record().Delivered)
		assert.Equal(t, d.Error, d.Record().Error)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want error
	}{
		{"ok v2", func(*Config) {}, nil},
		{"ok v1 with short key", func(c *Config) { c.Version, c.RoutingKey = V1, "short" }, nil},
		{"no key", func(c *Config) { c.RoutingKey = "" }, ErrNoRoutingKey},
		{"short v2 key", func(c *Config) { c.RoutingKey = testKey[:31] }, ErrInvalidRoutingKey},
		{"long v2 key", func(c *Config) { c.RoutingKey = testKey + "X" }, ErrInvalidRoutingKey},
		{"key with newline", func(c *Config) { c.RoutingKey = testKey[:31] + "\n" }, ErrInvalidRoutingKey},
		{"bad severity", func(c *Config) { c.Severity = "fatal" }, ErrInvalidConfig},
		{"bad version", func(c *Config) { c.Version = "v3" }, ErrInvalidConfig},
		{"bad base URL", func(c *Config) { c.BaseURL = "events.pagerduty.com" }, ErrInvalidConfig},
		{"relative link", func(c *Config) { c.LinkURL = "/flags/x" }, ErrInvalidConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{RoutingKey: testKey}
			tc.mod(&cfg)
			c, err := NewClient(cfg)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, c)
			assert.NotContains(t, err.Error(), testKey[:20])
		})
	}
	c, err := NewClient(Config{RoutingKey: testKey})
	require.NoError(t, err)
	assert.Equal(t, "https://events.pagerduty.com/v2/enqueue", c.Endpoint())
	assert.Equal(t, V2, c.Version())
	c, err = NewClient(Config{RoutingKey: testKey, Version: V1, BaseURL: "https://events.eu.pagerduty.com/"})
	require.NoError(t, err)
	assert.Equal(t, "https://events.eu.pagerduty.com/generic/2010-04-15/create_event.json", c.Endpoint())
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		version  Version
		opts     MockOptions
		attempts int
		outcomes []string
	}{
		{"v2 429 first 2", V2, MockOptions{RateLimitFirst: 2}, 3, []string{OutcomeRateLimited, OutcomeRateLimited, OutcomeAccepted}},
		{"v1 403 first 2", V1, MockOptions{RateLimitFirst: 2}, 3, []string{OutcomeRateLimited, OutcomeRateLimited, OutcomeAccepted}},
		{"v2 500 first 3", V2, MockOptions{FailFirst: 3}, 4, []string{OutcomeServerError, OutcomeServerError, OutcomeServerError, OutcomeAccepted}},
		{"v2 503", V2, MockOptions{FailFirst: 1, FailStatus: 503}, 2, []string{OutcomeServerError, OutcomeAccepted}},
		{"v1 502", V1, MockOptions{FailFirst: 1, FailStatus: 502}, 2, []string{OutcomeServerError, OutcomeAccepted}},
		{"v2 dropped connections", V2, MockOptions{DropFirst: 2}, 3, []string{OutcomeDropped, OutcomeDropped, OutcomeAccepted}},
		{"v1 dropped connection", V1, MockOptions{DropFirst: 1}, 2, []string{OutcomeDropped, OutcomeAccepted}},
		{"v2 mixed", V2, MockOptions{DropFirst: 1, RateLimitFirst: 1, FailFirst: 1}, 4,
			[]string{OutcomeDropped, OutcomeRateLimited, OutcomeServerError, OutcomeAccepted}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rm := startMock(t, tc.opts)
			c, sr := newTestClient(t, rm.URL(), func(c *Config) { c.Version = tc.version })
			require.NoError(t, c.Notify(context.Background(), regression("checkout")))

			evs := rm.Events()
			require.Len(t, evs, tc.attempts)
			var got []string
			for _, e := range evs {
				got = append(got, e.Outcome)
				// The body is intact on every attempt: same bytes, not empty.
				assert.Equal(t, evs[0].BodySHA256, e.BodySHA256)
				assert.Equal(t, evs[0].BodyBytes, e.BodyBytes)
				assert.Positive(t, e.BodyBytes)
				assert.Equal(t, ActionTrigger, e.Action)
				assert.Equal(t, "default:production:checkout", e.DedupKey)
			}
			assert.Equal(t, tc.outcomes, got)
			if tc.version == V1 && tc.opts.RateLimitFirst > 0 {
				assert.Equal(t, http.StatusForbidden, evs[0].StatusCode)
			}
			incs := rm.Incidents()
			require.Len(t, incs, 1, "exactly one incident")
			assert.Equal(t, 1, incs[0].Triggers, "accepted exactly once")
			assert.Equal(t, 1, rm.Stats().Accepted)

			d := c.Deliveries()[0]
			assert.True(t, d.Delivered)
			assert.Equal(t, tc.attempts, d.Attempts)
			require.Len(t, d.Log, tc.attempts)
			for _, at := range d.Log[:tc.attempts-1] {
				assert.NotEmpty(t, at.Error)
			}
			assert.Empty(t, d.Log[tc.attempts-1].Error)
			assert.Len(t, sr.all(), tc.attempts-1, "one backoff wait per retry")
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	rm := startMock(t, MockOptions{FailFirst: 100})
	c, sr := newTestClient(t, rm.URL(), func(c *Config) {
		c.Retry = RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond}
		c.Jitter = func(ceiling time.Duration) time.Duration { return ceiling }
	})
	err := c.Notify(context.Background(), regression("checkout"))
	require.Error(t, err)
	var de *DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 4, de.Attempts)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 500, ae.StatusCode)
	assert.True(t, ae.Temporary())
	assert.Equal(t, []string{"injected failure"}, ae.Errors)
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}, sr.all(), "exponential, capped")
	assert.Equal(t, 4, rm.Stats().Requests)
	assert.Empty(t, rm.Incidents())

	u := c.Undelivered()
	require.Len(t, u, 1)
	assert.Equal(t, 500, u[0].StatusCode)
	assert.Equal(t, err.Error(), u[0].Error)
	assert.Equal(t, DeliveryStats{Failed: 1, Attempts: 4}, c.Stats())
}

func TestBadRequestNotRetried(t *testing.T) {
	// A server that answers PagerDuty's 400 to everything.
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)","'payload.source' is missing or blank"]}`))
	}))
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
	c, sr := newTestClient(t, srv.URL, nil)
	err := c.Notify(context.Background(), regression("checkout"))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, "invalid event", ae.Status)
	assert.Equal(t, "Event object is invalid", ae.Message)
	assert.Equal(t, []string{"Length of 'routing_key' is incorrect (should be 32 characters)", "'payload.source' is missing or blank"}, ae.Errors)
	assert.False(t, ae.Temporary())
	assert.Contains(t, err.Error(), "'payload.source' is missing or blank")
	assert.Equal(t, 1, hits, "400 is not retried")
	assert.Empty(t, sr.all())

	// The mock's own 400 (an invalid event) is surfaced the same way: an
	// otherwise valid client sending to a v2 mock with a v1-shaped key.
	rm := startMock(t, MockOptions{})
	c1, _ := newTestClient(t, rm.URL(), nil)
	c1.cfg.RoutingKey = "short" // bypass NewClient's check to reach the server
	err = c1.Notify(context.Background(), regression("checkout"))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, []string{"Length of 'routing_key' is incorrect (should be 32 characters)"}, ae.Errors)
	assert.Equal(t, 1, rm.Stats().Rejected)
	assert.Equal(t, 1, rm.Stats().Requests)
}

func TestV2ForbiddenNotRetried(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		v    Version
		hits int
	}{{V2, 1}, {V1, 3}} {
		hits = 0
		c, _ := newTestClient(t, srv.URL, func(c *Config) { c.Version, c.Retry.MaxAttempts = tc.v, 3 })
		err := c.Notify(context.Background(), regression("f"))
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, tc.v == V1, ae.RateLimited(), tc.v)
		assert.Equal(t, tc.hits, hits, "403 is a rate limit only on v1")
	}
}

func TestContextCancellationStopsRetrying(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		rm := startMock(t, MockOptions{FailFirst: 1000})
		c, err := NewClient(Config{BaseURL: rm.URL(), RoutingKey: testKey,
			Retry:  RetryPolicy{MaxAttempts: 6, BaseDelay: 10 * time.Second, MaxDelay: 10 * time.Second},
			Jitter: func(c time.Duration) time.Duration { return c }}) // real sleep
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err = c.Notify(ctx, regression("f"))
		assert.Less(t, time.Since(start), 3*time.Second)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var ae *APIError
		assert.ErrorAs(t, err, &ae, "the last server error is kept")
		d := c.Deliveries()[0]
		assert.False(t, d.Delivered)
		assert.Equal(t, 1, d.Attempts)
		assert.Equal(t, 1, rm.Stats().Requests)
	})
	t.Run("during a slow request", func(t *testing.T) {
		rm := startMock(t, MockOptions{Delay: 10 * time.Second})
		c, _ := newTestClient(t, rm.URL(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := c.Notify(ctx, regression("f"))
		assert.Less(t, time.Since(start), 3*time.Second)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, c.Deliveries()[0].Attempts)
		require.Eventually(t, func() bool { return rm.Stats().Abandoned == 1 }, 2*time.Second, 10*time.Millisecond)
		assert.Zero(t, rm.Stats().Accepted)
		assert.Empty(t, rm.Incidents(), "an abandoned event is not ingested")
	})
	t.Run("already cancelled", func(t *testing.T) {
		rm := startMock(t, MockOptions{})
		c, _ := newTestClient(t, rm.URL(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, c.Notify(ctx, regression("f")), context.Canceled)
		assert.Zero(t, rm.Stats().Requests)
	})
}

func TestRequestTimeoutRetried(t *testing.T) {
	// The first request is answered after the client's timeout; the retry
	// (the delay applies to every request) is answered in time because the
	// second client allows it. Here we check the first client gives up per
	// attempt and retries rather than hanging.
	rm := startMock(t, MockOptions{Delay: 300 * time.Millisecond})
	c, _ := newTestClient(t, rm.URL(), func(c *Config) {
		c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
		c.Retry.MaxAttempts = 2
	})
	err := c.Notify(context.Background(), regression("f"))
	require.Error(t, err)
	var de *DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 2, de.Attempts)
}

func TestBackoffCeilingAndJitter(t *testing.T) {
	p := DefaultRetryPolicy()
	assert.Equal(t, 30, p.MaxAttempts)
	assert.Equal(t, 5*time.Minute, p.Budget)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, w := range want {
		assert.Equal(t, w, p.Ceiling(i+1), i+1)
	}
	assert.Equal(t, 60*time.Second, p.Ceiling(200), "no overflow")
	assert.Zero(t, p.Ceiling(0))

	c, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Seed = 42 })
	c2, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Seed = 42 })
	distinct := map[time.Duration]bool{}
	for range 200 {
		j := c.jitter(time.Second)
		assert.Equal(t, j, c2.jitter(time.Second), "same seed, same draws")
		assert.GreaterOrEqual(t, j, 500*time.Millisecond, "equal jitter waits at least half the ceiling")
		assert.LessOrEqual(t, j, time.Second)
		distinct[j] = true
	}
	assert.Greater(t, len(distinct), 150, "jitter spreads the waits")
	// An injected jitter is clamped to [ceiling/2, ceiling].
	c3, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Jitter = func(time.Duration) time.Duration { return time.Hour } })
	assert.Equal(t, time.Second, c3.jitter(time.Second))
	c4, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Jitter = func(time.Duration) time.Duration { return 0 } })
	assert.Equal(t, 500*time.Millisecond, c4.jitter(time.Second))
	// Without a seed, two clients draw different waits (no lockstep retries).
	u1, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Seed = 0 })
	u2, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Seed = 0 })
	same := 0
	for range 50 {
		if u1.jitter(time.Hour) == u2.jitter(time.Hour) {
			same++
		}
	}
	assert.Less(t, same, 5, "unseeded clients must not share a jitter sequence")
}

func TestRoutingKeyFromEnvOrFile(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(keyFile, []byte("  "+testKey+"\n"), 0o600))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\n"), 0o600))
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvRoutingKey {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		name   string
		getenv func(string) string
		path   string
		want   string
		err    error
	}{
		{"env", env(" " + otherKey + " "), "", otherKey, nil},
		{"file wins over env", env(otherKey), keyFile, testKey, nil},
		{"file only", env(""), keyFile, testKey, nil},
		{"nothing", env(""), "", "", ErrNoRoutingKey},
		{"nil getenv", nil, "", "", ErrNoRoutingKey},
		{"empty file", env(otherKey), emptyFile, "", ErrNoRoutingKey},
		{"missing file", env(otherKey), filepath.Join(dir, "nope"), "", os.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RoutingKeyFromEnvOrFile(tc.getenv, tc.path)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.NotContains(t, err.Error(), otherKey)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestKeyNeverLeaks drives every path that produces text — success,
// retries, 400s, exhausted retries, network errors, logs, delivery records,
// the mock's records, JSONL and GET output — and searches for the key.
func TestKeyNeverLeaks(t *testing.T) {
	var logs, jsonl bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rm := startMock(t, MockOptions{EventsWriter: &jsonl, DropFirst: 1, RateLimitFirst: 1, FailFirst: 1})
	var texts []string
	for _, v := range []Version{V2, V1} {
		c, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Version, c.Logger = v, logger })
		ctx := context.Background()
		require.NoError(t, c.Notify(ctx, regression("a")))
		require.NoError(t, c.Notify(ctx, reverted("a")))
		require.NoError(t, c.Notify(ctx, reverted("never-triggered")))

		// Retries exhausted.
		short, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Version, c.Logger, c.Retry.MaxAttempts = v, logger, 1 })
		bad := regression("b")
		bad.Kind = "nope"
		texts = append(texts, short.Notify(ctx, bad).Error())

		// A 400 from the mock: empty summary and source are invalid.
		inv, _ := newTestClient(t, rm.URL(), func(c *Config) { c.Version, c.Logger = v, logger })
		inv.cfg.Source = " "
		a := regression("c")
		if v == V1 {
			a.Summary, a.Metric, a.FlagKey = " ", "", ""
		}
		if err := inv.Notify(ctx, a); err != nil {
			texts = append(texts, err.Error())
		}

		// Network error: nothing listens there.
		dead, _ := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.Version, c.Logger, c.Retry.MaxAttempts = v, logger, 2 })
		err := dead.Notify(ctx, regression("d"))
		require.Error(t, err)
		texts = append(texts, err.Error())

		for _, cl := range []*Client{c, short, inv, dead} {
			b, err := json.Marshal(cl.Deliveries())
			require.NoError(t, err)
			texts = append(texts, string(b))
		}
	}
	// A server echoing the key in its error must be redacted too.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"invalid event","message":"bad key ` + testKey + `","errors":["routing_key ` + testKey + ` unknown"]}`))
	}))
	t.Cleanup(echo.Close)
	ec, _ := newTestClient(t, echo.URL, func(c *Config) { c.Logger = logger })
	err := ec.Notify(context.Background(), regression("e"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), Fingerprint(testKey))
	texts = append(texts, err.Error())
	b, _ := json.Marshal(ec.Deliveries())
	texts = append(texts, string(b))

	var evs, incs json.RawMessage
	getJSON(t, rm.URL()+"/events", &evs)
	getJSON(t, rm.URL()+"/incidents", &incs)
	var out bytes.Buffer
	require.NoError(t, rm.WriteJSONL(&out))
	texts = append(texts, logs.String(), jsonl.String(), string(evs), string(incs), out.String())

	assert.Contains(t, logs.String(), "retrying", "the logger was exercised")
	assert.Contains(t, logs.String(), Fingerprint(testKey))
	assert.Positive(t, rm.Stats().Rejected, "a 400 was exercised")
	assert.Contains(t, string(evs), Fingerprint(testKey))
	for i, s := range texts {
		assert.NotContains(t, s, testKey, "text %d leaks the key", i)
		assert.NotContains(t, s, testKey[:16], "text %d leaks part of the key", i)
	}
}

func TestNotifierInterface(t *testing.T) {
	rm := startMock(t, MockOptions{})
	c, _ := newTestClient(t, rm.URL(), nil)
	var n engine.Notifier = c
	require.NoError(t, n.Notify(context.Background(), regression("x")))
	assert.True(t, errors.Is(n.Notify(context.Background(), engine.Alert{Kind: "x"}), ErrInvalidAlert))
}
