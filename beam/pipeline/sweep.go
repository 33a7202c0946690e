package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/sim/sweep"
)

func init() {
	register.DoFn4x1[context.Context, *sdf.LockRTracker, int, func(string), error](&repsFn{})
	register.DoFn3x1[context.Context, []byte, func(*string) bool, error](&writeSweepFn{})
	register.Emitter1[string]()
	register.Iter1[string]()
	beam.RegisterType(reflect.TypeOf((*SweepSpec)(nil)).Elem())
}

// cellPartial is the per-chunk partial summary a worker emits.
type cellPartial struct {
	Cell  int         `json:"cell"`
	Tally sweep.Tally `json:"tally"`
}

// repsFn is a splittable DoFn: its element is a cell index, its
// restriction a range of replications, generated on the worker from the
// spec (no replication is ever a pipeline element).
type repsFn struct {
	Spec SweepSpec
	// Chunk is the initial split size in replications; Batch how many
	// claimed replications run per call into the simulator.
	Chunk, Batch int64

	plan *sweep.Plan
}

func (fn *repsFn) Setup() error {
	p, err := fn.Spec.Plan()
	if err != nil {
		return fmt.Errorf("guardsim-beam: %w", err)
	}
	fn.plan = p
	return nil
}

func (fn *repsFn) CreateInitialRestriction(int) offsetrange.Restriction {
	return offsetrange.Restriction{Start: 0, End: int64(fn.Spec.Reps)}
}

func (fn *repsFn) SplitRestriction(_ int, rest offsetrange.Restriction) []offsetrange.Restriction {
	return rest.SizedSplits(max(1, fn.Chunk))
}

func (fn *repsFn) RestrictionSize(_ int, rest offsetrange.Restriction) float64 {
	return rest.Size()
}

func (fn *repsFn) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(offsetrange.NewTracker(rest))
}

// ProcessElement runs the claimed replications of the cell and emits their
// tally (one partial per processed restriction).
func (fn *repsFn) ProcessElement(ctx context.Context, rt *sdf.LockRTracker, cell int, emit func(string)) error {
	rest := rt.GetRestriction().(offsetrange.Restriction)
	var t sweep.Tally
	lo, i := rest.Start, rest.Start
	flush := func() error {
		if i == lo {
			return nil
		}
		part, err := fn.plan.Tally(ctx, cell, int(lo), int(i))
		if err != nil {
			return err
		}
		t.Merge(part)
		lo = i
		return nil
	}
	for rt.TryClaim(i) {
		i++
		if i-lo >= max(1, fn.Batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if t.Reps == 0 {
		return nil
	}
	b, err := json.Marshal(cellPartial{Cell: cell, Tally: t})
	if err != nil {
		return err
	}
	emit(string(b))
	return nil
}

// writeSweepFn merges every partial and writes the sweep's reports once.
type writeSweepFn struct {
	Spec SweepSpec
	Out  string
}

func (fn *writeSweepFn) ProcessElement(ctx context.Context, _ []byte, parts func(*string) bool) error {
	plan, err := fn.Spec.Plan()
	if err != nil {
		return err
	}
	tallies := make([]sweep.Tally, plan.NumCells())
	var s string
	for parts(&s) {
		var cp cellPartial
		if err := json.Unmarshal([]byte(s), &cp); err != nil {
			return fmt.Errorf("guardsim-beam: partial: %w", err)
		}
		if cp.Cell < 0 || cp.Cell >= len(tallies) {
			return fmt.Errorf("guardsim-beam: partial of cell %d of %d", cp.Cell, len(tallies))
		}
		tallies[cp.Cell].Merge(cp.Tally)
	}
	p, err := plan.Partial(sweep.Shard{K: 0, N: 1}, tallies)
	if err != nil {
		return err
	}
	res, err := p.Result() // checks that every replication was tallied exactly once
	if err != nil {
		return fmt.Errorf("guardsim-beam: %w", err)
	}
	return publish(ctx, fn.Out, func(dir string) error { return reports.WriteSweep(dir, res) })
}

// Sweep adds the sweep of spec to the pipeline, writing its reports to out
// (a local directory, or gs://… / s3://… with those filesystems linked).
func Sweep(s beam.Scope, spec SweepSpec, out string) error {
	plan, err := spec.Plan()
	if err != nil {
		return err
	}
	s = s.Scope("guardsim.Sweep")
	cells := make([]int, plan.NumCells())
	for i := range cells {
		cells[i] = i
	}
	// Initial splits of about a second of work each (event level: a few
	// replications; aggregate: thousands), so prism and cluster runners
	// spread the cells over their workers.
	chunk, batch := int64(4), int64(1)
	if spec.Fidelity != string(sweep.EventLevel) {
		chunk, batch = 20000, 250
	}
	parts := beam.ParDo(s, &repsFn{Spec: spec, Chunk: chunk, Batch: batch}, beam.CreateList(s, cells))
	beam.ParDo0(s, &writeSweepFn{Spec: spec, Out: out}, beam.Impulse(s), beam.SideInput{Input: parts})
	return nil
}
