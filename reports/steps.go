package reports

import (
	"time"

	"github.com/guardsim/guardsim/engine"
)

// StepRow summarises one step of a rollout: the run of consecutive checks
// recorded at that step. Contexts, StepNewContexts and Metrics are those of
// the step's last check (Contexts and the metric statistics are cumulative
// over the rollout, as in engine.Check).
type StepRow struct {
	Step    int     `json:"step"`
	Percent float64 `json:"percent"`
	// End is the time of the step's last check (the engine records the
	// check that advances with the step it ends); Start is the previous
	// step's End (the first check's time for the first row). StartElapsed
	// and EndElapsed are the same as time since the start.
	Start        time.Time     `json:"start"`
	End          time.Time     `json:"end"`
	StartElapsed time.Duration `json:"start_elapsed"`
	EndElapsed   time.Duration `json:"end_elapsed"`
	Checks       int           `json:"checks"`
	// Extended is true when the step ran an extension.
	Extended        bool                 `json:"extended,omitempty"`
	Contexts        [engine.NumArms]int  `json:"contexts"`
	StepNewContexts int                  `json:"step_new_contexts"`
	LastDecision    engine.Decision      `json:"last_decision"`
	Metrics         []engine.MetricCheck `json:"metrics"`
}

// StepTable groups the timeline into steps (a new row whenever Step
// changes).
func StepTable(res *engine.Result) []StepRow {
	if res == nil {
		return nil
	}
	var rows []StepRow
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if len(rows) == 0 || rows[len(rows)-1].Step != c.Step {
			rows = append(rows, StepRow{Step: c.Step, Percent: c.Percent, Start: c.Time, StartElapsed: c.Elapsed})
		}
		r := &rows[len(rows)-1]
		r.Checks++
		r.End, r.EndElapsed = c.Time, c.Elapsed
		r.Extended = r.Extended || c.Extended
		r.Contexts = c.Contexts
		r.StepNewContexts = c.StepNewContexts
		r.LastDecision = c.Decision
		r.Metrics = append([]engine.MetricCheck(nil), c.Metrics...)
	}
	// The engine records a check with the step it evaluated, so the check
	// that advances is the last of its step and the next step starts then.
	for i := 1; i < len(rows); i++ {
		rows[i].Start, rows[i].StartElapsed = rows[i-1].End, rows[i-1].EndElapsed
	}
	return rows
}

// lastReady returns, per policy metric, the metric at the last check where
// it was ready (ok false when it never was).
func lastReady(res *engine.Result, key string) (engine.MetricCheck, bool) {
	for i := len(res.Timeline) - 1; i >= 0; i-- {
		for _, m := range res.Timeline[i].Metrics {
			if m.Key == key && m.Ready {
				return m, true
			}
		}
	}
	return engine.MetricCheck{}, false
}

// lastMetric returns the metric at the last check that has it.
func lastMetric(res *engine.Result, key string) (engine.MetricCheck, bool) {
	for i := len(res.Timeline) - 1; i >= 0; i-- {
		for _, m := range res.Timeline[i].Metrics {
			if m.Key == key {
				return m, true
			}
		}
	}
	return engine.MetricCheck{}, false
}

// firstRegressed returns the first check at which the metric regressed.
func firstRegressed(res *engine.Result, key string) (*engine.Check, bool) {
	for i := range res.Timeline {
		for _, m := range res.Timeline[i].Metrics {
			if m.Key == key && m.Regressed {
				return &res.Timeline[i], true
			}
		}
	}
	return nil, false
}
