package engine_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
)

// endNotes lists the step-end decisions with their notes.
func endNotes(res *engine.Result) []string {
	var out []string
	for _, c := range res.Timeline {
		switch c.Decision {
		case engine.DecisionAdvance, engine.DecisionExtend, engine.DecisionComplete, engine.DecisionRollback, engine.DecisionHold:
			out = append(out, fmt.Sprintf("step %d %s %s", c.Step, c.Decision, c.Note))
		}
	}
	return out
}

// TestMetricMinimumCountsContextsWithDataInTheStep pins down what a
// metric's own minimum counts: new-arm contexts served the new variation in
// the current step that have an event of the metric in that step,
// returning contexts included, each once.
func TestMetricMinimumCountsContextsWithDataInTheStep(t *testing.T) {
	h := time.Hour
	policy := func(kind engine.MetricKind, agg engine.Aggregation) engine.Policy {
		return engine.Policy{
			FlagKey: "f", Seed: 1, CheckInterval: h, MinContexts: 0, MinPerArm: 1000,
			Steps:     []schedule.Step{{Percent: 10, Duration: 10 * h}, {Percent: 50, Duration: 10 * h}},
			Extension: 5 * h, OnInsufficient: engine.RollbackOnInsufficient,
			Metrics: []engine.Metric{{Key: "m", Kind: kind, Aggregation: agg, MinContexts: 3}},
			// The hand-built streams pause for a day: not what is tested.
			Health: &engine.HealthPolicy{NoTraffic: engine.HealthOff},
		}
	}
	cases := []struct {
		name  string
		kind  engine.MetricKind
		agg   engine.Aggregation
		build func(s *stream)
		want  []string
	}{
		{
			name: "binary: exposed contexts without a conversion do not count",
			kind: engine.Binary,
			build: func(s *stream) {
				for i := 0; i < 10; i++ {
					s.expose(h, "n"+itoa(i), engine.New)
				}
				s.metric(2*h, "n0", 0, 1)
				s.metric(2*h, "n1", 0, 1)
				s.metric(3*h, "n1", 0, 1) // a second event of the same context counts once
			},
			want: []string{
				"step 1 extend minimum not met (m: 2 of 3 new-variation contexts with data); step extended once",
				"step 1 rollback minimum not met after the extension (m: 2 of 3 new-variation contexts with data)",
			},
		},
		{
			name: "binary: three converters meet it",
			kind: engine.Binary,
			build: func(s *stream) {
				for i := 0; i < 3; i++ {
					s.expose(h, "n"+itoa(i), engine.New)
					s.metric(2*h, "n"+itoa(i), 0, 1)
				}
				// In step 2 the same three return, are served and convert.
				for i := 0; i < 3; i++ {
					s.expose(12*h, "n"+itoa(i), engine.New)
					s.metric(13*h, "n"+itoa(i), 0, 1)
				}
			},
			want: []string{
				"step 1 advance step 2 starts at 50%",
				"step 2 complete last step passed; rolled forward to 100%",
			},
		},
		{
			name: "returning contexts count in a later step only if served in it",
			kind: engine.Numeric,
			build: func(s *stream) {
				for i := 0; i < 3; i++ {
					s.expose(h, "n"+itoa(i), engine.New)
					s.metric(2*h, "n"+itoa(i), 0, 5)
				}
				// Step 2: n0 and n1 return and have data; n2 only has data
				// (no exposure in step 2): two count.
				s.expose(11*h, "n0", engine.New)
				s.metric(12*h, "n0", 0, 5)
				s.metric(12*h, "n1", 0, 5) // event before the exposure: counts once served
				s.expose(13*h, "n1", engine.New)
				s.expose(14*h, "n1", engine.New)
				s.metric(14*h, "n2", 0, 5)
			},
			want: []string{
				"step 1 advance step 2 starts at 50%",
				"step 2 extend minimum not met (m: 2 of 3 new-variation contexts with data); step extended once",
				"step 2 rollback minimum not met after the extension (m: 2 of 3 new-variation contexts with data)",
			},
		},
		{
			name: "ratio: a numerator or denominator event is data",
			kind: engine.Ratio,
			build: func(s *stream) {
				for i := 0; i < 4; i++ {
					s.expose(h, "n"+itoa(i), engine.New)
				}
				s.metric(2*h, "n0", 1, 10) // revenue
				s.metric(2*h, "n1", 2, 1)  // orders
				s.metric(3*h, "n1", 1, 5)
			},
			want: []string{
				"step 1 extend minimum not met (m: 2 of 3 new-variation contexts with data); step extended once",
				"step 1 rollback minimum not met after the extension (m: 2 of 3 new-variation contexts with data)",
			},
		},
		{
			name: "sum metric: contexts without events do not count; control never does",
			kind: engine.Numeric, agg: engine.Sum,
			build: func(s *stream) {
				for i := 0; i < 5; i++ {
					s.expose(h, "n"+itoa(i), engine.New)
					s.expose(h, "c"+itoa(i), engine.Original)
					s.metric(2*h, "c"+itoa(i), 0, 1)
				}
				s.metric(2*h, "n4", 0, 2)
				// During the extension two more have data: 3 of 3.
				s.metric(11*h, "n3", 0, 2)
				s.metric(12*h, "n2", 0, 2)
			},
			want: []string{
				"step 1 extend minimum not met (m: 1 of 3 new-variation contexts with data); step extended once",
				"step 1 advance step 2 starts at 50%",
				"step 2 extend minimum not met (m: 0 of 3 new-variation contexts with data); step extended once",
				"step 2 rollback minimum not met after the extension (m: 0 of 3 new-variation contexts with data)",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s stream
			tc.build(&s)
			s.expose(40*h, "late", engine.Original) // keeps the clock running past every step
			sortByTime(&s)
			p := policy(tc.kind, tc.agg)
			if tc.kind == engine.Ratio {
				// Events of key index 1 (revenue) and 2 (orders) feed m.
				p.Metrics[0].Numerator, p.Metrics[0].Denominator = "revenue", "orders"
			}
			res := run(t, p, &s, nil)
			assert.Equal(t, tc.want, endNotes(res))
		})
	}
}

