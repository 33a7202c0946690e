package plan

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Plan is the feasibility plan of a policy under a traffic profile.
type Plan struct {
	Policy  engine.Policy `json:"policy"`
	Profile *Profile      `json:"profile"`
	Steps   []StepPlan    `json:"steps"`
	// NominalDuration is the time to 100% when no step is extended.
	NominalDuration time.Duration `json:"nominal_duration"`
	// CompleteProbability is the probability of reaching 100% (minimum
	// contexts only: regressions and SRM are not modelled).
	CompleteProbability float64 `json:"complete_probability"`
	// InsufficientProbability is the probability of an insufficient-sample
	// rollback at some step (rollback policy).
	InsufficientProbability float64 `json:"insufficient_probability"`
	// UnresolvedProbability is the probability still holding after
	// MaxHoldChecks hold checks at some step (hold policy).
	UnresolvedProbability float64 `json:"unresolved_probability,omitempty"`
	// ExpectedDuration, MedianDuration and P90Duration describe the time
	// to 100% with extensions (and holds), over rollouts that complete.
	ExpectedDuration time.Duration `json:"expected_duration"`
	MedianDuration   time.Duration `json:"median_duration"`
	P90Duration      time.Duration `json:"p90_duration"`
	// Power is the power the MDEs are computed at.
	Power    float64  `json:"power"`
	Warnings []string `json:"warnings"`
}

// StepPlan is one step of a plan. Probabilities are conditional on the
// rollout reaching the step, averaged over the times it may start at
// (earlier steps may have been extended).
type StepPlan struct {
	Step           int           `json:"step"`
	Percent        float64       `json:"percent"`
	ControlPercent float64       `json:"control_percent"`
	Duration       time.Duration `json:"duration"`
	Extension      time.Duration `json:"extension"`
	// ReachProbability is the probability that the rollout gets to the step.
	ReachProbability float64 `json:"reach_probability"`
	// ExpectedNew and ExpectedControl are the expected distinct contexts
	// served each analysed arm during the step's duration;
	// ExpectedNewExtended by the end of its extension.
	ExpectedNew         float64 `json:"expected_new"`
	ExpectedControl     float64 `json:"expected_control"`
	ExpectedNewExtended float64 `json:"expected_new_extended"`
	// MeetProbability is the probability that every minimum is met at the
	// step's end; MeetExtendedProbability by the end of its extension.
	MeetProbability         float64 `json:"meet_probability"`
	MeetExtendedProbability float64 `json:"meet_extended_probability"`
	// InsufficientProbability is the probability that the step ends in an
	// insufficient-sample rollback (0 under the hold policy).
	InsufficientProbability float64 `json:"insufficient_probability"`
	// ExpectedHold is the expected time spent holding (hold policy).
	ExpectedHold time.Duration `json:"expected_hold,omitempty"`
	// MDE is, per metric, the smallest effect detected with the plan's
	// power by the end of this step.
	MDE []MetricMDE `json:"mde"`
}

// MetricMDE is a metric's minimum detectable effect at a step.
type MetricMDE struct {
	Key string `json:"key"`
	// Absolute is the effect in the metric's units, on its harmful side
	// (NaN, written null, when the metric cannot be tested by then).
	Absolute JSONFloat `json:"absolute"`
	// Relative is Absolute over the metric's mean (NaN when the mean is 0).
	Relative JSONFloat `json:"relative"`
	// New and Original are the expected analysed contexts with data per arm
	// at the step's end (cumulative over steps).
	New      float64 `json:"new"`
	Original float64 `json:"original"`
}

// JSONFloat is a float64 that encodes NaN and infinities as null.
type JSONFloat float64

// MarshalJSON implements json.Marshaler.
func (f JSONFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return fmt.Appendf(nil, "%g", v), nil
}

// Options tune a plan.
type Options struct {
	// MaxHoldChecks caps the hold checks followed per step (default 2000).
	MaxHoldChecks int
	// WarnAbove is the insufficient-sample rollback probability of a step
	// above which the plan warns (default 0.05).
	WarnAbove float64
}

