package detect

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/guardsim/guardsim/engine"
)

// Param is one parameter of a named policy.
type Param struct {
	Name    string
	Default string
	Doc     string
	// Source is where the default comes from ("guardsim" when upstream
	// has none).
	Source string
}

// NamedPolicy is a decision rule that a scenario or rollout file picks with
// `policy: NAME`.
type NamedPolicy struct {
	Name    string
	Summary string
	// Sources are the upstream files and documents the rule follows.
	Sources []string
	Params  []Param
	// Aggregate is false when the aggregate sweep fidelity cannot model the
	// detector; Why says why.
	Aggregate bool
	Why       string
	apply     func(p *engine.Policy, v *values) error
}

// values reads a policy's parameters: overrides, else defaults.
type values struct {
	np   *NamedPolicy
	over map[string]string
	errs []error
}

func (v *values) str(name string) string {
	if s, ok := v.over[name]; ok {
		return strings.TrimSpace(s)
	}
	for _, p := range v.np.Params {
		if p.Name == name {
			return p.Default
		}
	}
	panic("detect: undeclared parameter " + name)
}

func (v *values) float(name string) float64 {
	s := v.str(name)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("policy_params.%s: %q is not a number", name, s))
	}
	return f
}

func (v *values) int(name string) int {
	s := v.str(name)
	i, err := strconv.Atoi(s)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("policy_params.%s: %q is not an integer", name, s))
	}
	return i
}

// floatOr is the override of name, else def (a policy-wide setting such
// as alpha, so a sweep's alpha axis reaches the detector).
func (v *values) floatOr(name string, def float64) float64 {
	if _, ok := v.over[name]; ok {
		return v.float(name)
	}
	return def
}

func (v *values) bool(name string) bool {
	s := v.str(name)
	b, err := strconv.ParseBool(s)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("policy_params.%s: %q is not true or false", name, s))
	}
	return b
}

// Apply returns p (with defaults applied) run under the named policy with
// the given parameter overrides. Unknown parameters and bad values are
// errors naming the parameter.
func (np *NamedPolicy) Apply(p engine.Policy, over map[string]string) (engine.Policy, error) {
	p = p.WithDefaults()
	var errs []error
	for _, k := range slices.Sorted(mapKeys(over)) {
		if !slices.ContainsFunc(np.Params, func(q Param) bool { return q.Name == k }) {
			errs = append(errs, fmt.Errorf("policy_params.%s: policy %s has no such parameter (it has: %s)", k, np.Name, strings.Join(np.paramNames(), ", ")))
		}
	}
	if len(errs) > 0 {
		return p, errors.Join(errs...)
	}
	v := &values{np: np, over: over}
	if err := np.apply(&p, v); err != nil {
		v.errs = append(v.errs, err)
	}
	if len(v.errs) > 0 {
		return p, fmt.Errorf("policy %s: %w", np.Name, errors.Join(v.errs...))
	}
	p.Name = np.Name
	if len(over) > 0 {
		p.Params = make(map[string]string, len(over))
		for k, x := range over {
			p.Params[k] = x
		}
	}
	// The peer detectors judge per-context values (Strata); percentile and
	// ratio metrics are judged by the default detector only, for now.
	if np.Name != "launchdarkly" {
		for i, m := range p.Metrics {
			if m.Kind == engine.Percentile || m.Kind == engine.Ratio {
				return p, fmt.Errorf("policy %s: metrics[%d] (%s) is a %s metric, which only the launchdarkly policy judges so far", np.Name, i, m.Key, m.Kind)
			}
		}
	}
	// Build the detectors once to validate the parameters.
	if _, err := p.DetectorFactory().NewDetectors(p); err != nil {
		return p, fmt.Errorf("policy %s: %w", np.Name, err)
	}
	return p, nil
}

