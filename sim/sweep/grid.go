package sweep

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/sim"
)

// Grid parameter names.
const (
	ParamAlpha         = "alpha"          // per-metric one-sided level (clears overall_alpha)
	ParamNStar         = "nstar"          // confidence-sequence tuning sample size
	ParamEffect        = "effect"         // absolute regression on the swept metric
	ParamMinContexts   = "min_contexts"   // minimum new-variation contexts per step
	ParamCheckInterval = "check_interval" // hours between checks
	ParamStepHours     = "step_hours"     // duration of every step, in hours
	ParamMinPerArm     = "min_per_arm"    // contexts per arm before a regression may be declared
	ParamTailScale     = "tail_scale"     // tail regression factor on the swept metric (1: none)
	// ParamPolicy takes named policies (guardsim policies), not numbers:
	// policy=launchdarkly,growthbook. Every cell of one policy shares the
	// replication seeds of the others (common random numbers).
	ParamPolicy = "policy"
)

// paramSpecs lists the supported parameters, in the order the help text shows them.
var paramSpecs = []struct {
	name    string
	integer bool
	check   func(v float64) error
}{
	{ParamAlpha, false, func(v float64) error { return rangeErr(v > 0 && v < 0.5, "must be in (0, 0.5)") }},
	{ParamNStar, false, func(v float64) error { return rangeErr(v > 0, "must be positive") }},
	{ParamEffect, false, func(float64) error { return nil }},
	{ParamMinContexts, true, func(v float64) error { return rangeErr(v >= 0, "must not be negative") }},
	{ParamCheckInterval, false, func(v float64) error {
		return rangeErr(v > 0 && v*float64(time.Hour) < math.MaxInt64 && time.Duration(v*float64(time.Hour)) > 0, "must be a positive number of hours, at most 2562047")
	}},
	{ParamStepHours, false, func(v float64) error {
		return rangeErr(v > 0 && v*float64(time.Hour) < math.MaxInt64 && time.Duration(v*float64(time.Hour)) > 0, "must be a positive number of hours, at most 2562047")
	}},
	{ParamMinPerArm, true, func(v float64) error { return rangeErr(v >= 2, "must be at least 2") }},
	{ParamTailScale, false, func(v float64) error { return rangeErr(v > 0, "must be positive") }},
}

func rangeErr(ok bool, msg string) error {
	if ok {
		return nil
	}
	return errors.New(msg)
}

// ParamNames lists the supported grid parameters.
func ParamNames() []string {
	names := make([]string, len(paramSpecs))
	for i, s := range paramSpecs {
		names[i] = s.name
	}
	return append(names, ParamPolicy)
}

// GridParam is one swept parameter and its values, in the order given.
type GridParam struct {
	Name   string
	Values []float64
}

// Grid is a parsed parameter grid. Its cells are the cartesian product of
// the parameters' values, the first parameter varying slowest.
type Grid struct {
	Params []GridParam
	// Policies are the values of the policy parameter, whose Values are
	// indices into it.
	Policies []string
}

// ErrGrid is wrapped by every ParseGrid error.
var ErrGrid = errors.New("invalid grid")

// ParseGrid parses a grid such as "alpha=0.01,0.05;nstar=1000,5000;effect=0,0.01".
// Parts are separated by ';', values by ','; spaces are ignored. Each
// parameter may appear once. Errors name the offending part.
func ParseGrid(s string) (Grid, error) {
	var g Grid
	if strings.TrimSpace(s) == "" {
		return g, fmt.Errorf("%w: empty (want e.g. \"alpha=0.01,0.05;effect=0,0.01\")", ErrGrid)
	}
	seen := map[string]bool{}
	parts := strings.Split(s, ";")
	if len(parts) > 1 && strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1] // tolerate a trailing ';'
	}
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return g, fmt.Errorf("%w: part %d is empty", ErrGrid, i+1)
		}
		name, vals, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return g, fmt.Errorf("%w: part %q: want NAME=V1,V2,…", ErrGrid, part)
		}
		if name == ParamPolicy {
			if seen[name] {
				return g, fmt.Errorf("%w: part %q: parameter %s given twice", ErrGrid, part, name)
			}
			seen[name] = true
			gp := GridParam{Name: name}
			for _, vs := range strings.Split(vals, ",") {
				vs = strings.TrimSpace(vs)
				if _, err := detect.Lookup(vs); err != nil {
					return g, fmt.Errorf("%w: part %q: %v", ErrGrid, part, err)
				}
				if slices.Contains(g.Policies, vs) {
					return g, fmt.Errorf("%w: part %q: value %s repeated", ErrGrid, part, vs)
				}
				gp.Values = append(gp.Values, float64(len(g.Policies)))
				g.Policies = append(g.Policies, vs)
			}
			g.Params = append(g.Params, gp)
			continue
		}
		spec := -1
		for j, ps := range paramSpecs {
			if ps.name == name {
				spec = j
			}
		}
		if spec < 0 {
			return g, fmt.Errorf("%w: part %q: unknown parameter %q (supported: %s)", ErrGrid, part, name, strings.Join(ParamNames(), ", "))
		}
		if seen[name] {
			return g, fmt.Errorf("%w: part %q: parameter %s given twice", ErrGrid, part, name)
		}
		seen[name] = true
		gp := GridParam{Name: name}
		for _, vs := range strings.Split(vals, ",") {
			vs = strings.TrimSpace(vs)
			if vs == "" {
				return g, fmt.Errorf("%w: part %q: empty value", ErrGrid, part)
			}
			v, err := strconv.ParseFloat(vs, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return g, fmt.Errorf("%w: part %q: value %q is not a finite number", ErrGrid, part, vs)
			}
			if paramSpecs[spec].integer && v != math.Trunc(v) {
				return g, fmt.Errorf("%w: part %q: %s %s must be an integer", ErrGrid, part, name, vs)
			}
			if err := paramSpecs[spec].check(v); err != nil {
				return g, fmt.Errorf("%w: part %q: %s %s %v", ErrGrid, part, name, vs, err)
			}
			for _, w := range gp.Values {
				if w == v {
					return g, fmt.Errorf("%w: part %q: value %s repeated", ErrGrid, part, vs)
				}
			}
			gp.Values = append(gp.Values, v)
		}
		g.Params = append(g.Params, gp)
	}
	return g, nil
}

