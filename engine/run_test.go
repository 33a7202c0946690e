package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// lender is a BatchSource lending batches of varying sizes from a slice;
// it overwrites each lent batch at the next call, as a source reusing its
// buffers may.
type lender struct {
	evs   []engine.Event
	pos   int
	calls int
	buf   []engine.Event
}

func (l *lender) Read(_ context.Context, buf []engine.Event) (int, error) {
	evs, err := l.next(len(buf))
	return copy(buf, evs), err
}

func (l *lender) Next(context.Context) ([]engine.Event, error) { return l.next(1 << 30) }

func (l *lender) next(max int) ([]engine.Event, error) {
	for i := range l.buf {
		l.buf[i] = engine.Event{Time: -1, ContextKey: "stale"}
	}
	if l.pos >= len(l.evs) {
		return nil, io.EOF
	}
	l.calls++
	n := min(1+l.calls*37%5000, len(l.evs)-l.pos, max)
	l.buf = append(l.buf[:0], l.evs[l.pos:l.pos+n]...)
	l.pos += n
	return l.buf, nil
}

// readOnly hides everything but Read.
type readOnly struct{ engine.Source }

// TestFeedLendingSourceEqualsRead checks that Feed gives the same result
// from a BatchSource (observing its lent batches in place) as from the
// same events through Read and from a SliceSource.
func TestFeedLendingSourceEqualsRead(t *testing.T) {
	p := mcPolicy(3)
	m := mcModel(3, 0, 0)
	m.AnalysedOnly = false
	m.Traffic.RatePerHour = 3000
	var evs []engine.Event
	_, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(b []engine.Event) error {
		evs = append(evs, b...)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, len(evs), 10000)
	t0 := time.Unix(0, evs[0].Time)
	run := func(src engine.Source) string {
		res, err := engine.Run(context.Background(), src, p, engine.Options{Start: t0}, time.Time{})
		require.NoError(t, err)
		b, err := json.Marshal(res)
		require.NoError(t, err)
		return string(b)
	}
	want := run(&engine.SliceSource{Events: evs})
	l := &lender{evs: evs}
	require.Equal(t, want, run(l))
	require.Greater(t, l.calls, 10)
	require.Equal(t, want, run(readOnly{&lender{evs: evs}}))
}
