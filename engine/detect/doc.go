// Package detect holds guardsim's peer detectors and named policies: the
// decision rules of GrowthBook Safe Rollouts, Flagger, Argo Rollouts,
// Kayenta (Mann–Whitney judge), LaunchDarkly's legacy Bayesian model, and
// two teaching baselines (a fixed-horizon z-test at each step's end and a
// naive z-test at every check), each an engine.Detector, plus the registry
// of named policies ("launchdarkly", "growthbook", …) that a scenario or
// rollout file picks with `policy: NAME` and overrides with
// `policy_params`.
//
// Every rule follows its upstream source as summarised in
// shared/reference/metrics-detectors.md §4 and product-anchors.md §2–3;
// each default is cited where it is defined (Policies lists them).
package detect
