package reports

import (
	"fmt"
	"strings"
	"time"
)

// Provenance says where a replay's events and policy came from, for the
// summary and the report.
type Provenance struct {
	// Files are the event files read, in order.
	Files []string `json:"files"`
	// Format is the input format (guardsim, launchdarkly).
	Format string `json:"format,omitempty"`
	// Rollout is the rollout file or built-in scenario of the policy.
	Rollout string `json:"rollout"`
	// Overrides are the what-if changes to the policy (name=value).
	Overrides []string `json:"overrides"`
	// Rows read, events kept, and those skipped.
	Rows                 int64 `json:"rows"`
	Events               int64 `json:"events"`
	SkippedOtherFlag     int64 `json:"skipped_other_flag"`
	SkippedUnknownMetric int64 `json:"skipped_unknown_metric"`
	// Caveats warn about what the recorded data cannot show (e.g. traffic
	// after the recorded rollback).
	Caveats []string `json:"caveats"`
}

// PostRollbackCaveat is the warning for a what-if replay that ran past the
// last new-variation exposure of a stream that continues without any: the
// recorded rollout was probably rolled back there, so later decisions see
// only the original variation. It is "" when it does not apply.
func PostRollbackCaveat(overridden bool, lastNew, lastEvent, decidedUntil time.Time, checkInterval time.Duration) string {
	if !overridden || lastNew.IsZero() || lastEvent.Sub(lastNew) <= checkInterval || !decidedUntil.After(lastNew) {
		return ""
	}
	return fmt.Sprintf("the recorded stream has no new-variation exposure after %s (its rollout was probably rolled back there) although it runs until %s: decisions of this what-if after that time see only the original variation",
		lastNew.UTC().Format(time.RFC3339), lastEvent.UTC().Format(time.RFC3339))
}

// lines are the provenance as label: value pairs.
func (p *Provenance) lines() []kv {
	if p == nil {
		return nil
	}
	ov := "none"
	if len(p.Overrides) > 0 {
		ov = strings.Join(p.Overrides, ", ")
	}
	out := []kv{
		{"Event files", strings.Join(p.Files, ", ")},
		{"Rollout policy", p.Rollout},
		{"What-if overrides", ov},
		{"Rows read", fmt.Sprintf("%d (%d events kept; %d other-flag exposures and %d unknown-metric events skipped)", p.Rows, p.Events, p.SkippedOtherFlag, p.SkippedUnknownMetric)},
	}
	if p.Format != "" {
		out = append(out, kv{"Format", p.Format})
	}
	for _, c := range p.Caveats {
		out = append(out, kv{"Caveat", c})
	}
	return out
}
