package pagerduty

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// TestLoadWithFaults pushes 10,000 alerts (1,000 with -short) through the
// client into a mock that rate-limits every 7th request, fails 12% with a
// 5xx and drops 1% of connections, and checks every alert is accounted for.
func TestLoadWithFaults(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 1_000
	}
	const workers = 8
	rm := startMock(t, MockOptions{RateLimitEvery: 7, FailRate: 0.12, DropRate: 0.01, Seed: 11})
	c, sr := newTestClient(t, rm.URL(), func(c *Config) {
		c.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}
	})

	// Alerts: per flag a trigger, and for even flags a resolve after it.
	type job struct{ a engine.Alert }
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failedKeys := map[string]int{}
	var errCount int
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := c.Notify(context.Background(), j.a); err != nil {
					mu.Lock()
					errCount++
					failedKeys[j.a.DedupKey()+"/"+string(j.a.Kind)]++
					mu.Unlock()
				}
			}
		}()
	}
	sent := 0
	for i := 0; sent < n; i++ {
		flag := fmt.Sprintf("flag-%05d", i)
		jobs <- job{regression(flag)}
		sent++
		if i%2 == 0 && sent < n {
			jobs <- job{reverted(flag)}
			sent++
		}
	}
	close(jobs)
	wg.Wait()

	st := c.Stats()
	ms := rm.Stats()
	t.Logf("alerts %d: delivered %d, failed %d, attempts %d; mock %+v; backoff waits %d", n, st.Delivered, st.Failed, st.Attempts, ms, len(sr.all()))
	require.Len(t, c.Deliveries(), n)
	assert.Equal(t, n, st.Delivered+st.Failed, "every alert accounted for")
	assert.Equal(t, errCount, st.Failed, "Notify errors match failed deliveries")
	assert.Positive(t, st.Failed, "with 3 attempts some alerts must fail under these faults")
	assert.Equal(t, st.Delivered, ms.Accepted, "the mock accepted exactly the delivered alerts")
	assert.Equal(t, st.Attempts, ms.Requests, "every attempt reached the mock")
	assert.Equal(t, ms.Requests, ms.Accepted+ms.RateLimited+ms.ServerErrors+ms.Dropped)
	assert.Zero(t, ms.Rejected, "no body was ever damaged by a retry")
	assert.Positive(t, ms.RateLimited)
	assert.Positive(t, ms.ServerErrors)
	assert.Positive(t, ms.Dropped)

	// Each delivered alert was accepted exactly once; failed ones never.
	accepted := map[string]int{}
	for _, e := range rm.Events() {
		if e.Outcome == OutcomeAccepted {
			accepted[e.DedupKey+"/"+e.Action]++
		}
	}
	for _, d := range c.Deliveries() {
		k := d.DedupKey + "/" + d.Action
		if d.Delivered {
			assert.Equal(t, 1, accepted[k], k)
			assert.LessOrEqual(t, d.Attempts, 3)
		} else {
			assert.Zero(t, accepted[k], k)
			assert.Equal(t, 3, d.Attempts, "failures only after all attempts: %s", d.Error)
			assert.Equal(t, 1, failedKeys[d.DedupKey+"/"+string(d.Alert.Kind)])
		}
	}

	// No duplicate incidents: one per flag whose trigger was delivered.
	perKey := map[string]int{}
	for _, inc := range rm.Incidents() {
		perKey[inc.DedupKey]++
		assert.Equal(t, 1, inc.Triggers)
	}
	for k, cnt := range perKey {
		assert.Equal(t, 1, cnt, k)
	}
	triggers := 0
	for _, d := range c.Deliveries() {
		if d.Delivered && d.Action == ActionTrigger {
			triggers++
		}
	}
	assert.Equal(t, triggers, len(perKey))
	assert.Equal(t, triggers, ms.Incidents)
}

func BenchmarkClientDeliver(b *testing.B) {
	rm := startMock(b, MockOptions{})
	c, _ := newTestClient(b, rm.URL(), nil)
	a := regression("bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Notify(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}
