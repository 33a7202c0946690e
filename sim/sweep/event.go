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
// rolled-back or completed rollout costs no more than its own run. bt
// keeps the generator's bucket values for the next rollout with the same
// seed (nil: none kept).
func simulateEvent(ctx context.Context, c *cellPlan, seed uint64, bt *sim.BucketTable) (outcome, error) {
	p := c.pol
	p.Seed = bucketSeed(seed)
	m := c.model
	m.Seed = seed
	r, err := engine.NewRollout(p, engine.Options{Start: m.Start})
	if err != nil {
		return outcome{}, err
	}
	defer r.Release() // its memory goes to the next rollout of the sweep
	g, err := sim.NewGeneratorBuckets(m, r.Policy().Seed, r, bt)
	if err != nil {
		return outcome{}, err
	}
	res, err := r.Feed(ctx, &untilDone{src: g, r: r}, time.Time{})
	if err != nil {
		return outcome{}, err
	}
	return outcomeOf(c.model, res), nil
}

// outcomeOf is the sweep outcome of an engine result: its outcome, the
// effect's onset and, for a regression, the metrics flagged at the last
// check (the one that ended the rollout).
func outcomeOf(m sim.Model, res *engine.Result) outcome {
	o := fromEngine(res.Outcome)
	o.onset = effectOnset(m, res)
	if o.reason == rsRegression && len(res.Timeline) > 0 {
		for i, mc := range res.Timeline[len(res.Timeline)-1].Metrics {
			if mc.Regressed {
				o.regressed |= metricBit(i)
			}
		}
	}
	return o
}

// effectOnset is when the model's effect began in a rollout, in ns from its
// start: its start time, or the start of its step (the time of the check
// that advanced into it); 0 without an effect.
func effectOnset(m sim.Model, res *engine.Result) int64 {
	for _, mm := range m.Metrics {
		if mm.Effect == 0 {
			continue
		}
		if mm.EffectStep <= 1 {
			return int64(mm.EffectStart)
		}
		for _, c := range res.Timeline {
			if c.Decision == engine.DecisionAdvance && c.Step+1 == mm.EffectStep {
				return c.Time.Sub(m.Start).Nanoseconds()
			}
		}
		return 0
	}
	return 0
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
