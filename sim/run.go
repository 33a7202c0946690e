package sim

import (
	"context"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Tee is an engine.Source that passes events through and hands each batch
// to a sink (e.g. a Parquet writer) on the way.
type Tee struct {
	Src  engine.Source
	Sink func(evs []engine.Event) error
}

// Read implements engine.Source.
func (t *Tee) Read(ctx context.Context, buf []engine.Event) (int, error) {
	n, err := t.Src.Read(ctx, buf)
	if n > 0 {
		if serr := t.Sink(buf[:n]); serr != nil {
			return n, serr
		}
	}
	return n, err
}

// Simulate runs a rollout of policy p on the model's synthetic stream and
// returns the result. sink, when non-nil, receives every event (to write
// the stream out). The rollout closes at the model's horizon.
func Simulate(ctx context.Context, p engine.Policy, m Model, opts engine.Options, sink func([]engine.Event) error) (*engine.Result, error) {
	if opts.Start.IsZero() {
		opts.Start = m.Start
	}
	r, err := engine.NewRollout(p, opts)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	g, err := NewGenerator(m, r.Policy().Seed, r)
	if err != nil {
		return nil, err
	}
	var src engine.Source = g
	if sink != nil {
		src = &Tee{Src: g, Sink: sink}
	}
	return r.Feed(ctx, src, time.Time{})
}
