package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// BatchSize is the number of events Feed reads from a source at a time.
const BatchSize = 4096

// BatchSource is a Source that can lend its batches instead of copying
// them: Next returns the next events (possibly with an error, io.EOF at
// the end, like Read), which stay valid until the following call to Next
// or Read. Feed observes them in place.
type BatchSource interface {
	Source
	Next(ctx context.Context) ([]Event, error)
}

// Run feeds every event of src through a new rollout of policy p and closes
// it at the last event's time (or at until, when non-zero).
func Run(ctx context.Context, src Source, p Policy, opts Options, until time.Time) (*Result, error) {
	r, err := NewRollout(p, opts)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	return r.Feed(ctx, src, until)
}

// Feed observes every event of src and closes the rollout at the last
// event's time (or at until, when non-zero). Errors name the event number
// (1-based) in the stream.
func (r *Rollout) Feed(ctx context.Context, src Source, until time.Time) (*Result, error) {
	if s, ok := src.(*SliceSource); ok { // no copy for in-memory streams
		for i := s.pos; i < len(s.Events); i += BatchSize {
			n, err := r.ObserveBatch(ctx, s.Events[i:min(len(s.Events), i+BatchSize)])
			if err != nil {
				return nil, fmt.Errorf("event %d: %w", i+n+1, err)
			}
		}
		s.pos = len(s.Events)
		return r.Close(ctx, until), nil
	}
	bs, lend := src.(BatchSource)
	var buf []Event
	if !lend {
		buf = make([]Event, BatchSize)
	}
	var seen int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var evs []Event
		var rerr error
		if lend {
			evs, rerr = bs.Next(ctx)
		} else {
			var n int
			n, rerr = src.Read(ctx, buf)
			evs = buf[:n]
		}
		n, err := r.ObserveBatch(ctx, evs)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", seen+int64(n)+1, err)
		}
		seen += int64(n)
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	return r.Close(ctx, until), nil
}
