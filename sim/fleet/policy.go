package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/engine/schedule"
)

// Recorded is the name of the policy each rollout was run with.
const Recorded = "recorded"

// Policy is a policy to backtest: each rollout's recorded policy with
// Overrides applied (the flag, metrics and directions stay the rollout's
// own; the decision rules change). The recorded policy has no overrides.
type Policy struct {
	Name      string
	Overrides engine.Overrides
	// Named, when set, is a named decision policy (`guardsim policies`)
	// applied after the overrides, with Params overriding its parameters.
	Named  string
	Params map[string]string
	// Source is the file the policy came from ("" for the recorded one).
	Source string
}

// policyFile is the YAML of a candidate policy file.
type policyFile struct {
	Name           string   `yaml:"name"`
	Alpha          *float64 `yaml:"alpha"`
	NStar          *float64 `yaml:"nstar"`
	MinContexts    *int     `yaml:"min_contexts"`
	CheckInterval  string   `yaml:"check_interval"`
	Schedule       string   `yaml:"schedule"`
	Extension      string   `yaml:"extension"`
	OnInsufficient string   `yaml:"on_insufficient"`
	// Policy and PolicyParams select a named decision policy, as
	// rollout.policy and rollout.policy_params do in a scenario.
	Policy       string            `yaml:"policy"`
	PolicyParams map[string]string `yaml:"policy_params"`
}

// ParsePolicy parses a candidate policy file:
//
//	name: strict            # required, unique in a backtest
//	alpha: 0.01             # per-metric one-sided alpha
//	nstar: 2000             # confidence-sequence tuning N*
//	min_contexts: 500       # minimum new-variation contexts per step
//	check_interval: 30m
//	schedule: 1:12h,10:1d,50:2d
//	extension: 1d
//	on_insufficient: hold   # or rollback
//	policy: growthbook      # a named decision policy (guardsim policies)
//	policy_params: {…}      # its parameters
//
// Every field but name is optional; unknown fields are errors.
func ParsePolicy(data []byte, source string) (Policy, error) {
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", source, err)
	}
	p := Policy{Name: strings.TrimSpace(f.Name), Source: source}
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if p.Name == Recorded {
		errs = append(errs, fmt.Errorf("name: %q is the rollouts' own policy", Recorded))
	}
	o := &p.Overrides
	o.Alpha, o.NStar, o.MinContexts = f.Alpha, f.NStar, f.MinContexts
	if f.CheckInterval != "" {
		d, err := schedule.ParseDuration(f.CheckInterval)
		if err != nil {
			errs = append(errs, fmt.Errorf("check_interval: %w", err))
		}
		o.CheckInterval = &d
	}
	if f.Extension != "" {
		d, err := schedule.ParseDuration(f.Extension)
		if err != nil {
			errs = append(errs, fmt.Errorf("extension: %w", err))
		}
		o.Extension = &d
	}
	if f.Schedule != "" {
		steps, err := schedule.Parse(f.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule: %w", err))
		}
		o.Steps = steps
	}
	if f.OnInsufficient != "" {
		a, err := engine.ParseInsufficientAction(f.OnInsufficient)
		if err != nil {
			errs = append(errs, fmt.Errorf("on_insufficient: %w", err))
		}
		o.OnInsufficient = &a
	}
	p.Named, p.Params = strings.TrimSpace(f.Policy), f.PolicyParams
	if p.Named != "" {
		if _, err := detect.Lookup(p.Named); err != nil {
			errs = append(errs, fmt.Errorf("policy: %w", err))
		}
	} else if len(p.Params) > 0 {
		errs = append(errs, errors.New("policy_params needs policy"))
	}
	if err := errors.Join(errs...); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", source, err)
	}
	if o.Empty() && p.Named == "" {
		return Policy{}, fmt.Errorf("policy %s: changes nothing (set alpha, nstar, min_contexts, check_interval, schedule, extension, on_insufficient or policy)", source)
	}
	return p, nil
}

// Apply returns the rollout's recorded policy base changed by p.
func (p Policy) Apply(base engine.Policy) (engine.Policy, error) {
	out, err := p.Overrides.Apply(base)
	if err != nil || p.Named == "" {
		return out, err
	}
	np, err := detect.Lookup(p.Named)
	if err != nil {
		return out, err
	}
	return np.Apply(out, p.Params)
}

// Changes lists what p changes, for reports ("alpha=0.01", "policy=growthbook", …).
func (p Policy) Changes() []string {
	ch := p.Overrides.Strings()
	if p.Named != "" {
		ch = append(ch, "policy="+p.Named)
		keys := make([]string, 0, len(p.Params))
		for k := range p.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ch = append(ch, k+"="+p.Params[k])
		}
	}
	if ch == nil {
		ch = []string{}
	}
	return ch
}

// LoadPolicy reads a candidate policy file (see ParsePolicy).
func LoadPolicy(path string) (Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	return ParsePolicy(data, path)
}