func (np *NamedPolicy) paramNames() []string {
	var out []string
	for _, q := range np.Params {
		out = append(out, q.Name)
	}
	return out
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Lookup returns the named policy.
func Lookup(name string) (*NamedPolicy, error) {
	for i := range policies {
		if policies[i].Name == name {
			return &policies[i], nil
		}
	}
	return nil, fmt.Errorf("unknown policy %q (policies: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the named policies in display order.
func Names() []string {
	out := make([]string, len(policies))
	for i, p := range policies {
		out[i] = p.Name
	}
	return out
}

// Policies returns every named policy.
func Policies() []NamedPolicy { return slices.Clone(policies) }

// Aggregate reports whether the aggregate sweep fidelity can model the
// policy's detector, with the reason when it cannot.
func Aggregate(p engine.Policy) (bool, string) {
	if p.Name == "" {
		return true, ""
	}
	np, err := Lookup(p.Name)
	if err != nil {
		return false, err.Error()
	}
	return np.Aggregate, np.Why
}

var srcLD = "launchdarkly.com/docs/home/releases/guarded-rollouts, /regression-detection (sequential test since January 2026)"

var policies = []NamedPolicy{
	{
		Name:      "launchdarkly",
		Summary:   "LaunchDarkly guarded rollout (guardsim's default): one-sided confidence sequence on the step-stratified difference, extend once then roll back on too few contexts, SRM rollback",
		Sources:   []string{srcLD, "GrowthBook gbstats frequentist/tests.py (confidence-sequence formula)"},
		Params:    []Param{},
		Aggregate: true,
		apply:     func(*engine.Policy, *values) error { return nil },
	},
	{
		Name:    "growthbook",
		Summary: "GrowthBook Safe Rollouts: one-sided sequential test on pooled arms (N* 5000, p < 0.05), minimum sample and minimum change gates; SRM χ² p < 0.001 holds the rollout before guardrails are looked at; hold (not roll back) for minimum sample",
		Sources: []string{
			"growthbook packages/shared/src/experiments/experiments.ts getMetricResultStatus",
			"growthbook packages/shared/src/enterprise/decision-criteria/decisionCriteria.ts getSafeRolloutResultStatus (decision order)",
			"growthbook packages/shared/src/health/health.ts getSRMHealthData; packages/stats/gbstats/utils.py check_srm",
			"growthbook packages/back-end/src/services/safeRolloutSnapshots.ts (forced analysis settings)",
		},
		Params: []Param{
			{"alpha", "0.05", "pValueThreshold (default: the rollout's alpha, itself 0.05 by default)", "shared/src/constants.ts"},
			{"nstar", "5000", "sequentialTestingTuningParameter (default: the rollout's nstar)", "shared/src/constants.ts"},
			{"min_sample", "150", "minimum metric total (conversions or sum) in the larger arm", "DEFAULT_MIN_SAMPLE_SIZE"},
			{"min_percent_change", "0.005", "relative change below which a significant result is ignored", "metricDefaults.minPercentageChange"},
			{"srm_threshold", "0.001", "SRM χ² p-value threshold", "srmThreshold default"},
			{"srm_min_users", "8", "minimum users per variation before SRM is judged (on the total)", "health.ts"},
		},
		Aggregate: true,
		apply: func(p *engine.Policy, v *values) error {
			p.Detector = GrowthBook{Alpha: v.floatOr("alpha", p.MetricAlpha()), NStar: v.floatOr("nstar", p.NStar), MinSample: v.float("min_sample"), MinPercentChange: v.float("min_percent_change")}
			p.OnInsufficient = engine.HoldOnInsufficient
			p.SRMChiSquare = true
			p.SRMAlpha = v.float("srm_threshold")
			p.SRMMinTotal = 2 * v.int("srm_min_users")
			p.SRMHold = true
			if p.Health == nil {
				// GrowthBook's noTrafficAction and multipleExposureAction
				// default to hold (rampScheduleEvaluator.ts); it has no
				// context-kind check.
				p.Health = &engine.HealthPolicy{NoTraffic: engine.HealthHold, MultipleExposures: engine.HealthHold, WrongKind: engine.HealthOff}
			}
			return nil
		},
	},
	{
		Name:    "flagger",
		Summary: "Flagger canary analysis: a threshold on the interval's value (relative difference by default), failed checks accumulate, roll back at `threshold` failed checks; no SRM check",
		Sources: []string{"flagger pkg/controller/scheduler_metrics.go", "flagger pkg/apis/flagger/v1beta1/canary.go GetAnalysisThreshold", "docs/gitbook/usage/metrics.md"},
		Params: []Param{
			{"target", "relative", "what is measured per interval: relative (new/original − 1), difference (new − original) or new (the new arm's value)", "guardsim (Flagger compares arms only in a hand-written query)"},
			{"limit", "0.1", "harmful bound on the target (worse than it fails the check)", "guardsim (Flagger has no default for custom metrics)"},
			{"threshold", "1", "failed checks before rollback", "GetAnalysisThreshold: 1 when unset"},
		},
		Aggregate: true,
		apply: func(p *engine.Policy, v *values) error {
			t, err := ParseTarget(v.str("target"))
			if err != nil {
				return fmt.Errorf("policy_params.target: %w", err)
			}
			p.Detector = Flagger{Target: t, Limit: v.float("limit"), Threshold: v.int("threshold")}
			p.NoSRMRollback = true
			return nil
		},
	},
	{
		Name:    "argo",
		Summary: "Argo Rollouts analysis: success and failure conditions on the interval's relative difference; failureLimit 0, inconclusiveLimit 0, consecutiveErrorLimit 4; inconclusive pauses (halts); no SRM check",
		Sources: []string{"argo-rollouts analysis/analysis.go", "argo-rollouts utils/evaluate/evaluate.go", "argo-rollouts utils/defaults/defaults.go", "docs/features/analysis.md (Inconclusive Runs)"},
		Params: []Param{
			{"target", "relative", "what is measured per interval: relative, difference or new", "guardsim"},
			{"success", "0.05", "successCondition: harm-oriented result ≤ success", "guardsim (Argo has no default condition)"},
			{"failure", "0.1", "failureCondition: harm-oriented result > failure", "guardsim"},
			{"failure_limit", "0", "failed measurements tolerated (negative disables)", "defaults.go"},
			{"inconclusive_limit", "0", "inconclusive measurements tolerated", "defaults.go"},
			{"consecutive_error_limit", "4", "consecutive no-data measurements tolerated", "defaults.go DefaultConsecutiveErrorLimit"},
		},
		Aggregate: true,
		apply: func(p *engine.Policy, v *values) error {
			t, err := ParseTarget(v.str("target"))
			if err != nil {
				return fmt.Errorf("policy_params.target: %w", err)
			}
			p.Detector = Argo{Target: t, Success: v.float("success"), Failure: v.float("failure"),
				FailureLimit: v.int("failure_limit"), InconclusiveLimit: v.int("inconclusive_limit"), ConsecutiveErrors: v.int("consecutive_error_limit")}
			p.PauseOnInconclusive = true
			p.NoSRMRollback = true
			return nil
		},
	},
	{
		Name:    "kayenta",
		Summary: "Kayenta NetflixACAJudge: Mann–Whitney interval (0.98) of the per-interval series, tolerance 0.25, mean-ratio effect gate, group score with marginal (fail-fast) and pass (at each step's end) thresholds; no SRM check",
		Sources: []string{"kayenta-judge NetflixACAJudge.scala", "kayenta-judge classifiers/metric/MannWhitneyClassifier.scala", "kayenta-mannwhitney MannWhitney.scala", "kayenta-judge scorers/WeightedSumScorer.scala, classifiers/score/ThresholdScoreClassifier.scala"},
		Params: []Param{
			{"tolerance", "0.25", "bounds ±tolerance·|estimate|", "NetflixACAJudge"},
			{"confidence", "0.98", "Mann–Whitney interval level", "NetflixACAJudge (class default 0.95)"},
			{"allowed_increase", "1", "effect size (mean ratio) a High needs", "canary-config.md"},
			{"allowed_decrease", "1", "effect size (mean ratio) a Low needs", "canary-config.md"},
			{"critical", "false", "every metric is critical (a failure scores 0)", "canary-config.md"},
			{"pass", "95", "score needed at each step's end", "common Spinnaker configuration"},
			{"marginal", "75", "fail-fast score threshold at every check", "common Spinnaker configuration"},
			{"direction", "metric", "metric (fail only on the harmful direction) or either (Kayenta's default)", "MannWhitneyClassifier"},
			{"nan_strategy", "replace", "replace (by 0, Kayenta's default) or remove an interval without data", "NetflixACAJudge"},
		},
		Aggregate: false,
		Why:       "kayenta ranks per-interval metric values, which need the arrival times of metric events; the aggregate sampler draws sufficient statistics with every event at its exposure",
		apply: func(p *engine.Policy, v *values) error {
			c := DefaultKayentaClassifier()
			c.Tolerance = v.float("tolerance")
			c.ConfLevel = v.float("confidence")
			c.AllowedIncrease, c.AllowedDecrease = v.float("allowed_increase"), v.float("allowed_decrease")
			c.Critical = v.bool("critical")
			switch s := v.str("nan_strategy"); s {
			case "replace":
			case "remove":
				c.RemoveNaN = true
			default:
				return fmt.Errorf("policy_params.nan_strategy: %q must be replace or remove", s)
			}
			k := Kayenta{Classifier: c, Pass: v.float("pass"), Marginal: v.float("marginal")}
			switch s := v.str("direction"); s {
			case "metric":
			case "either":
				k.EitherDirection = true
			default:
				return fmt.Errorf("policy_params.direction: %q must be metric or either", s)
			}
			p.Detector = k
			p.NoSRMRollback = true
			return nil
		},
	},
	{
		Name:      "fixed-horizon",
		Summary:   "teaching baseline: one fixed-horizon one-sided z-test of the stratified difference at each step's end (one look per step, no correction)",
		Sources:   []string{"textbook z-test; guardsim"},
		Params:    []Param{{"alpha", "0.05", "one-sided level of each test (default: the rollout's alpha)", "guardsim"}},
		Aggregate: true,
		apply: func(p *engine.Policy, v *values) error {
			p.Detector = ZTest{Alpha: v.floatOr("alpha", p.MetricAlpha()), MinPerArm: p.MinPerArm}
			return nil
		},
	},
	{
		Name:      "naive-peeking",
		Summary:   "teaching baseline: the same z-test at every check (repeated significance testing; its false-positive rate grows with the looks, Armitage, McPherson & Rowe 1969)",
		Sources:   []string{"Armitage, McPherson & Rowe (1969), J. R. Stat. Soc. A 132(2); guardsim"},
		Params:    []Param{{"alpha", "0.05", "one-sided level of each look (default: the rollout's alpha)", "guardsim"}},
		Aggregate: true,
		apply: func(p *engine.Policy, v *values) error {
			p.Detector = ZTest{Alpha: v.floatOr("alpha", p.MetricAlpha()), MinPerArm: p.MinPerArm, EveryCheck: true}
			return nil
		},
	},
	{
		Name:    "launchdarkly-bayesian",
		Summary: "approximation of LaunchDarkly's legacy probability-based model: regression when the whole credible interval of the relative difference is beyond the regression threshold (level, prior and threshold are undocumented: parameters)",
		Sources: []string{"launchdarkly.com/docs/home/releases/regression-thresholds (legacy, before January 2026)", "GrowthBook variance of ratios (delta method)"},
		Params: []Param{
			{"credible", "0.95", "credible-interval level", "guardsim (undocumented upstream)"},
			{"threshold", "0", "relative regression threshold, 0 to 1 (0 is the most sensitive)", "guardsim (LaunchDarkly's default value is unpublished)"},
		},
		Aggregate: true,
		apply: func(p *engine.Policy, v *values) error {
			p.Detector = LaunchDarklyBayesian{Credible: v.float("credible"), Threshold: v.float("threshold"), MinPerArm: p.MinPerArm}
			return nil
		},
	},
}