// Compute plans policy p (defaults applied and validated) under profile prof.
func Compute(p engine.Policy, prof *Profile, opts Options) (*Plan, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("plan: invalid policy: %w", err)
	}
	if prof == nil {
		return nil, errors.New("plan: no traffic profile")
	}
	if err := prof.Validate(); err != nil {
		return nil, fmt.Errorf("plan: invalid profile: %w", err)
	}
	if len(prof.Metrics) != len(p.Metrics) {
		return nil, fmt.Errorf("plan: the profile has %d metrics and the policy %d", len(prof.Metrics), len(p.Metrics))
	}
	if opts.MaxHoldChecks <= 0 {
		opts.MaxHoldChecks = 2000
	}
	if opts.WarnAbove <= 0 {
		opts.WarnAbove = 0.05
	}
	c := &counter{pol: p, prof: prof}
	pl := &Plan{Policy: p, Profile: prof, Power: TargetPower, Warnings: []string{}}
	hold := p.OnInsufficient == engine.HoldOnInsufficient

	// dist maps a step's start offset to its probability.
	dist := map[time.Duration]float64{0: 1}
	for i, st := range p.Steps {
		ext := p.ExtensionLength(i)
		sp := StepPlan{Step: i + 1, Percent: st.Percent, ControlPercent: st.Control(), Duration: st.Duration, Extension: ext}
		next := map[time.Duration]float64{}
		var reach, rollback, unresolved, holdSum float64
		for _, off := range sortedKeys(dist) {
			w := dist[off]
			reach += w
			s := prof.Start.Add(off)
			end := s.Add(st.Duration)
			xend := end.Add(ext)
			sp.ExpectedNew += w * c.expectedServed(c.newShare(i), s, end)
			sp.ExpectedControl += w * c.expectedServed(c.controlShare(i), s, end)
			sp.ExpectedNewExtended += w * c.expectedServed(c.newShare(i), s, xend)
			pEnd := c.pMet(i, s, end)
			pExt := math.Max(pEnd, c.pMet(i, s, xend))
			sp.MeetProbability += w * pEnd
			sp.MeetExtendedProbability += w * pExt
			next[off+st.Duration] += w * pEnd
			next[off+st.Duration+ext] += w * (pExt - pEnd)
			if !hold {
				rollback += w * (1 - pExt)
				continue
			}
			prev := pExt
			at := off + st.Duration + ext
			for j := 1; j <= opts.MaxHoldChecks && 1-prev > 1e-9; j++ {
				at += p.CheckInterval
				pj := math.Max(prev, c.pMet(i, s, prof.Start.Add(at)))
				next[at] += w * (pj - prev)
				holdSum += w * (pj - prev) * float64(at-off-st.Duration-ext)
				prev = pj
			}
			unresolved += w * (1 - prev)
		}
		if reach > 0 {
			sp.ExpectedNew /= reach
			sp.ExpectedControl /= reach
			sp.ExpectedNewExtended /= reach
			sp.MeetProbability /= reach
			sp.MeetExtendedProbability /= reach
			sp.InsufficientProbability = rollback / reach
			sp.ExpectedHold = time.Duration(holdSum / reach)
		}
		sp.ReachProbability = reach
		pl.InsufficientProbability += rollback
		pl.UnresolvedProbability += unresolved
		pl.Steps = append(pl.Steps, sp)
		for k, v := range next {
			if v < 1e-15 {
				delete(next, k)
			}
		}
		dist = next
	}
	pl.NominalDuration = stepStarts(p)[len(p.Steps)]
	var total, mean float64
	keys := sortedKeys(dist)
	for _, k := range keys {
		total += dist[k]
		mean += dist[k] * float64(k)
	}
	pl.CompleteProbability = total
	if total > 0 {
		pl.ExpectedDuration = time.Duration(mean / total)
		pl.MedianDuration = quantile(dist, keys, total, 0.5)
		pl.P90Duration = quantile(dist, keys, total, 0.9)
	}

	for k := range pl.Steps {
		for m, met := range p.Metrics {
			d, _ := c.mde(m, k)
			// A margin moves the boundary by margin·I on the score, which is
			// the same as detecting δ − margin without one.
			if met.Margin != 0 {
				mg := met.Margin
				if met.MarginRelative {
					mg *= math.Abs(prof.Metrics[m].Mean)
				}
				d += mg
			}
			mm := MetricMDE{Key: met.Key, Absolute: JSONFloat(d), Relative: JSONFloat(math.NaN())}
			if mean := prof.Metrics[m].Mean; mean != 0 && !math.IsNaN(d) {
				mm.Relative = JSONFloat(d / math.Abs(mean))
			}
			na, nb := c.strata(m, stepStarts(p)[k+1])
			for j := range na {
				mm.Original += na[j]
				mm.New += nb[j]
			}
			pl.Steps[k].MDE = append(pl.Steps[k].MDE, mm)
		}
	}
	pl.warn(opts)
	return pl, nil
}

