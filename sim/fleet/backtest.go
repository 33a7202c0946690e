package fleet

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim/eventlog"
)

// Decision is how one rollout ended under one policy.
type Decision struct {
	Status engine.Status `json:"status"`
	Reason engine.Reason `json:"reason,omitempty"`
	Metric string        `json:"metric,omitempty"`
	// Elapsed is the time from the start to the end (or the last check).
	Elapsed time.Duration `json:"elapsed"`
	Percent float64       `json:"percent"`
	// NewContexts is the number of contexts exposed to the new variation.
	NewContexts int `json:"new_contexts"`
	// Alerts is the number of alerts the replay raised (recorded in
	// process, never sent).
	Alerts int `json:"alerts"`
}

// Stopped reports whether the rollout was stopped (rolled back or halted),
// for any reason.
func (d Decision) Stopped() bool {
	return d.Status == engine.StatusRolledBack || d.Status == engine.StatusHalted
}

// Detected reports whether the rollout was stopped for a regression.
func (d Decision) Detected() bool { return d.Stopped() && d.Reason == engine.ReasonRegression }

// Row is one rollout's decisions under every policy, in policy order.
type Row struct {
	ID    string `json:"id"`
	Label Label  `json:"label"`
	// Err is why the rollout could not be backtested (Decisions is empty).
	Err       string     `json:"err,omitempty"`
	Decisions []Decision `json:"decisions,omitempty"`
}

// Options tune a backtest.
type Options struct {
	// Workers is the number of rollouts replayed at once (default
	// runtime.GOMAXPROCS(0)); memory grows with it, not with the fleet.
	Workers int
	// Tolerance is how far back in time a row may go within a file.
	Tolerance time.Duration
	// Progress, when non-nil, is called after each rollout with the number
	// done and the total; calls are serialised.
	Progress func(done, total int)
}

// recorder is the in-process alert sink of a replay: it counts alerts and
// sends nothing, so a backtest can never page anyone.
type recorder struct{ n int }

// Notify counts alert events (triggers and resolves), not change events.
func (r *recorder) Notify(_ context.Context, a engine.Alert) error {
	if !a.Kind.IsChange() {
		r.n++
	}
	return nil
}

// ReplayEntry replays one rollout under every policy (policies[0] is
// normally the recorded one). An error names the rollout's files.
func ReplayEntry(ctx context.Context, e Entry, policies []Policy, tolerance time.Duration) Row {
	row := Row{ID: e.ID, Label: e.Label}
	if e.Err != "" {
		row.Err = e.Err
		return row
	}
	ds, err := replayAll(ctx, e, policies, tolerance)
	if err != nil {
		row.Err = err.Error()
		return row
	}
	row.Decisions = ds
	return row
}

func replayAll(ctx context.Context, e Entry, policies []Policy, tolerance time.Duration) ([]Decision, error) {
	s, err := scenarios.LoadRollout(e.Rollout)
	if err != nil {
		return nil, err
	}
	base, err := s.Policy()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Rollout, err)
	}
	ds := make([]Decision, len(policies))
	for i, pol := range policies {
		p, err := pol.Apply(base)
		if err != nil {
			return nil, fmt.Errorf("policy %s on %s: %w", pol.Name, e.Rollout, err)
		}
		d, err := replay(ctx, e.Events, p, tolerance)
		if err != nil {
			return nil, err
		}
		ds[i] = d
	}
	return ds, nil
}

// replay runs the events through p as `guardsim replay` does.
func replay(ctx context.Context, events []string, p engine.Policy, tolerance time.Duration) (Decision, error) {
	rd, err := eventlog.Open(ctx, events, eventlog.ReadOptions{
		FlagKey:             p.FlagKey,
		MetricKeys:          p.MetricKeys(),
		OutOfOrderTolerance: tolerance,
		SharedKeyStorage:    true, // the engine copies the keys it keeps
	})
	if err != nil {
		return Decision{}, err
	}
	defer rd.Close()
	rec := &recorder{}
	eo := engine.Options{Notifier: rec}
	if t, ok := rd.Start(); ok {
		eo.Start = t
	}
	r, err := engine.NewRollout(p, eo)
	if err != nil {
		return Decision{}, err
	}
	defer r.Release() // its memory goes to the next entry's rollout
	res, err := r.Feed(ctx, rd, time.Time{})
	if err != nil {
		return Decision{}, err
	}
	o := res.Outcome
	return Decision{Status: o.Status, Reason: o.Reason, Metric: o.Metric, Elapsed: o.Elapsed, Percent: o.Percent, NewContexts: o.NewContexts, Alerts: rec.n}, nil
}

// Backtest replays every entry under every policy on opts.Workers
// goroutines and returns the rows in entry order. Rollouts that fail are
// rows with Err set; the result does not depend on the number of workers.
// Cancelling ctx stops it with the context's error.
func Backtest(ctx context.Context, entries []Entry, policies []Policy, opts Options) ([]Row, error) {
	if len(policies) == 0 {
		return nil, errors.New("fleet: no policies")
	}
	seen := map[string]bool{}
	for _, p := range policies {
		if seen[p.Name] {
			return nil, fmt.Errorf("fleet: policy name %q given twice", p.Name)
		}
		seen[p.Name] = true
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rows := make([]Row, len(entries))
	var next atomic.Int64
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(entries)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(entries) || ctx.Err() != nil {
					return
				}
				rows[i] = ReplayEntry(ctx, entries[i], policies, opts.Tolerance)
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(done, len(entries))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}
