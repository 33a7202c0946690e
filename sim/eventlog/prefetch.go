package eventlog

import (
	"context"
	"runtime"

	"github.com/guardsim/guardsim/engine"
)

// Decoding ahead: with two or more CPUs the Reader decodes, merges and
// numbers the events on a goroutine of its own while the caller (the
// engine) consumes the batches decoded before. A replay then uses two
// cores: decoding a Parquet file and running the engine cost about the
// same. The events and their order are exactly those of decoding on the
// caller's goroutine; only the batch boundaries Read returns differ.

const (
	prefetchBatch = 8192 // events per batch handed over
	prefetchDepth = 3    // batches decoded ahead
)

// prefetchOn reports whether a new Reader decodes ahead.
func prefetchOn() bool { return runtime.GOMAXPROCS(0) > 1 }

// prefetch is the hand-over between the decoding goroutine and Read.
type prefetch struct {
	full chan aheadBatch     // decoded batches, in order
	free chan []engine.Event // consumed buffers, for reuse
	quit chan struct{}       // closed by stop
	done chan struct{}       // closed when the goroutine has returned

	cur aheadBatch // the batch Read is consuming
	pos int
}

// aheadBatch is a decoded batch: its events, then (if set) the error that
// ended the stream (io.EOF at its end).
type aheadBatch struct {
	evs []engine.Event
	err error
}

// readAhead is Read through the decoding goroutine, started on first use.
// The goroutine decodes at most prefetchDepth batches ahead; Close stops
// it, and a cancelled ctx only ends the Read waiting on it.
func (r *Reader) readAhead(ctx context.Context, buf []engine.Event) (int, error) {
	p := r.pre
	if p == nil {
		p = &prefetch{
			full: make(chan aheadBatch, prefetchDepth),
			free: make(chan []engine.Event, prefetchDepth+2),
			quit: make(chan struct{}),
			done: make(chan struct{}),
		}
		for range prefetchDepth + 2 {
			p.free <- make([]engine.Event, prefetchBatch)
		}
		r.pre = p
		go r.decodeAhead(p)
	}
	for p.pos >= len(p.cur.evs) {
		if p.cur.err != nil {
			return 0, p.cur.err
		}
		if p.cur.evs != nil {
			p.free <- p.cur.evs[:cap(p.cur.evs)]
		}
		select {
		case b := <-p.full:
			p.cur, p.pos = b, 0
		case <-ctx.Done():
			p.cur, p.pos = aheadBatch{}, 0
			return 0, ctx.Err()
		}
	}
	n := copy(buf, p.cur.evs[p.pos:])
	p.pos += n
	return n, nil
}

// decodeAhead fills free buffers with the next events until the end of
// the stream, an error, or stop.
func (r *Reader) decodeAhead(p *prefetch) {
	ctx := context.Background() // stopped through p.quit
	defer close(p.done)
	for {
		var buf []engine.Event
		select {
		case buf = <-p.free:
		case <-p.quit:
			return
		}
		r.mu.Lock()
		n, err := r.readMerged(ctx, buf)
		r.mu.Unlock()
		r.number(buf[:n])
		select {
		case p.full <- aheadBatch{evs: buf[:n], err: err}:
		case <-p.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

// stop ends the decoding goroutine and waits for it.
func (p *prefetch) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}
