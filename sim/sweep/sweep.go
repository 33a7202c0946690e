package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/guardsim/guardsim/engine"
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
	p, err := RunShard(ctx, cfg, Shard{K: 0, N: 1})
	if err != nil {
		return nil, err
	}
	return p.Result()
}

// RunShard runs shard sh of the sweep (replications sh.Reps(cfg.Reps) of
// every cell) and returns its partial result; MergePartials of all the
// shards' partials gives the Result that Run returns.
func RunShard(ctx context.Context, cfg Config, sh Shard) (*Partial, error) {
	if err := sh.Validate(); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	pl, err := NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	lo, hi := sh.Reps(pl.cfg.Reps)
	tallies, err := execute(ctx, pl.cfg, pl.cells, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return pl.partial(sh, tallies), nil
}

// Plan is a validated sweep with every cell's policy and model built: what
// a worker needs to run any replications of any cell.
type Plan struct {
	cfg         Config
	cells       []cellPlan
	fingerprint string
}

// NewPlan validates cfg (filling its defaults) and builds every cell.
func NewPlan(cfg Config) (*Plan, error) {
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
	fp, err := fingerprint(cells)
	if err != nil {
		return nil, fmt.Errorf("sweep: scenario %s: %w", cfg.Name, err)
	}
	return &Plan{cfg: cfg, cells: cells, fingerprint: fp}, nil
}

// NumCells is the number of grid cells.
func (p *Plan) NumCells() int { return len(p.cells) }

// Reps is the number of replications per cell.
func (p *Plan) Reps() int { return p.cfg.Reps }

// Tally runs replications [lo, hi) of cell c on the calling goroutine and
// tallies them.
func (p *Plan) Tally(ctx context.Context, c, lo, hi int) (Tally, error) {
	var t Tally
	if c < 0 || c >= len(p.cells) || lo < 0 || hi > p.cfg.Reps || lo > hi {
		return t, fmt.Errorf("sweep: cell %d reps [%d, %d) outside %d cells × %d reps", c, lo, hi, len(p.cells), p.cfg.Reps)
	}
	var as *aggSim
	var bt *sim.BucketTable
	if p.cfg.Fidelity == Aggregate {
		as = newAggSim()
	} else {
		bt = new(sim.BucketTable) // its arrays serve every replication
	}
	err := runReps(ctx, p.cfg, &p.cells[c], as, bt, lo, hi, &t)
	return t, err
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
		if grid.Has(ParamTailScale) {
			// A tail sweep's effect is the relative tail regression.
			c.effect = math.Round((m.Metrics[metric].TailScale-1)*1e12) / 1e12
		}
		if cfg.Fidelity == Aggregate {
			if len(p.Actions) > 0 {
				return nil, fmt.Errorf("cell %s: the aggregate fidelity does not model scripted actions (rollout.actions); use the event-level fidelity", cellName(params))
			}
			if c.agg, err = newAggPlan(p, m); err != nil {
				return nil, fmt.Errorf("cell %s: %w", cellName(params), err)
			}
			if c.agg.det, err = newAggDetect(p); err != nil {
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
	if s := int64(splitmix(repSeed^0x8cb92ba72f3d8dd7) % 1_000_000_000); s != 0 {
		return s
	}
	return 1_000_000_000 // 0 is not a seed (engine.ErrNoSeed)
}

// execute runs replications [lo, hi) of every cell on cfg.Workers
// goroutines and returns each cell's tally. Each worker tallies what it ran
// and the workers' tallies are merged: the merge is exact and
// order-independent, so the result does not depend on the scheduling.
func execute(ctx context.Context, cfg Config, cells []cellPlan, lo, hi int) ([]Tally, error) {
	chunk := 1
	if cfg.Fidelity == Aggregate {
		chunk = 250
	}
	reps := hi - lo
	perCell := (reps + chunk - 1) / chunk
	total := len(cells) * perCell
	// At event level a task is one replication of every cell, run one
	// after the other by one worker: the cells' rollout i shares its seeds
	// (common random numbers), so its generators share one BucketTable and
	// hash each context once. The tallies' merge is exact, so the order
	// the rollouts run in changes nothing.
	byRep := cfg.Fidelity != Aggregate
	if byRep {
		total = reps
	}
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
		cfg.Progress(progDone, len(cells)*reps)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, cfg.Workers)
	tallies := make([][]Tally, cfg.Workers)
	for w := 0; w < cfg.Workers; w++ {
		tallies[w] = make([]Tally, len(cells))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var as *aggSim
			var bt *sim.BucketTable
			if cfg.Fidelity == Aggregate {
				as = newAggSim()
			} else {
				bt = new(sim.BucketTable)
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
				if byRep {
					for c := range cells {
						if err := runReps(ctx, cfg, &cells[c], nil, bt, lo+task, lo+task+1, &tallies[w][c]); err != nil {
							errs[w] = err
							cancel()
							return
						}
						progress(1)
					}
					continue
				}
				c, from := task/perCell, lo+(task%perCell)*chunk
				to := min(from+chunk, hi)
				if err := runReps(ctx, cfg, &cells[c], as, nil, from, to, &tallies[w][c]); err != nil {
					errs[w] = err
					cancel()
					return
				}
				progress(to - from)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		// Prefer the first real failure over the cancellations it caused.
		for _, e := range errs {
			if e != nil && !errors.Is(e, context.Canceled) {
				return nil, e
			}
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]Tally, len(cells))
	for _, wt := range tallies {
		for c := range out {
			out[c].Merge(wt[c])
		}
	}
	return out, nil
}

// runReps runs replications [lo, hi) of a cell and adds them to t; as is
// the aggregate simulator's scratch space (nil at event level), bt the
// event-level generators' bucket values.
func runReps(ctx context.Context, cfg Config, cell *cellPlan, as *aggSim, bt *sim.BucketTable, lo, hi int, t *Tally) error {
	for i := lo; i < hi; i++ {
		seed := RepSeed(cfg.Seed, i)
		if as != nil {
			t.add(as.run(cell.agg, seed))
			continue
		}
		o, err := simulateEvent(ctx, cell, seed, bt)
		if err != nil {
			return fmt.Errorf("cell %s, rep %d: %w", cellName(cell.params), i, err)
		}
		t.add(o)
	}
	return nil
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
