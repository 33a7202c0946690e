package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine/schedule"
)

// Overrides are what-if changes to a policy (for replaying recorded events
// under another policy). A nil field leaves the policy's value alone.
type Overrides struct {
	// Alpha sets the per-metric one-sided level and clears OverallAlpha.
	Alpha          *float64
	NStar          *float64
	MinContexts    *int
	CheckInterval  *time.Duration
	Steps          []schedule.Step
	Extension      *time.Duration
	OnInsufficient *InsufficientAction
	// Seed is the bucketing seed for exposures recorded without a variation.
	Seed *int64
}

// ParseInsufficientAction parses "rollback" or "hold".
func ParseInsufficientAction(s string) (InsufficientAction, error) {
	switch s {
	case "rollback":
		return RollbackOnInsufficient, nil
	case "hold":
		return HoldOnInsufficient, nil
	}
	return 0, fmt.Errorf("%q: want rollback or hold", s)
}

// Empty reports whether o changes nothing.
func (o Overrides) Empty() bool { return len(o.Strings()) == 0 }

// Apply returns p with the overrides set, validated. Errors name the
// override's field as Strings does.
func (o Overrides) Apply(p Policy) (Policy, error) {
	if o.Alpha != nil {
		p.Alpha, p.OverallAlpha = *o.Alpha, 0
	}
	if o.NStar != nil {
		p.NStar = *o.NStar
	}
	if o.MinContexts != nil {
		p.MinContexts = *o.MinContexts
	}
	if o.CheckInterval != nil {
		p.CheckInterval = *o.CheckInterval
	}
	if o.Steps != nil {
		p.Steps = append([]schedule.Step(nil), o.Steps...)
	}
	if o.Extension != nil {
		p.Extension = *o.Extension
	}
	if o.OnInsufficient != nil {
		p.OnInsufficient = *o.OnInsufficient
	}
	if o.Seed != nil {
		p.Seed = *o.Seed
	}
	if err := p.Validate(); err != nil {
		if o.Empty() {
			return p, err
		}
		return p, fmt.Errorf("invalid policy after overrides (%s): %w", strings.Join(o.Strings(), ", "), err)
	}
	return p, nil
}

// Strings lists the overrides that are set as name=value, in a fixed order
// (names as in scenario files: alpha, nstar, min_contexts, check_interval,
// schedule, extension, on_insufficient, bucket_seed).
func (o Overrides) Strings() []string {
	var s []string
	if o.Alpha != nil {
		s = append(s, "alpha="+strconv.FormatFloat(*o.Alpha, 'g', -1, 64))
	}
	if o.NStar != nil {
		s = append(s, "nstar="+strconv.FormatFloat(*o.NStar, 'g', -1, 64))
	}
	if o.MinContexts != nil {
		s = append(s, "min_contexts="+strconv.Itoa(*o.MinContexts))
	}
	if o.CheckInterval != nil {
		s = append(s, "check_interval="+o.CheckInterval.String())
	}
	if o.Steps != nil {
		s = append(s, "schedule="+schedule.Format(o.Steps))
	}
	if o.Extension != nil {
		s = append(s, "extension="+o.Extension.String())
	}
	if o.OnInsufficient != nil {
		s = append(s, "on_insufficient="+o.OnInsufficient.String())
	}
	if o.Seed != nil {
		s = append(s, "bucket_seed="+strconv.FormatInt(*o.Seed, 10))
	}
	return s
}
