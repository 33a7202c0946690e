package engine_test

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// recorded is an alert notifier that keeps what it was sent.
type recorded struct{ kinds []string }

func (r *recorded) Notify(_ context.Context, a engine.Alert) error {
	r.kinds = append(r.kinds, string(a.Kind)+"@"+a.Time.Format(time.RFC3339))
	return nil
}

// kindsStream is a hand-made stream over 30 hours with a percentile
// metric whose first step holds more values per arm than a quantile
// sample keeps (so the reservoir's generator runs) and a ratio metric.
func kindsStream() (engine.Policy, []engine.Event) {
	p := basePolicy()
	p.Metrics = []engine.Metric{
		{Key: "latency", Kind: engine.Percentile, Quantile: 0.9, Direction: engine.LowerIsBetter},
		{Key: "error_rate", Kind: engine.Ratio, Numerator: "errors", Denominator: "requests", Direction: engine.LowerIsBetter},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var s stream
	for h := 0; h < 30; h++ {
		n, k := 20, 2
		if h < 2 {
			n, k = 200, 400 // 160,000 values per arm in step 1
		}
		d := time.Duration(h)*time.Hour + time.Minute
		for i := 0; i < n; i++ {
			for _, v := range []engine.Variation{engine.Original, engine.New} {
				key := "h" + strconv.Itoa(h) + v.String() + strconv.Itoa(i)
				s.expose(d, key, v)
				scale := 1.0
				if v == engine.New && h >= 12 {
					scale = 1.4
				}
				for j := 0; j < k; j++ {
					s.metric(d+time.Second, key, 0, scale*math.Exp(rng.NormFloat64()))
				}
				s.metric(d+2*time.Second, key, 3, float64(1+rng.IntN(5)))
				if rng.Float64() < 0.1*scale {
					s.metric(d+3*time.Second, key, 2, 1)
				}
			}
		}
	}
	sortByTime(&s)
	return p, s.evs
}

type snapCase struct {
	name string
	p    engine.Policy
	evs  []engine.Event
	opts engine.Options
}

func snapCases(t *testing.T) []snapCase {
	t.Helper()
	var cases []snapCase
	p, evs := libStream(t, 0.5)
	cases = append(cases, snapCase{"regression, context IDs", p, evs, engine.Options{Start: t0}})
	// The engine buckets and looks keys up: no variation, no IDs on a third.
	bucketed := make([]engine.Event, len(evs))
	for i, ev := range evs {
		if ev.Kind == engine.KindExposure {
			ev.Variation = engine.Unassigned
		}
		if i%3 == 0 {
			ev.ContextID = 0
		}
		bucketed[i] = ev
	}
	cases = append(cases, snapCase{"engine bucketing, mixed keys and IDs", p, bucketed, engine.Options{Start: t0}})
	pa, evsA := libStream(t, 0)
	cases = append(cases, snapCase{"A/A", pa, evsA, engine.Options{Start: t0}})
	pk, evsK := kindsStream()
	cases = append(cases, snapCase{"percentile and ratio metrics", pk, evsK, engine.Options{Start: t0}})
	pm := basePolicy()
	pm.Metrics[0].NoAutoRollback = true
	pm.Actions = []engine.Action{{At: 6 * time.Hour, Kind: engine.ActionDismiss}, {At: 9 * time.Hour, Kind: engine.ActionPause}, {At: 12 * time.Hour, Kind: engine.ActionResume}}
	s := regressing()
	for h := 0; h < 21; h += 2 { // contexts seen in both arms (a health check)
		s.expose(time.Duration(h)*time.Hour+30*time.Minute, "h"+itoa(h)+"-new-0", engine.Original)
	}
	s.expose(40*time.Hour, "late", engine.Original)
	sortByTime(s)
	cases = append(cases, snapCase{"halt, dismiss, pause", pm, s.evs, engine.Options{Start: t0}})
	cases = append(cases, snapCase{"out-of-order window", p, jitter(evs, 20*time.Minute, 9), engine.Options{Start: t0, Reorder: 20 * time.Minute}})
	return cases
}

func feedAll(t *testing.T, r *engine.Rollout, evs []engine.Event) {
	t.Helper()
	for i := range evs {
		require.NoError(t, r.Observe(context.Background(), &evs[i]), "event %d", i)
	}
}

// A rollout restored from a snapshot taken anywhere in the stream and fed
// the rest gives the uninterrupted run's result (timeline, outcome,
// alerts), byte for byte.
func TestSnapshotRestoreIsExact(t *testing.T) {
	ctx := context.Background()
	for _, c := range snapCases(t) {
		t.Run(c.name, func(t *testing.T) {
			evs := append([]engine.Event(nil), c.evs...)
			var wantAlerts recorded
			opts := c.opts
			opts.Notifier = &wantAlerts
			ref, err := engine.NewRollout(c.p, opts)
			require.NoError(t, err)
			feedAll(t, ref, evs)
			want := resultJSON(t, ref.Close(ctx, time.Time{}))

			for _, frac := range []float64{0.03, 0.2, 0.37, 0.55, 0.81, 1} {
				cut := int(frac * float64(len(evs)))
				var alerts recorded
				opts := c.opts
				opts.Notifier = &alerts
				r, err := engine.NewRollout(c.p, opts)
				require.NoError(t, err)
				feedAll(t, r, evs[:cut])
				snap, err := r.Snapshot()
				require.NoError(t, err)
				// Taking a snapshot changes nothing, and it is deterministic.
				again, err := r.Snapshot()
				require.NoError(t, err)
				require.Equal(t, snap, again)

				var rows []engine.Check
				opts.OnDecision = func(c engine.Check) { rows = append(rows, c) }
				restored, err := engine.Restore(c.p, opts, snap)
				require.NoError(t, err)
				before := restored.TimelineLen()
				assert.Equal(t, r.TimelineLen(), before)
				assert.Equal(t, r.Pending(), restored.Pending())
				feedAll(t, restored, evs[cut:])
				got := restored.Close(ctx, time.Time{})
				assert.Equal(t, want, resultJSON(t, got), "snapshot after %d of %d events", cut, len(evs))
				assert.Equal(t, wantAlerts.kinds, alerts.kinds, "alerts before the snapshot and after the restore")
				assert.Len(t, rows, len(got.Timeline)-before, "the callback sees the rows made after the restore")
			}
		})
	}
}

func TestSnapshotOfARestoredRollout(t *testing.T) {
	ctx := context.Background()
	p, evs := kindsStream()
	want := resultJSON(t, inOrder(t, p, evs))
	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	cuts := []int{len(evs) / 5, len(evs) / 2, len(evs) * 9 / 10, len(evs)}
	last := 0
	for _, cut := range cuts {
		feedAll(t, r, evs[last:cut])
		last = cut
		snap, err := r.Snapshot()
		require.NoError(t, err)
		r, err = engine.Restore(p, engine.Options{}, snap)
		require.NoError(t, err)
	}
	assert.Equal(t, want, resultJSON(t, r.Close(ctx, time.Time{})))
}

func TestRestoreRefusesBadSnapshots(t *testing.T) {
	p, evs := libStream(t, 0)
	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	feedAll(t, r, evs[:len(evs)/2])
	snap, err := r.Snapshot()
	require.NoError(t, err)

	restore := func(b []byte) error {
		_, err := engine.Restore(p, engine.Options{}, b)
		return err
	}
	require.NoError(t, restore(snap))

	v2 := append([]byte(nil), snap...)
	binary.BigEndian.PutUint16(v2[len("guardsim-rollout\n"):], 2)
	err = restore(v2)
	require.ErrorIs(t, err, engine.ErrSnapshot)
	assert.ErrorContains(t, err, "format version 2 is not supported (this build reads version 1)")

	for _, at := range []int{len(snap) / 3, len(snap) / 2, len(snap) - 1} {
		bad := append([]byte(nil), snap...)
		bad[at] ^= 0x20
		err = restore(bad)
		require.ErrorIs(t, err, engine.ErrSnapshot)
		assert.ErrorContains(t, err, "checksum mismatch", "byte %d flipped", at)
	}
	err = restore(snap[:len(snap)-100])
	require.ErrorIs(t, err, engine.ErrSnapshot)
	assert.ErrorContains(t, err, "corrupt or truncated")
	err = restore(snap[:10])
	assert.ErrorContains(t, err, "not a guardsim rollout snapshot")
	err = restore([]byte(`{"timeline": []}`))
	assert.ErrorContains(t, err, "not a guardsim rollout snapshot")

	other := p
	other.Alpha = 0.01
	_, err = engine.Restore(other, engine.Options{}, snap)
	require.ErrorIs(t, err, engine.ErrSnapshot)
	assert.ErrorContains(t, err, "another policy")

	// A detector without snapshot support: Snapshot says so.
	ps := basePolicy()
	ps.Detector = scriptedFactory{}
	rs, err := engine.NewRollout(ps, engine.Options{Start: t0})
	require.NoError(t, err)
	_, err = rs.Snapshot()
	assert.ErrorContains(t, err, "detector scripted of metric \"latency\" does not implement engine.StatefulDetector")

	// Held events need the window on restore.
	rw, err := engine.NewRollout(p, engine.Options{Start: t0, Reorder: time.Hour})
	require.NoError(t, err)
	feedAll(t, rw, evs[:100])
	require.NotZero(t, rw.Pending())
	snapW, err := rw.Snapshot()
	require.NoError(t, err)
	err = restore(snapW)
	require.ErrorIs(t, err, engine.ErrSnapshot)
	assert.ErrorContains(t, err, "out-of-order window")
}
