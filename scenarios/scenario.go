// Package scenarios holds guardsim's scenario files and the code that loads
// them. A scenario is a YAML file with a rollout policy (schedule, minimum
// contexts, statistics settings), the metrics it monitors, and the
// simulation model that generates its synthetic traffic. The built-in
// scenarios in this folder are embedded in the binary.
//
// Parsing is strict: an unknown field is an error naming its line.
package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/sim"
)

//go:embed *.yaml
var builtin embed.FS

// Default is the scenario `guardsim run` uses with no --scenario.
const Default = "latency-regression"

// DefaultStart is the start time of scenarios that do not set one.
var DefaultStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// Scenario is a parsed scenario file.
type Scenario struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Seed        uint64    `yaml:"seed"`
	Start       time.Time `yaml:"start"`
	// Horizon is how long the synthetic stream runs (default: every step
	// with its extension).
	Horizon Duration `yaml:"horizon"`
	// OmitVariation writes exposures without a variation (the engine buckets).
	OmitVariation bool     `yaml:"omit_variation"`
	Rollout       Rollout  `yaml:"rollout"`
	Traffic       Traffic  `yaml:"traffic"`
	Metrics       []Metric `yaml:"metrics"`
	SRMFault      SRMFault `yaml:"srm_fault"`
	// Events says how replay reads event exports for this rollout (the
	// command line's --format, --columns, --variations, --time-unit win).
	Events EventsSpec `yaml:"events"`
	// Alerts configures the PagerDuty notifications (alerts.go).
	Alerts *Alerts `yaml:"alerts"`

	// Source is where the scenario came from (file path or "builtin:NAME").
	Source string `yaml:"-"`
}

// Rollout is the policy part of a scenario (also the whole of a rollout
// file given to `guardsim replay --rollout`).
type Rollout struct {
	ProjectKey     string `yaml:"project_key"`
	EnvironmentKey string `yaml:"environment_key"`
	FlagKey        string `yaml:"flag_key"`
	ContextKind    string `yaml:"context_kind"`
	// Seed is the bucketing seed; default derived from the scenario seed.
	Seed *int64 `yaml:"seed"`
	// Steps default to 1, 5, 10, 25, 50% of StepDuration each.
	Steps        []Step   `yaml:"steps"`
	StepDuration Duration `yaml:"step_duration"`

	CheckInterval    Duration `yaml:"check_interval"`
	MinContexts      *int     `yaml:"min_contexts"`
	Extension        Duration `yaml:"extension"`
	OnInsufficient   string   `yaml:"on_insufficient"`
	Alpha            float64  `yaml:"alpha"`
	OverallAlpha     float64  `yaml:"overall_alpha"`
	NStar            float64  `yaml:"nstar"`
	MinPerArm        int      `yaml:"min_per_arm"`
	SRMAlpha         float64  `yaml:"srm_alpha"`
	SRMConcentration float64  `yaml:"srm_concentration"`
	SRMRollback      *bool    `yaml:"srm_rollback"`
	// Policy names a decision rule (`guardsim policies` lists them;
	// default launchdarkly) and PolicyParams overrides its parameters.
	Policy       string            `yaml:"policy"`
	PolicyParams map[string]string `yaml:"policy_params"`

	// Health configures the health checks (see docs/SCENARIOS.md).
	Health *Health `yaml:"health"`
	// Actions are scripted manual actions, in time order.
	Actions []Action `yaml:"actions"`
}

// Health is the rollout's health-check configuration; each check's action
// is warn (default), hold, rollback or off.
type Health struct {
	NoTraffic             string   `yaml:"no_traffic"`
	NoTrafficAfter        Duration `yaml:"no_traffic_after"`
	MultipleExposures     string   `yaml:"multiple_exposures"`
	MultipleExposureShare float64  `yaml:"multiple_exposure_share"`
	MultipleExposureMin   int      `yaml:"multiple_exposure_min"`
	WrongContextKind      string   `yaml:"wrong_context_kind"`
	WrongContextKindShare float64  `yaml:"wrong_context_kind_share"`
}

