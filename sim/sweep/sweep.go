package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/sim"
)

// DefaultReps is the default number of replications per cell.
const DefaultReps = 1000

// Config is a sweep to run.
type Config struct {
	// Name labels the result (the scenario's name).
	Name string
	// Policy is the base policy every cell starts from.
	Policy engine.Policy
	// Model is the base simulation model.
	Model sim.Model
	// FixedHorizon keeps Model.Horizon in every cell. When false, each
	// cell's horizon is recomputed to cover every step with its extension
	// under the cell's policy (as for a scenario without an explicit
	// horizon, whose default depends on the step durations).
	FixedHorizon bool
	// Grid is the parameter grid (see ParseGrid).
	Grid string
	// Reps is the number of rollouts per cell (default DefaultReps).
	Reps int
	// Seed is the global seed; rollout i of every cell uses the seed
	// derived from (Seed, i) (common random numbers across cells).
	Seed uint64
	// Fidelity is Aggregate (default) or EventLevel.
	Fidelity Fidelity
	// Workers is the number of goroutines (default runtime.GOMAXPROCS(0)).
	// The result does not depend on it.
	Workers int
	// Metric is the key of the metric the effect applies to (default: the
	// scenario's first metric).
	Metric string
	// Progress, when non-nil, is called after each batch of rollouts with
	// the number done so far and the total (cells × reps). Calls are
	// serialised and done never decreases; it is called with done == total
	// when the last batch finishes.
	Progress func(done, total int)
}

// cellPlan is one grid cell, ready to simulate.
type cellPlan struct {
	params []Param
	pol    engine.Policy
	model  sim.Model
	agg    *aggPlan
	effect float64
}

// Run runs the sweep. Cancelling ctx stops the workers and returns the
// context's error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Reps == 0 {
		cfg.Reps = DefaultReps
	}
	if cfg.Reps < 0 {
		return nil, fmt.Errorf("sweep: reps %d must be positive", cfg.Reps)
	}
	switch cfg.Fidelity {
	case "":
		cfg.Fidelity = Aggregate
	case Aggregate, EventLevel:
	default:
		return nil, fmt.Errorf("sweep: fidelity %q must be %s or %s", cfg.Fidelity, Aggregate, EventLevel)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	grid, err := ParseGrid(cfg.Grid)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	cells, err := plan(cfg, grid)
	if err != nil {
		return nil, fmt.Errorf("sweep: scenario %s: %w", cfg.Name, err)
	}
	outs := make([][]outcome, len(cells))
	for i := range outs {
		outs[i] = make([]outcome, cfg.Reps)
	}
	if err := execute(ctx, cfg, cells, outs); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	res := &Result{
		Scenario: cfg.Name,
		Fidelity: cfg.Fidelity,
		Seed:     cfg.Seed,
		Reps:     cfg.Reps,
		Grid:     cfg.Grid,
		Cells:    make([]Cell, len(cells)),
	}
	for i, c := range cells {
		res.Cells[i] = summarise(c, outs[i])
	}
	return res, nil
}

