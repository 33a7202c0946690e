package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/guardsim/guardsim/engine"
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
	if err := errors.Join(errs...); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", source, err)
	}
	if o.Empty() {
		return Policy{}, fmt.Errorf("policy %s: changes nothing (set alpha, nstar, min_contexts, check_interval, schedule, extension or on_insufficient)", source)
	}
	return p, nil
}

// LoadPolicy reads a candidate policy file (see ParsePolicy).
func LoadPolicy(path string) (Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	return ParsePolicy(data, path)
}