// Action is a scripted manual action at a time after the rollout's start:
// rollback, dismiss (optionally of one metric), pause or resume.
type Action struct {
	At     Duration `yaml:"at"`
	Action string   `yaml:"action"`
	Metric string   `yaml:"metric"`
}

// Step is one monitored step.
type Step struct {
	Percent        float64  `yaml:"percent"`
	ControlPercent float64  `yaml:"control_percent"`
	Duration       Duration `yaml:"duration"`
}

// Traffic is the arrival model.
type Traffic struct {
	RatePerHour    float64 `yaml:"rate_per_hour"`
	DailyAmplitude float64 `yaml:"daily_amplitude"`
	PeakHour       float64 `yaml:"peak_hour"`
	Population     int     `yaml:"population"`
}

// Metric is a monitored metric and how the simulation generates it.
type Metric struct {
	Key          string `yaml:"key"`
	Kind         string `yaml:"kind"`        // binary | numeric | percentile | ratio
	Aggregation  string `yaml:"aggregation"` // mean | sum (numeric)
	Direction    string `yaml:"direction"`   // lower_is_better | higher_is_better
	AutoRollback *bool  `yaml:"auto_rollback"`
	MinContexts  int    `yaml:"min_contexts"`
	// Percentile metrics: the quantile (0.99 = p99) and the method
	// (growthbook, default, or nonparametric).
	Quantile float64 `yaml:"quantile"`
	Method   string  `yaml:"method"`
	// Ratio metrics: the numerator and denominator event keys.
	Numerator   string `yaml:"numerator"`
	Denominator string `yaml:"denominator"`
	// Margin is the tolerated regression: "2ms", "0.5" (metric units) or
	// "1%" (of the original arm's value).
	Margin string `yaml:"margin"`
	// Unit is the unit of the metric's values: any label ("ms", "USD"),
	// shown on charts; a time unit (ns, us, ms, s, m, h) when a margin is
	// given as a duration. A key ending in _ms, _s, _us or _ns implies it.
	Unit string `yaml:"unit"`

	// Simulation.
	Rate              float64     `yaml:"rate"`
	Distribution      string      `yaml:"distribution"`
	Mean              float64     `yaml:"mean"`
	SD                float64     `yaml:"sd"`
	ContextSD         float64     `yaml:"context_sd"`
	EventsPerExposure int         `yaml:"events_per_exposure"`
	Delay             Duration    `yaml:"delay"`
	Regression        *Regression `yaml:"regression"`

	// ZeroShare is the share of numeric event values that are zero
	// (zero-inflated metrics such as revenue); mean and sd describe the
	// others.
	ZeroShare float64 `yaml:"zero_share"`
	// Baseline moves the untreated level over time (realism.go).
	Baseline *Baseline `yaml:"baseline"`
}

// Regression is an injected absolute effect on the new variation.
type Regression struct {
	Effect    float64  `yaml:"effect"`
	Start     Duration `yaml:"start"`
	StartStep int      `yaml:"start_step"`
	// TailQuantile and TailScale make a tail regression: new-variation
	// values above the baseline distribution's TailQuantile are multiplied
	// by TailScale (numeric and percentile metrics).
	TailQuantile float64 `yaml:"tail_quantile"`
	TailScale    float64 `yaml:"tail_scale"`
	// Novelty and NoveltyHalfLife make the effect start at Novelty × Effect
	// and tend to Effect with that half-life from its onset.
	Novelty         *float64 `yaml:"novelty"`
	NoveltyHalfLife Duration `yaml:"novelty_half_life"`
	// NoveltyClock is onset (default: the effect's age is the time since
	// its onset) or context (since the context's first exposure to it).
	NoveltyClock string `yaml:"novelty_clock"`
}

// SRMFault injects a sample ratio mismatch.
type SRMFault struct {
	DropNew   float64  `yaml:"drop_new"`
	Misassign float64  `yaml:"misassign"`
	Start     Duration `yaml:"start"`
	// DuplicateNew is the share of new-variation exposures logged a second
	// time under a fresh context key.
	DuplicateNew float64 `yaml:"duplicate_new"`
}

