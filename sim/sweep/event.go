package sweep

import (
	"context"
	"io"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// simulateEvent runs one event-level rollout of a cell. The stream stops
// once the rollout has ended: the events after the end change nothing a
// sweep records (elapsed time, new contexts, status and reason), so a
// rolled-back or completed rollout costs no more than its own run.
func simulateEvent(ctx context.Context, c *cellPlan, seed uint64) (outcome, error) {
	p := c.pol
	p.Seed = bucketSeed(seed)
	m := c.model
	m.Seed = seed
	r, err := engine.NewRollout(p, engine.Options{Start: m.Start})
	if err != nil {
		return outcome{}, err
	}
	g, err := sim.NewGenerator(m, r.Policy().Seed, r)
	if err != nil {
		return outcome{}, err
	}
	res, err := r.Feed(ctx, &untilDone{src: g, r: r}, time.Time{})
	if err != nil {
		return outcome{}, err
	}
	return fromEngine(res.Outcome), nil
}

// untilDone ends a source once the rollout it feeds is done.
type untilDone struct {
	src engine.Source
	r   *engine.Rollout
}

func (u *untilDone) Read(ctx context.Context, buf []engine.Event) (int, error) {
	if u.r.Done() {
		return 0, io.EOF
	}
	return u.src.Read(ctx, buf)
}
