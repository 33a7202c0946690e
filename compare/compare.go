// Package compare runs several decision policies on the same events and
// summarises what each decided: outcome, reason, time of detection,
// contexts exposed to the new variation before the rollout ended, and the
// alerts it sent. The events are either a scenario's synthetic stream,
// generated once and served under the first policy's allocation, or a
// replayed export; either way every policy sees the same events.
package compare

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
)

// Spec is one compared policy: a named policy and its parameter overrides.
type Spec struct {
	Name   string
	Params map[string]string
}

// Label names the spec in reports: the name, with its overrides sorted
// ("flagger(limit=0.2,threshold=3)").
func (s Spec) Label() string {
	if len(s.Params) == 0 {
		return s.Name
	}
	keys := make([]string, 0, len(s.Params))
	for k := range s.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + s.Params[k]
	}
	return s.Name + "(" + strings.Join(parts, ",") + ")"
}

// ParseSpec parses NAME or NAME:PARAM=VALUE,PARAM=VALUE.
func ParseSpec(s string) (Spec, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	sp := Spec{Name: strings.TrimSpace(name)}
	if sp.Name == "" {
		return sp, fmt.Errorf("policy %q: empty name", s)
	}
	if rest == "" {
		return sp, nil
	}
	sp.Params = map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return sp, fmt.Errorf("policy %q: %q is not PARAM=VALUE", s, kv)
		}
		if _, dup := sp.Params[k]; dup {
			return sp, fmt.Errorf("policy %q: parameter %s given twice", s, k)
		}
		sp.Params[k] = v
	}
	return sp, nil
}

// Policies applies each spec to the base policy; labels must be unique.
func Policies(base engine.Policy, specs []Spec) ([]engine.Policy, error) {
	if len(specs) == 0 {
		return nil, errors.New("no policies to compare")
	}
	seen := map[string]bool{}
	out := make([]engine.Policy, len(specs))
	for i, sp := range specs {
		if seen[sp.Label()] {
			return nil, fmt.Errorf("policy %s is listed twice", sp.Label())
		}
		seen[sp.Label()] = true
		np, err := detect.Lookup(sp.Name)
		if err != nil {
			return nil, err
		}
		p, err := np.Apply(base, sp.Params)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// Run is one policy's result in a comparison.
type Run struct {
	Label  string
	Result *engine.Result
}

// Summary is the comparison row of one policy.
type Summary struct {
	Policy  string        `json:"policy"`
	Status  engine.Status `json:"status"`
	Reason  engine.Reason `json:"reason,omitempty"`
	Metric  string        `json:"metric,omitempty"`
	Ended   time.Time     `json:"ended"`
	Elapsed time.Duration `json:"elapsed"`
	Step    int           `json:"step"`
	Percent float64       `json:"percent"`
	// Detection is the elapsed time of the first check whose decision was
	// a regression (rollback or halt), nil if none.
	Detection *time.Duration `json:"detection,omitempty"`
	// FirstRegressionVerdict is the elapsed time of the first check at
	// which any metric's verdict was a regression (a scorer or counter may
	// act later), nil if none.
	FirstRegressionVerdict *time.Duration `json:"first_regression_verdict,omitempty"`
	// NewContexts is the number of distinct contexts exposed to the new
	// variation (and analysed) before the rollout ended.
	NewContexts int                  `json:"new_contexts"`
	Checks      int                  `json:"checks"`
	Note        string               `json:"note,omitempty"`
	Alerts      []engine.AlertRecord `json:"alerts"`
}

// Summarise builds the comparison row of a run.
func Summarise(r Run) Summary {
	o := r.Result.Outcome
	s := Summary{
		Policy: r.Label, Status: o.Status, Reason: o.Reason, Metric: o.Metric,
		Ended: o.Time, Elapsed: o.Elapsed, Step: o.Step, Percent: o.Percent,
		NewContexts: o.NewContexts, Checks: len(r.Result.Timeline), Alerts: o.Alerts,
	}
	if s.Alerts == nil {
		s.Alerts = []engine.AlertRecord{}
	}
	for _, c := range r.Result.Timeline {
		if s.FirstRegressionVerdict == nil {
			for _, m := range c.Metrics {
				if m.Regressed {
					e := c.Elapsed
					s.FirstRegressionVerdict = &e
					break
				}
			}
		}
		if c.Reason == engine.ReasonRegression && s.Detection == nil {
			e := c.Elapsed
			s.Detection = &e
		}
	}
	if n := len(r.Result.Timeline); n > 0 {
		s.Note = r.Result.Timeline[n-1].Note
	}
	return s
}
