package pagerduty

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a virtual clock shared by a client (Clock, Sleep) and a
// mock (Now): sleeping advances it at once, so minutes of backoff take no
// real time.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeClock) total() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s time.Duration
	for _, w := range f.waits {
		s += w
	}
	return s
}

func clockedClient(t *testing.T, url string, fc *fakeClock, mod func(*Config)) *Client {
	t.Helper()
	c, _ := newTestClient(t, url, func(c *Config) {
		c.Clock, c.Sleep, c.Seed = fc.Now, fc.Sleep, 7
		if mod != nil {
			mod(c)
		}
	})
	return c
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{" 30 ", 30 * time.Second, true},
		{"0", 0, true},
		{"Sun, 01 Mar 2026 12:00:45 GMT", 45 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Sun Mar  1 12:00:10 2026", 10 * time.Second, true},  // asctime
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},            // in the past
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// The Check of issue 12: a 30 s rate-limit window answered with
// Retry-After is survived — one trigger and one resolve reach the
// incident — in both header forms, and v1's 403 counts as a rate limit.
func TestRateLimitWindowWithRetryAfterIsSurvived(t *testing.T) {
	for _, tc := range []struct {
		name     string
		version  Version
		httpDate bool
	}{
		{"v2 seconds", V2, false},
		{"v2 HTTP-date", V2, true},
		{"v1 403 seconds", V1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := newFakeClock()
			rm := startMock(t, MockOptions{RateLimitWindow: 30 * time.Second, RetryAfterHTTPDate: tc.httpDate, Now: fc.Now})
			c := clockedClient(t, rm.URL(), fc, func(c *Config) { c.Version = tc.version })
			require.NoError(t, c.Notify(context.Background(), regression("f")))
			require.NoError(t, c.Notify(context.Background(), reverted("f")))
			incs := rm.Incidents()
			require.Len(t, incs, 1)
			assert.Equal(t, IncidentResolved, incs[0].Status)
			assert.Equal(t, 1, incs[0].Triggers)
			st := rm.Stats()
			assert.Equal(t, 2, st.Accepted)
			// Retry-After was honoured: one wait covered the window, no
			// hammering inside it.
			assert.Equal(t, 1, st.RateLimited, "the client waited out the window instead of retrying inside it")
			assert.GreaterOrEqual(t, fc.total(), 30*time.Second)
			assert.Less(t, fc.total(), 32*time.Second)
		})
	}
}

// Without Retry-After, the default policy's backoff alone outlasts a 60 s
// window (the waits are at least half their ceilings: 0.5+1+2+4+8+16+30 ≥ 60).
func TestDefaultBudgetSurvivesA60sWindowWithoutRetryAfter(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		fc := newFakeClock()
		mock := NewMock(MockOptions{Now: fc.Now, RateLimitWindow: 60 * time.Second})
		// Strip Retry-After to exercise the backoff alone.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mock.ServeHTTP(stripRetryAfter{w}, r)
		}))
		c := clockedClient(t, srv.URL, fc, func(c *Config) { c.Seed = seed })
		err := c.Notify(context.Background(), regression("f"))
		srv.Close()
		require.NoError(t, err, "seed %d", seed)
		assert.GreaterOrEqual(t, fc.total(), 60*time.Second, "seed %d", seed)
		assert.LessOrEqual(t, fc.total(), 3*time.Minute, "seed %d", seed)
		assert.GreaterOrEqual(t, mock.Stats().RateLimited, 5, "seed %d: retried inside the window", seed)
	}
}

type stripRetryAfter struct{ http.ResponseWriter }

func (s stripRetryAfter) WriteHeader(code int) {
	s.Header().Del("Retry-After")
	s.ResponseWriter.WriteHeader(code)
}

func TestRetryAfterIsCappedAndBudgetBounds(t *testing.T) {
	fc := newFakeClock()
	rm := startMock(t, MockOptions{RateLimitFirst: 1000, RetryAfter: "86400", Now: fc.Now})
	c := clockedClient(t, rm.URL(), fc, func(c *Config) {
		c.Retry.MaxRetryAfter = 45 * time.Second
		c.Retry.Budget = 4 * time.Minute
	})
	err := c.Notify(context.Background(), regression("f"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retry budget of 4m0s spent")
	for _, w := range fc.waits {
		assert.LessOrEqual(t, w, 60*time.Second, "Retry-After of a day is capped (backoff cap 60s)")
		assert.GreaterOrEqual(t, w, 45*time.Second-time.Nanosecond, "the capped Retry-After is still honoured")
	}
	assert.LessOrEqual(t, fc.total(), 4*time.Minute)
	assert.Equal(t, len(fc.waits)+1, rm.Stats().Requests)
}

// A hung endpoint costs one attempt timeout per attempt, not minutes each.
func TestAttemptTimeoutBoundsAHungEndpoint(t *testing.T) {
	rm := startMock(t, MockOptions{Delay: 5 * time.Second})
	c, sr := newTestClient(t, rm.URL(), func(c *Config) {
		c.Retry.AttemptTimeout = 50 * time.Millisecond
		c.Retry.MaxAttempts = 3
	})
	start := time.Now()
	err := c.Notify(context.Background(), regression("f"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out after 50ms")
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Len(t, sr.all(), 2)
}