// Duration is a time.Duration written as Go durations ("90m", "36h") or
// with a day suffix ("5d", "1.5d").
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: duration must be a string like \"24h\" or \"2d\": %w", n.Line, err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ParseDuration parses a Go duration or a number of days ("2d"); it is
// schedule.ParseDuration.
func ParseDuration(s string) (time.Duration, error) { return schedule.ParseDuration(s) }

// Parse parses a scenario from YAML; name is used in error messages.
func Parse(data []byte, name string) (*Scenario, error) {
	return parse(data, name, false)
}

// ParseRollout parses a rollout file: the same format as a scenario, of
// which only the name, rollout and metric definitions are needed and
// checked (the simulation fields may be absent).
func ParseRollout(data []byte, name string) (*Scenario, error) {
	return parse(data, name, true)
}

func parse(data []byte, name string, rolloutOnly bool) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, friendlyYAMLError(data, err))
	}
	if err := checkWholeNumbers(data); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%s: line %d: more than one YAML document", name, extra.Line)
	}
	s.Source = name
	validate := s.Validate
	if rolloutOnly {
		validate = s.ValidateRollout
	}
	if err := validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &s, nil
}

// Load loads a scenario by file path or built-in name.
func Load(nameOrPath string) (*Scenario, error) {
	return load(nameOrPath, Parse)
}

// LoadRollout loads a rollout file (or a scenario, file or built-in name,
// whose rollout and metrics are used) for replay.
func LoadRollout(nameOrPath string) (*Scenario, error) {
	return load(nameOrPath, ParseRollout)
}

