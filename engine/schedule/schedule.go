// Package schedule describes the step schedule of a guarded rollout: the
// share of traffic served the new variation at each monitored step (with an
// equally large control share by default), how long each step lasts, and the
// validation rules a schedule must satisfy.
package schedule

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Step is one monitored step of a guarded rollout.
type Step struct {
	// Percent is the share of traffic served the new variation, in percent
	// (0 < Percent ≤ 50).
	Percent float64 `json:"percent"`
	// ControlPercent is the share of traffic in the analysed control arm, in
	// percent. Zero means "equal to Percent" (the LaunchDarkly and GrowthBook
	// design).
	ControlPercent float64 `json:"control_percent,omitempty"`
	// Duration is how long the step lasts before the engine advances.
	Duration time.Duration `json:"duration"`
}

// Control returns the control share of the step in percent.
func (s Step) Control() float64 {
	if s.ControlPercent == 0 {
		return s.Percent
	}
	return s.ControlPercent
}

// ExpectedNewShare is the expected share of the new arm among analysed
// contexts at this step: Percent / (Percent + Control).
func (s Step) ExpectedNewShare() float64 {
	return s.Percent / (s.Percent + s.Control())
}

// DefaultPercents are the default monitored steps: 1, 5, 10, 25 and 50%,
// after which the rollout rolls forward to 100%.
var DefaultPercents = []float64{1, 5, 10, 25, 50}

// DefaultStepDuration is the duration of each default step.
const DefaultStepDuration = 24 * time.Hour

// Default returns the default schedule: 1→5→10→25→50% with an equal control
// share, each step lasting d (DefaultStepDuration when d is zero).
func Default(d time.Duration) []Step {
	if d <= 0 {
		d = DefaultStepDuration
	}
	steps := make([]Step, len(DefaultPercents))
	for i, p := range DefaultPercents {
		steps[i] = Step{Percent: p, Duration: d}
	}
	return steps
}

// Total is the sum of the step durations.
func Total(steps []Step) time.Duration {
	var t time.Duration
	for _, s := range steps {
		t += s.Duration
	}
	return t
}

// MaxSteps is the most steps a schedule may have: the engine stores a
// context's step index in 16 bits.
const MaxSteps = math.MaxInt16

// ErrEmpty is returned by Validate for a schedule with no steps.
var ErrEmpty = errors.New("schedule has no steps")

// Validate checks that the schedule is usable: at least one step, percents
// in (0, 50], control shares in (0, 50] with percent+control ≤ 100,
// non-decreasing percents, and positive durations. Errors name the step
// (1-based) and the field.
func Validate(steps []Step) error {
	if len(steps) == 0 {
		return ErrEmpty
	}
	if len(steps) > MaxSteps {
		return fmt.Errorf("schedule has %d steps; at most %d are supported", len(steps), MaxSteps)
	}
	prev := 0.0
	for i, s := range steps {
		n := i + 1
		switch {
		case !(s.Percent > 0 && s.Percent <= 50):
			return fmt.Errorf("step %d: percent %g must be in (0, 50] for a monitored step", n, s.Percent)
		case s.ControlPercent < 0 || s.ControlPercent > 50:
			return fmt.Errorf("step %d: control_percent %g must be in [0, 50] (0 means equal to percent)", n, s.ControlPercent)
		case s.Percent+s.Control() > 100:
			return fmt.Errorf("step %d: percent %g plus control %g exceeds 100", n, s.Percent, s.Control())
		case s.Percent < prev:
			return fmt.Errorf("step %d: percent %g is lower than the previous step's %g (steps must not decrease)", n, s.Percent, prev)
		case s.Duration <= 0:
			return fmt.Errorf("step %d: duration %v must be positive", n, s.Duration)
		}
		prev = s.Percent
	}
	return nil
}

// Weights returns the LaunchDarkly rollout weights (0..100000, thousandths of
// a percent) of the step as three buckets in list order: new, outside,
// control. Putting control at the top of the bucket range means that, as the
// percent grows from step to step under one seed, a context never moves
// between the new and control arms; only outside contexts join either arm.
func (s Step) Weights() [3]int {
	nw := int(s.Percent*1000 + 0.5)
	ct := int(s.Control()*1000 + 0.5)
	return [3]int{nw, 100000 - nw - ct, ct}
}