// plan builds the policy, model and aggregate plan of every cell.
func plan(cfg Config, grid Grid) ([]cellPlan, error) {
	base := cfg.Policy
	model := cfg.Model
	metric := 0
	if cfg.Metric != "" {
		i, ok := base.MetricIndex(cfg.Metric)
		if !ok {
			keys := make([]string, len(base.Metrics))
			for j, m := range base.Metrics {
				keys[j] = m.Key
			}
			return nil, fmt.Errorf("metric %q is not in the scenario (metrics: %v)", cfg.Metric, keys)
		}
		metric = i
	}
	if len(base.Metrics) == 0 {
		return nil, errors.New("the scenario has no metrics")
	}
	model.AnalysedOnly = true
	recompute := !cfg.FixedHorizon
	var cells []cellPlan
	for _, params := range grid.Cells() {
		p, m, err := apply(base, model, metric, params, recompute)
		if err != nil {
			return nil, err
		}
		c := cellPlan{params: params, pol: p, model: m, effect: m.Metrics[metric].Effect}
		if cfg.Fidelity == Aggregate {
			if c.agg, err = newAggPlan(p, m); err != nil {
				return nil, fmt.Errorf("cell %s: %w", cellName(params), err)
			}
		}
		cells = append(cells, c)
	}
	return cells, nil
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// RepSeed is the seed of replication rep under the global seed: the same
// in every cell and for any number of workers.
func RepSeed(seed uint64, rep int) uint64 {
	return splitmix(seed ^ splitmix(uint64(rep)+0x632be59bd9b4e019))
}

// bucketSeed is the engine's bucketing seed for a replication.
func bucketSeed(repSeed uint64) int64 {
	return int64(splitmix(repSeed^0x8cb92ba72f3d8dd7) % 1_000_000_000)
}

// execute runs every (cell, rep) on cfg.Workers goroutines; outs[c][i] is
// the outcome of rep i of cell c.
func execute(ctx context.Context, cfg Config, cells []cellPlan, outs [][]outcome) error {
	chunk := 1
	if cfg.Fidelity == Aggregate {
		chunk = 250
	}
	perCell := (cfg.Reps + chunk - 1) / chunk
	total := len(cells) * perCell
	var (
		progMu   sync.Mutex
		progDone int
	)
	progress := func(n int) {
		if cfg.Progress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		progDone += n
		cfg.Progress(progDone, len(cells)*cfg.Reps)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, cfg.Workers)
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var as *aggSim
			if cfg.Fidelity == Aggregate {
				as = newAggSim()
			}
			for {
				task := int(next.Add(1) - 1)
				if task >= total {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				c, lo := task/perCell, (task%perCell)*chunk
				hi := min(lo+chunk, cfg.Reps)
				cell := &cells[c]
				for i := lo; i < hi; i++ {
					seed := RepSeed(cfg.Seed, i)
					if as != nil {
						outs[c][i] = as.run(cell.agg, seed)
						continue
					}
					o, err := simulateEvent(ctx, cell, seed)
					if err != nil {
						errs[w] = fmt.Errorf("cell %s, rep %d: %w", cellName(cell.params), i, err)
						cancel()
						return
					}
					outs[c][i] = o
				}
				progress(hi - lo)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		// Prefer the first real failure over the cancellations it caused.
		for _, e := range errs {
			if e != nil && !errors.Is(e, context.Canceled) {
				return e
			}
		}
		return err
	}
	return ctx.Err()
}

// simulateEvent runs one event-level rollout of a cell.
func simulateEvent(ctx context.Context, c *cellPlan, seed uint64) (outcome, error) {
	p := c.pol
	p.Seed = bucketSeed(seed)
	m := c.model
	m.Seed = seed
	res, err := sim.Simulate(ctx, p, m, engine.Options{}, nil)
	if err != nil {
		return outcome{}, err
	}
	return fromEngine(res.Outcome), nil
}

func fromEngine(o engine.Outcome) outcome {
	return outcome{elapsed: int64(o.Elapsed), newContexts: int64(o.NewContexts), status: statusCode(o.Status), reason: reasonCode(o.Reason)}
}

func statusCode(s engine.Status) uint8 {
	switch s {
	case engine.StatusCompleted:
		return stCompleted
	case engine.StatusRolledBack:
		return stRolledBack
	case engine.StatusHalted:
		return stHalted
	}
	return stRunning
}

func reasonCode(r engine.Reason) uint8 {
	switch r {
	case engine.ReasonRegression:
		return rsRegression
	case engine.ReasonSRM:
		return rsSRM
	case engine.ReasonInsufficientSample:
		return rsInsufficient
	}
	return rsNone
}

// summarise reduces a cell's outcomes (in replication order) to a Cell.
func summarise(c cellPlan, outs []outcome) Cell {
	cell := Cell{
		Params: c.params,
		Policy: PolicyLabel(c.params),
		Alpha:  c.pol.MetricAlpha(),
		Effect: c.effect,
		Reps:   len(outs),
	}
	if cell.Params == nil {
		cell.Params = []Param{}
	}
	var detect []int64
	var rolledBack, newCtx int64
	var srm, insufficient, completed int
	for _, o := range outs {
		if o.reason == rsRegression && (o.status == stRolledBack || o.status == stHalted) {
			detect = append(detect, o.elapsed)
		}
		if o.status == stRolledBack {
			rolledBack++
			newCtx += o.newContexts
		}
		switch {
		case o.reason == rsSRM:
			srm++
		case o.reason == rsInsufficient:
			insufficient++
		case o.status == stCompleted:
			completed++
		}
	}
	n := float64(len(outs))
	cell.Detections = len(detect)
	if n > 0 {
		cell.Rate = float64(cell.Detections) / n
		cell.SRMShare = float64(srm) / n
		cell.InsufficientShare = float64(insufficient) / n
		cell.CompletedShare = float64(completed) / n
	}
	cell.RateLo, cell.RateHi = stats.Wilson(cell.Detections, len(outs), stats.Z95)
	if rolledBack > 0 {
		cell.NewContextsMean = float64(newCtx) / float64(rolledBack)
	}
	if len(detect) > 0 {
		slices.Sort(detect)
		cell.DetectMedian = time.Duration(quantile(detect, 0.5))
		cell.DetectP90 = time.Duration(quantile(detect, 0.9))
	}
	return cell
}

// quantile is the nearest-rank q-quantile of sorted values.
func quantile(sorted []int64, q float64) int64 {
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	k = max(0, min(k, len(sorted)-1))
	return sorted[k]
}