// String formats the grid in the syntax ParseGrid reads.
func (g Grid) String() string {
	parts := make([]string, len(g.Params))
	for i, p := range g.Params {
		vs := make([]string, len(p.Values))
		for j, v := range p.Values {
			vs[j] = formatValue(v)
		}
		if p.Name == ParamPolicy {
			vs = g.Policies
		}
		parts[i] = p.Name + "=" + strings.Join(vs, ",")
	}
	return strings.Join(parts, ";")
}

// Has reports whether the grid sweeps the named parameter.
func (g Grid) Has(name string) bool {
	for _, p := range g.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Cells returns the parameter values of every cell: the cartesian product
// in grid order, the first parameter varying slowest.
func (g Grid) Cells() [][]Param {
	cells := [][]Param{nil}
	for _, p := range g.Params {
		next := make([][]Param, 0, len(cells)*len(p.Values))
		for _, c := range cells {
			for j, v := range p.Values {
				q := Param{Name: p.Name, Value: v}
				if p.Name == ParamPolicy {
					q.Text = g.Policies[j]
				}
				nc := append(append([]Param(nil), c...), q)
				next = append(next, nc)
			}
		}
		cells = next
	}
	return cells
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// value is the parameter's value as the grid writes it.
func (p Param) value() string {
	if p.Text != "" {
		return p.Text
	}
	return formatValue(p.Value)
}

// PolicyLabel is the label of a cell's policy: every parameter except
// effect as "name=value", space-separated ("scenario policy" when the grid
// sweeps only the effect).
func PolicyLabel(params []Param) string {
	var parts []string
	for _, p := range params {
		if p.Name != ParamEffect && p.Name != ParamTailScale {
			parts = append(parts, p.Name+"="+p.value())
		}
	}
	if len(parts) == 0 {
		return "scenario policy"
	}
	return strings.Join(parts, " ")
}

// apply returns the policy and model of one cell: the base ones with the
// cell's parameters set. metric is the index of the swept metric.
// recomputeHorizon makes the model's horizon cover every step with its
// extension under the cell's policy (for scenarios without an explicit
// horizon, whose default horizon depends on the step durations).
func apply(base engine.Policy, model sim.Model, metric int, params []Param, recomputeHorizon bool) (engine.Policy, sim.Model, error) {
	p := base.WithDefaults()
	m := model
	m.Metrics = append([]sim.MetricModel(nil), model.Metrics...)
	named := ""
	for _, pr := range params {
		v := pr.Value
		switch pr.Name {
		case ParamAlpha:
			p.Alpha = v
			p.OverallAlpha = 0
		case ParamNStar:
			p.NStar = v
		case ParamEffect:
			m.Metrics[metric].Effect = v
		case ParamMinContexts:
			p.MinContexts = int(v)
		case ParamCheckInterval:
			p.CheckInterval = time.Duration(v * float64(time.Hour))
		case ParamStepHours:
			for i := range p.Steps {
				p.Steps[i].Duration = time.Duration(v * float64(time.Hour))
			}
		case ParamMinPerArm:
			p.MinPerArm = int(v)
		case ParamPolicy:
			named = pr.Text
		case ParamTailScale:
			// 1 is no regression; the scenario's tail_quantile (p98 by
			// default) sets which values it scales.
			mm := &m.Metrics[metric]
			mm.TailScale = v
			if mm.TailQuantile == 0 {
				mm.TailQuantile = 0.98
			}
		default:
			return p, m, fmt.Errorf("%w: unknown parameter %q", ErrGrid, pr.Name)
		}
	}
	if named != "" {
		// Last, so the policy's levels follow the cell's alpha and N*.
		np, err := detect.Lookup(named)
		if err != nil {
			return p, m, fmt.Errorf("cell %s: %w", cellName(params), err)
		}
		if p, err = np.Apply(p, nil); err != nil {
			return p, m, fmt.Errorf("cell %s: %w", cellName(params), err)
		}
	}
	if recomputeHorizon {
		m.Horizon = p.MaxDuration()
	}
	if err := p.Validate(); err != nil {
		return p, m, fmt.Errorf("cell %s: invalid policy: %w", cellName(params), err)
	}
	if err := m.Validate(); err != nil {
		return p, m, fmt.Errorf("cell %s: invalid model: %w", cellName(params), err)
	}
	return p, m, nil
}

func cellName(params []Param) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.Name + "=" + p.value()
	}
	if len(parts) == 0 {
		return "(no parameters)"
	}
	return strings.Join(parts, " ")
}