// TestPolicyMinimumCountsReturningContexts: the policy's minimum counts the
// distinct contexts served the new variation in the step, whenever they were
// first analysed.
func TestPolicyMinimumCountsReturningContexts(t *testing.T) {
	h := time.Hour
	p := engine.Policy{
		FlagKey: "f", Seed: 1, CheckInterval: h, MinContexts: 3, MinPerArm: 1000,
		Steps:   []schedule.Step{{Percent: 10, Duration: 10 * h}, {Percent: 50, Duration: 10 * h}},
		Metrics: []engine.Metric{{Key: "m", Kind: engine.Binary}},
	}
	var s stream
	for i := 0; i < 3; i++ {
		s.expose(h, "n"+itoa(i), engine.New)
		s.expose(2*h, "n"+itoa(i), engine.New) // twice in a step: once
		s.expose(11*h, "n"+itoa(i), engine.New)
	}
	s.expose(25*h, "late", engine.Original)
	sortByTime(&s)
	res := run(t, p, &s, nil)
	notes := endNotes(res)
	require.Len(t, notes, 2)
	assert.Equal(t, "step 2 complete last step passed; rolled forward to 100%", notes[1])
	for _, c := range res.Timeline {
		if c.Step == 1 && c.Decision == engine.DecisionAdvance {
			assert.Equal(t, 3, c.StepNewContexts)
		}
	}
	assert.False(t, strings.Contains(strings.Join(notes, "\n"), "minimum not met"))
}

// sortByTime orders a hand-built stream by time, keeping the order of
// simultaneous events.
func sortByTime(s *stream) {
	sort.SliceStable(s.evs, func(i, j int) bool { return s.evs[i].Time < s.evs[j].Time })
}
