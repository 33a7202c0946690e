package sim

import (
	"context"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Paced is an engine.Source that releases the events of Src no faster than
// the wall clock allows: an event at virtual time t is released at
// wallStart + (t − first)/Speed. Live mode uses it to run the same loop as a
// simulation or a replay in real time (Speed 1) or sped up.
type Paced struct {
	Src   engine.Source
	Speed float64
	// Now and Sleep default to the wall clock; tests inject fakes.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	buf       []engine.Event
	pos, n    int
	err       error
	started   bool
	first     int64
	wallStart time.Time
}

// Read implements engine.Source. It returns at most the events that are due.
func (p *Paced) Read(ctx context.Context, out []engine.Event) (int, error) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	if p.Speed <= 0 {
		p.Speed = 1
	}
	if p.pos == p.n {
		if p.err != nil {
			return 0, p.err
		}
		if p.buf == nil {
			p.buf = make([]engine.Event, len(out))
		}
		p.n, p.err = p.Src.Read(ctx, p.buf)
		p.pos = 0
		if p.n == 0 {
			return 0, p.err
		}
	}
	ev := p.buf[p.pos]
	if !p.started {
		p.started, p.first, p.wallStart = true, ev.Time, p.Now()
	}
	due := p.wallStart.Add(time.Duration(float64(ev.Time-p.first) / p.Speed))
	if wait := due.Sub(p.Now()); wait > 0 {
		if err := p.Sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
	// Release every buffered event that is due now.
	now := p.Now()
	k := 0
	for p.pos < p.n && k < len(out) {
		ev := p.buf[p.pos]
		if p.wallStart.Add(time.Duration(float64(ev.Time-p.first)/p.Speed)).After(now) && k > 0 {
			break
		}
		out[k] = ev
		k++
		p.pos++
	}
	return k, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
