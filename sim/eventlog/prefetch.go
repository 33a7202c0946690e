package eventlog

import (
	"context"
	"runtime"

	"github.com/guardsim/guardsim/engine"
)

// Decoding ahead: with two or more CPUs the Reader works as a pipeline of
// three stages, each on its own goroutine: one decodes and merges the
// files into batches, the next numbers the batches' context keys
// (ContextIDs.Assign, which waits on memory more than it computes), and
// the caller (the engine) consumes the numbered batches. The three cost
// about the same in a replay, so with two cores neither core waits for
// the other for long. The events and their order are exactly those of
// decoding on the caller's goroutine; only the batch boundaries Read
// returns differ.

const (
	prefetchBatch = 8192 // events per batch handed over
	prefetchDepth = 3    // batches decoded ahead
)

// prefetchOn reports whether a new Reader decodes ahead.
func prefetchOn() bool { return runtime.GOMAXPROCS(0) > 1 }

// prefetch is the hand-over between the decoding goroutine and Read.
type prefetch struct {
	decoded chan aheadBatch     // decoded batches, in order, to number
	full    chan aheadBatch     // numbered batches, in order
	free    chan []engine.Event // consumed buffers, for reuse
	quit    chan struct{}       // closed by stop
	done    chan struct{}       // closed when both goroutines have returned

	cur aheadBatch // the batch Read is consuming
	pos int
}

// aheadBatch is a decoded batch: its events, then (if set) the error that
// ended the stream (io.EOF at its end).
type aheadBatch struct {
	evs []engine.Event
	err error
}

// readAhead is Read through the decoding and numbering goroutines,
// started on first use. They work at most prefetchDepth batches ahead
// each; Close stops them, and a cancelled ctx only ends the Read waiting
// on them.
func (r *Reader) readAhead(ctx context.Context, buf []engine.Event) (int, error) {
	evs, err := r.ahead().next(ctx, len(buf))
	return copy(buf, evs), err
}

// ahead returns the pipeline, starting it on first use.
func (r *Reader) ahead() *prefetch {
	p := r.pre
	if p == nil {
		p = &prefetch{
			decoded: make(chan aheadBatch, prefetchDepth),
			full:    make(chan aheadBatch, prefetchDepth),
			free:    make(chan []engine.Event, 2*prefetchDepth+3),
			quit:    make(chan struct{}),
			done:    make(chan struct{}),
		}
		for range 2*prefetchDepth + 3 {
			p.free <- make([]engine.Event, prefetchBatch)
		}
		r.pre = p
		decoding := make(chan struct{})
		go r.decodeAhead(p, decoding)
		go r.numberAhead(p, decoding)
	}
	return p
}

// next returns the next at most max events of the current batch, moving
// to the next batch (and releasing the one before) when it is consumed.
// The events stay valid until the next call.
func (p *prefetch) next(ctx context.Context, max int) ([]engine.Event, error) {
	for p.pos >= len(p.cur.evs) {
		if p.cur.err != nil {
			return nil, p.cur.err
		}
		if p.cur.evs != nil {
			p.free <- p.cur.evs[:cap(p.cur.evs)]
		}
		select {
		case b := <-p.full:
			p.cur, p.pos = b, 0
		case <-ctx.Done():
			p.cur, p.pos = aheadBatch{}, 0
			return nil, ctx.Err()
		}
	}
	evs := p.cur.evs[p.pos:]
	evs = evs[:min(len(evs), max)]
	p.pos += len(evs)
	return evs, nil
}

// decodeAhead fills free buffers with the next events until the end of
// the stream, an error, or stop; it closes done when it returns.
func (r *Reader) decodeAhead(p *prefetch, done chan<- struct{}) {
	ctx := context.Background() // stopped through p.quit
	defer close(done)
	for {
		var buf []engine.Event
		select {
		case buf = <-p.free:
		case <-p.quit:
			return
		}
		r.mu.Lock()
		evs, err := r.readBatch(ctx, buf)
		r.mu.Unlock()
		select {
		case p.decoded <- aheadBatch{evs: evs, err: err}:
		case <-p.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

// numberAhead numbers the decoded batches' context keys, in order, and
// hands them to Read, until the batch that ends the stream or stop. It
// closes p.done once it and the decoding goroutine (decoding) have
// returned.
func (r *Reader) numberAhead(p *prefetch, decoding <-chan struct{}) {
	defer func() {
		<-decoding
		close(p.done)
	}()
	for {
		var b aheadBatch
		select {
		case b = <-p.decoded:
		case <-p.quit:
			return
		}
		r.number(b.evs)
		select {
		case p.full <- b:
		case <-p.quit:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// readBatch is readMerged into buf, except that when a single file is
// left and its whole decoded batch is ready, that batch is handed over as
// it is and buf becomes the file's buffer: no copy of the events.
func (r *Reader) readBatch(ctx context.Context, buf []engine.Event) ([]engine.Event, error) {
	if r.err == nil && len(r.active) == 1 {
		s := r.active[0]
		if s.tol == 0 && s.ensure() && s.pos == 0 && cap(s.batch) == cap(buf) && &s.out[0] == &s.batch[0] {
			evs := s.out
			s.batch = buf[:len(s.batch)]
			s.out = nil
			return evs, nil
		}
	}
	n, err := r.readMerged(ctx, buf)
	return buf[:n], err
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
