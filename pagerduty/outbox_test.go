package pagerduty

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutboxDeliversInOrderPerKeyAndMarksTheSpool(t *testing.T) {
	rm := startMock(t, MockOptions{RateLimitFirst: 3, FailFirst: 2})
	c, _ := newTestClient(t, rm.URL(), nil)
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	o, err := OpenOutbox(spool, c, OutboxOptions{})
	require.NoError(t, err)
	for _, f := range []string{"a", "b", "c"} {
		require.NoError(t, o.Notify(context.Background(), regression(f)))
		require.NoError(t, o.Notify(context.Background(), reverted(f)))
	}
	require.NoError(t, o.Close(context.Background()))
	assert.Empty(t, o.Undelivered())
	incs := rm.Incidents()
	require.Len(t, incs, 3)
	for _, inc := range incs {
		assert.Equal(t, IncidentResolved, inc.Status, inc.DedupKey)
		assert.Equal(t, 1, inc.Triggers)
	}
	for _, ev := range rm.Events() {
		assert.NotEqual(t, EffectDroppedUnknown, ev.Effect, "a resolve overtook its trigger")
	}
	data, err := os.ReadFile(spool)
	require.NoError(t, err)
	assert.Equal(t, 6, strings.Count(string(data), `"op":"queued"`))
	assert.Equal(t, 6, strings.Count(string(data), `"op":"delivered"`))
	assert.NotContains(t, string(data), testKey)

	// Reopening a fully delivered spool resends nothing.
	o2, err := OpenOutbox(spool, c, OutboxOptions{})
	require.NoError(t, err)
	require.NoError(t, o2.Close(context.Background()))
	assert.Empty(t, o2.Entries())
	assert.Equal(t, 6, rm.Stats().Accepted)
}

// A process that dies with alerts unsent (here: the delivery context is
// cancelled mid-retry) leaves them in the spool; the next process resends
// them with the same dedup key: one incident, opened once, resolved once.
func TestOutboxResendsAfterARestart(t *testing.T) {
	fc := newFakeClock()
	rm := startMock(t, MockOptions{RateLimitFirst: 1000, Now: fc.Now})
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	blocked := make(chan struct{}, 1)
	c1 := clockedClient(t, rm.URL(), fc, func(c *Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case blocked <- struct{}{}:
			default:
			}
			<-ctx.Done() // the "crash": never wakes up until cancelled
			return ctx.Err()
		}
	})
	o1, err := OpenOutbox(spool, c1, OutboxOptions{})
	require.NoError(t, err)
	require.NoError(t, o1.Notify(context.Background(), regression("f")))
	require.NoError(t, o1.Notify(context.Background(), reverted("f")))
	<-blocked
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, o1.Close(ctx))
	und := o1.Undelivered()
	require.Len(t, und, 2)
	assert.Contains(t, und[1].Error, "earlier alert", "the resolve was held behind its trigger")
	assert.Zero(t, rm.Stats().Accepted)

	// Restart against a healthy endpoint.
	rm2 := startMock(t, MockOptions{})
	c2, _ := newTestClient(t, rm2.URL(), nil)
	o2, err := OpenOutbox(spool, c2, OutboxOptions{})
	require.NoError(t, err)
	require.NoError(t, o2.Close(context.Background()))
	es := o2.Entries()
	require.Len(t, es, 2)
	for _, e := range es {
		assert.True(t, e.Resent)
		assert.Equal(t, EntryDelivered, e.State)
	}
	incs := rm2.Incidents()
	require.Len(t, incs, 1)
	assert.Equal(t, "default:production:f", incs[0].DedupKey)
	assert.Equal(t, IncidentResolved, incs[0].Status)
	assert.Equal(t, 2, rm2.Stats().Accepted)
}

func TestOutboxSpoolErrors(t *testing.T) {
	dir := t.TempDir()
	c, _ := newTestClient(t, "http://127.0.0.1:1", nil)
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\"op\":\"queued\",\"id\":1,\"alert\":{}}\nnot json\n{\"op\":\"delivered\",\"id\":1}\n"), 0o644))
	_, err := OpenOutbox(bad, c, OutboxOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.jsonl: line 2")
	// A torn last line (killed mid-write) is ignored.
	torn := filepath.Join(dir, "torn.jsonl")
	require.NoError(t, os.WriteFile(torn, []byte("{\"op\":\"queued\",\"id\":1,\"alert\":{\"kind\":\"regression_detected\"}}\n{\"op\":\"deliv"), 0o644))
	o, err := OpenOutbox(torn, c, OutboxOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = o.Close(ctx)
	require.Len(t, o.Entries(), 1)
}

// The Check of issue 12: 10,000 alerts through a faulty endpoint (rate
// limits, 5xx, dropped connections) lose nothing.
func TestOutboxLoadWithFaultsLosesNothing(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	rm := startMock(t, MockOptions{RateLimitEvery: 7, FailRate: 0.05, DropRate: 0.02, Seed: 3})
	// Waits are recorded, not slept (each worker's budget runs on the real
	// clock, so it is never spent within the test).
	c, sr := newTestClient(t, rm.URL(), nil)
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	o, err := OpenOutbox(spool, c, OutboxOptions{Workers: 8, NoSync: true})
	require.NoError(t, err)
	for i := range n / 2 {
		f := fmt.Sprintf("flag-%05d", i)
		require.NoError(t, o.Notify(context.Background(), regression(f)))
		require.NoError(t, o.Notify(context.Background(), reverted(f)))
	}
	require.NoError(t, o.Close(context.Background()))
	assert.Empty(t, o.Undelivered())
	assert.Len(t, o.Entries(), n)
	st := rm.Stats()
	assert.Equal(t, n, st.Accepted)
	assert.Equal(t, n/2, st.Incidents)
	assert.Zero(t, st.Open, "every incident resolved")
	assert.Positive(t, st.RateLimited)
	assert.Positive(t, st.ServerErrors)
	assert.Positive(t, st.Dropped)
	for _, inc := range rm.Incidents() {
		require.Equal(t, 1, inc.Triggers, inc.DedupKey)
	}
	assert.NotEmpty(t, sr.all(), "faults were retried")
	data, err := os.ReadFile(spool)
	require.NoError(t, err)
	assert.Equal(t, n, strings.Count(string(data), `"op":"delivered"`), "every alert marked in the spool")
}