func load(nameOrPath string, parse func([]byte, string) (*Scenario, error)) (*Scenario, error) {
	if nameOrPath == "" {
		nameOrPath = Default
	}
	if data, err := os.ReadFile(nameOrPath); err == nil {
		return parse(data, nameOrPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	if strings.ContainsAny(nameOrPath, "/\\") || strings.HasSuffix(nameOrPath, ".yaml") {
		return nil, fmt.Errorf("scenario file %s does not exist", nameOrPath)
	}
	data, err := builtin.ReadFile(nameOrPath + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown scenario %q: not a file and not a built-in (built-ins: %s)", nameOrPath, strings.Join(Names(), ", "))
	}
	return parse(data, "builtin:"+nameOrPath)
}

// Names lists the built-in scenarios.
func Names() []string {
	entries, _ := fs.Glob(builtin, "*.yaml")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(path.Base(e), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Builtin returns the raw YAML of a built-in scenario.
func Builtin(name string) ([]byte, error) {
	return builtin.ReadFile(name + ".yaml")
}

// Validate checks every field and names the first problems found.
func (s *Scenario) Validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if s.Rollout.Seed != nil && *s.Rollout.Seed == 0 {
		// A simulation buckets its contexts: zero is not a seed (engine.ErrNoSeed).
		errs = append(errs, errors.New("rollout.seed: 0 is not a bucketing seed; omit it to derive one from the scenario seed"))
	}
	p, err := s.Policy()
	if err != nil {
		errs = append(errs, err)
	} else if err := p.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("rollout: %w", err))
	}
	if err := s.validateRealism(); err != nil {
		errs = append(errs, err)
	}
	if len(s.Metrics) > 0 {
		m := s.Model()
		if err := m.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateRollout checks only what a replay needs: the rollout policy and
// the metric definitions.
func (s *Scenario) ValidateRollout() error {
	p, err := s.Policy()
	if err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("rollout: %w", err)
	}
	return nil
}

// BucketSeed is the rollout's bucketing seed: rollout.seed if set,
// otherwise drawn from the scenario seed.
func (s *Scenario) BucketSeed() int64 {
	if s.Rollout.Seed != nil {
		return *s.Rollout.Seed
	}
	x := s.Seed + 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	if x%1_000_000_000 == 0 {
		return 1_000_000_000 // 0 is not a seed (engine.ErrNoSeed)
	}
	return int64(x % 1_000_000_000)
}

// Policy converts the rollout and metric definitions into an engine policy
// (defaults applied), under the named rollout.policy when one is given.
func (s *Scenario) Policy() (engine.Policy, error) {
	p, err := s.BasePolicy()
	if err != nil {
		return p, err
	}
	r := s.Rollout
	if r.Policy == "" {
		if len(r.PolicyParams) > 0 {
			return p, errors.New("rollout.policy_params needs rollout.policy")
		}
		return p, nil
	}
	np, err := detect.Lookup(r.Policy)
	if err != nil {
		return p, fmt.Errorf("rollout.policy: %w", err)
	}
	p, err = np.Apply(p, r.PolicyParams)
	if err != nil {
		return p, fmt.Errorf("rollout.%w", err)
	}
	return p, nil
}

// BasePolicy is the policy of the rollout and metric definitions without
// the named rollout.policy (guardsim's default rule; defaults applied):
// what `guardsim compare` applies each compared policy to.
func (s *Scenario) BasePolicy() (engine.Policy, error) {
	r := s.Rollout
	p := engine.Policy{
		ProjectKey:       or(r.ProjectKey, "default"),
		EnvironmentKey:   or(r.EnvironmentKey, "production"),
		FlagKey:          or(r.FlagKey, s.Name),
		ContextKind:      r.ContextKind,
		Seed:             s.BucketSeed(),
		CheckInterval:    time.Duration(r.CheckInterval),
		Extension:        time.Duration(r.Extension),
		Alpha:            r.Alpha,
		OverallAlpha:     r.OverallAlpha,
		NStar:            r.NStar,
		MinPerArm:        r.MinPerArm,
		SRMAlpha:         r.SRMAlpha,
		SRMConcentration: r.SRMConcentration,
	}
	ap, err := s.Alerts.alertPolicy()
	if err != nil {
		return p, err
	}
	p.Alerts = ap
	p.MinContexts = engine.DefaultMinContexts
	if r.MinContexts != nil {
		p.MinContexts = *r.MinContexts
	}
	if r.SRMRollback != nil && !*r.SRMRollback {
		p.NoSRMRollback = true
	}
	if h := r.Health; h != nil {
		p.Health = &engine.HealthPolicy{
			NoTraffic: engine.HealthAction(h.NoTraffic), NoTrafficAfter: time.Duration(h.NoTrafficAfter),
			MultipleExposures: engine.HealthAction(h.MultipleExposures), MultipleExposureShare: h.MultipleExposureShare,
			MultipleExposureMin: h.MultipleExposureMin,
			WrongKind:           engine.HealthAction(h.WrongContextKind), WrongKindShare: h.WrongContextKindShare,
		}
	}
	for _, a := range r.Actions {
		p.Actions = append(p.Actions, engine.Action{At: time.Duration(a.At), Kind: engine.ActionKind(a.Action), Metric: a.Metric})
	}
	switch r.OnInsufficient {
	case "", "rollback":
	case "hold":
		p.OnInsufficient = engine.HoldOnInsufficient
	default:
		return p, fmt.Errorf("rollout.on_insufficient %q must be rollback or hold", r.OnInsufficient)
	}
	if r.StepDuration < 0 {
		return p, fmt.Errorf("rollout.step_duration %v must be positive (omit it for the default %v)", time.Duration(r.StepDuration), schedule.DefaultStepDuration)
	}
	if len(r.Steps) == 0 {
		p.Steps = schedule.Default(time.Duration(r.StepDuration))
	} else {
		if r.StepDuration != 0 {
			return p, errors.New("rollout: step_duration applies to the default steps only; give each step a duration instead")
		}
		for _, st := range r.Steps {
			p.Steps = append(p.Steps, schedule.Step{Percent: st.Percent, ControlPercent: st.ControlPercent, Duration: time.Duration(st.Duration)})
		}
	}
	for i, m := range s.Metrics {
		em := engine.Metric{Key: m.Key, MinContexts: m.MinContexts, Unit: metricUnit(m)}
		switch m.Kind {
		case "binary":
			em.Kind = engine.Binary
		case "numeric":
			em.Kind = engine.Numeric
			switch m.Aggregation {
			case "", "mean":
			case "sum":
				em.Aggregation = engine.Sum
			default:
				return p, fmt.Errorf("metrics[%d] (%s).aggregation %q must be mean or sum", i, m.Key, m.Aggregation)
			}
		case "percentile":
			em.Kind = engine.Percentile
			em.Quantile, em.Method = m.Quantile, m.Method
		case "ratio":
			em.Kind = engine.Ratio
			em.Numerator, em.Denominator = m.Numerator, m.Denominator
		default:
			return p, fmt.Errorf("metrics[%d] (%s).kind %q must be binary, numeric, percentile or ratio", i, m.Key, m.Kind)
		}
		if m.Kind != "numeric" && m.Aggregation != "" {
			return p, fmt.Errorf("metrics[%d] (%s).aggregation applies to numeric metrics only", i, m.Key)
		}
		if m.Margin != "" {
			v, rel, err := ParseMargin(m.Margin, metricUnit(m))
			if err != nil {
				return p, fmt.Errorf("metrics[%d] (%s).margin: %w", i, m.Key, err)
			}
			em.Margin, em.MarginRelative = v, rel
		}
		switch m.Direction {
		case "lower_is_better":
		case "higher_is_better":
			em.Direction = engine.HigherIsBetter
		default:
			return p, fmt.Errorf("metrics[%d] (%s).direction %q must be lower_is_better or higher_is_better", i, m.Key, m.Direction)
		}
		if m.AutoRollback != nil && !*m.AutoRollback {
			em.NoAutoRollback = true
		}
		p.Metrics = append(p.Metrics, em)
	}
	return p.WithDefaults(), nil
}

// Model converts the simulation part of the scenario into a sim.Model.
func (s *Scenario) Model() sim.Model {
	start := s.Start
	if start.IsZero() {
		start = DefaultStart
	}
	m := sim.Model{
		Seed:          s.Seed,
		Start:         start.UTC(),
		Horizon:       time.Duration(s.Horizon),
		ContextKind:   s.Rollout.ContextKind,
		OmitVariation: s.OmitVariation,
		Traffic: sim.Traffic{
			RatePerHour:    s.Traffic.RatePerHour,
			DailyAmplitude: s.Traffic.DailyAmplitude,
			PeakHour:       s.Traffic.PeakHour,
			Population:     s.Traffic.Population,
		},
		Fault: sim.SRMFault{DropNew: s.SRMFault.DropNew, Misassign: s.SRMFault.Misassign, Start: time.Duration(s.SRMFault.Start), DuplicateNew: s.SRMFault.DuplicateNew},
	}
	var keys []string
	if p, err := s.Policy(); err == nil {
		if m.Horizon == 0 {
			m.Horizon = p.MaxDuration()
		}
		keys = p.MetricKeys()
	}
	for _, mt := range s.Metrics {
		mm := sim.MetricModel{
			Key:               mt.Key,
			Binary:            mt.Kind == "binary",
			Ratio:             mt.Kind == "ratio",
			Rate:              mt.Rate,
			Distribution:      sim.Distribution(or(mt.Distribution, "normal")),
			Mean:              mt.Mean,
			SD:                mt.SD,
			ContextSD:         mt.ContextSD,
			EventsPerExposure: mt.EventsPerExposure,
			ZeroShare:         mt.ZeroShare,
			Delay:             time.Duration(mt.Delay),
		}
		if mm.EventsPerExposure == 0 {
			mm.EventsPerExposure = 1
		}
		if mt.Regression != nil {
			mm.Effect = mt.Regression.Effect
			mm.EffectStart = time.Duration(mt.Regression.Start)
			mm.EffectStep = mt.Regression.StartStep
			mm.TailQuantile, mm.TailScale = mt.Regression.TailQuantile, mt.Regression.TailScale
		}
		realismModel(mt, &mm)
		if mm.Ratio {
			mm.NumeratorIndex, mm.DenominatorIndex = keyIndex(keys, mt.Numerator), keyIndex(keys, mt.Denominator)
		}
		m.Metrics = append(m.Metrics, mm)
	}
	return m
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