func (pl *Plan) warn(opts Options) {
	p := pl.Policy
	for _, s := range pl.Steps {
		if s.InsufficientProbability > opts.WarnAbove {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf(
				"step %d (%g%%): %.0f%% chance of an insufficient-sample rollback (expected %.0f new-variation contexts by the end of the extension; minimum %s)",
				s.Step, s.Percent, 100*s.InsufficientProbability, s.ExpectedNewExtended, minimumText(p)))
		}
		if p.OnInsufficient == engine.HoldOnInsufficient && 1-s.MeetExtendedProbability > opts.WarnAbove {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf(
				"step %d (%g%%): %.0f%% chance of holding after the extension (expected hold %s)",
				s.Step, s.Percent, 100*(1-s.MeetExtendedProbability), s.ExpectedHold.Round(time.Minute)))
		}
	}
	if n := pl.Profile.Population; n > 0 {
		for i, s := range pl.Steps {
			inRange := float64(n) * s.Percent / 100
			if need := float64(maxMinimum(p)); need > 0 && inRange < 2*need {
				pl.Warnings = append(pl.Warnings, fmt.Sprintf(
					"step %d (%g%%): only about %.0f of the %d contexts fall in the new variation's range; a minimum of %.0f can be met only if most of them return",
					i+1, s.Percent, inRange, n, need))
			}
		}
	}
	if pl.UnresolvedProbability > 1e-6 {
		pl.Warnings = append(pl.Warnings, fmt.Sprintf("%.2g%% of rollouts are still holding after %d hold checks (%s): they may never meet the minimum",
			100*pl.UnresolvedProbability, opts.MaxHoldChecks, time.Duration(opts.MaxHoldChecks)*p.CheckInterval))
	}
	if _, def := p.DetectorFactory().(engine.ConfidenceSequence); !def {
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("%T", p.DetectorFactory())
		}
		pl.Warnings = append(pl.Warnings, fmt.Sprintf(
			"the MDE is that of the one-sided confidence sequence (α = %g, N* = %g, min_per_arm %d); policy %s decides with its own detector, so its power differs",
			p.MetricAlpha(), p.NStar, p.MinPerArm, name))
	}
	last := pl.Steps[len(pl.Steps)-1]
	for i, m := range last.MDE {
		if k := p.Metrics[i].Kind; k == engine.Percentile || k == engine.Ratio {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("metric %s (%s): the plan does not model this kind's MDE; its minimum contexts are modelled", m.Key, k))
			continue
		}
		if math.IsNaN(float64(m.Absolute)) {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("metric %s cannot be tested: it never reaches %d contexts per arm with data", m.Key, p.MinPerArm))
		}
	}
}

func maxMinimum(p engine.Policy) int {
	m := p.MinContexts
	for _, x := range p.Metrics {
		m = max(m, x.MinContexts)
	}
	return m
}

func minimumText(p engine.Policy) string {
	s := fmt.Sprintf("%d contexts", p.MinContexts)
	for _, m := range p.Metrics {
		if m.MinContexts > 0 {
			s += fmt.Sprintf(", %s %d with data", m.Key, m.MinContexts)
		}
	}
	return s
}

func sortedKeys(m map[time.Duration]float64) []time.Duration {
	ks := make([]time.Duration, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

func quantile(m map[time.Duration]float64, keys []time.Duration, total, q float64) time.Duration {
	var acc float64
	for _, k := range keys {
		acc += m[k]
		if acc >= q*total*(1-1e-12) {
			return k
		}
	}
	return keys[len(keys)-1]
}
