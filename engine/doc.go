// Package engine is the guarded-rollout engine: it consumes a time-ordered
// stream of exposure and metric events on a virtual clock, assigns contexts to
// the new or original variation (LaunchDarkly-compatible bucketing when the
// events do not carry a variation), walks a step schedule, and at every check
// runs one-sided anytime-valid confidence sequences per metric and a
// sequential sample-ratio-mismatch test. It produces a decision timeline and an
// outcome (completed, rolled back with a reason, or halted on regression) and
// calls a Notifier when a regression is detected and when the rollout reverts.
//
// The engine knows nothing of files, flags, HTTP or plots: events come in
// through Observe, one timeline type flows out.
package engine
