package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// recorder is a Notifier that keeps the alerts.
type recorder struct{ alerts []engine.Alert }

func (r *recorder) Notify(_ context.Context, a engine.Alert) error {
	r.alerts = append(r.alerts, a)
	return nil
}

func (r *recorder) kinds() []string {
	var out []string
	for _, a := range r.alerts {
		out = append(out, string(a.Kind)+":"+string(a.Reason))
	}
	return out
}

// regressing is 20 contexts per arm every hour for 21 h, the new arm 10
// units worse on a lower-is-better metric.
func regressing() *stream {
	s := &stream{}
	for h := 0; h < 21; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(v engine.Variation, i int) float64 {
			if v == engine.New {
				return 110 + noise(i)
			}
			return 100 + noise(i)
		})
	}
	return s
}

func actionDecisions(res *engine.Result) []string {
	var out []string
	for _, c := range res.Timeline {
		if c.Decision != engine.DecisionContinue {
			out = append(out, string(c.Decision)+" "+string(c.Reason))
		}
	}
	return out
}

func TestManualRollbackResolvesTheIncident(t *testing.T) {
	p := basePolicy()
	p.Metrics[0].NoAutoRollback = true // a regression halts and alerts
	p.Actions = []engine.Action{{At: 5 * time.Hour, Kind: engine.ActionRollback}}
	rec := &recorder{}
	res := run(t, p, regressing(), rec)
	assert.Equal(t, []string{"start ", "halt regression", "rollback manual"}, actionDecisions(res))
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	assert.Equal(t, engine.ReasonManual, res.Outcome.Reason)
	assert.Equal(t, 5*time.Hour, res.Outcome.Elapsed)
	assert.Equal(t, []string{"regression_detected:", "rollout_reverted:manual"}, rec.kinds())

	// Without an open incident a manual rollback still sends the revert
	// (LaunchDarkly's "measured rollout reverted" goes out on every
	// revert; PagerDuty drops a resolve for a key with no open alert).
	p = basePolicy()
	p.Actions = []engine.Action{{At: 3 * time.Hour, Kind: engine.ActionRollback}}
	rec = &recorder{}
	var s stream
	s.arms(time.Minute, "a", 20, func(engine.Variation, int) float64 { return 1 })
	s.expose(4*time.Hour, "late", engine.Original)
	res = run(t, p, &s, rec)
	assert.Equal(t, []string{"start ", "rollback manual"}, actionDecisions(res))
	assert.Equal(t, []string{"rollout_reverted:manual"}, rec.kinds())
}

func TestDismissLetsAHaltedRolloutContinue(t *testing.T) {
	p := basePolicy()
	p.Metrics[0].NoAutoRollback = true
	p.Actions = []engine.Action{{At: 6 * time.Hour, Kind: engine.ActionDismiss}}
	rec := &recorder{}
	s := regressing()
	s.expose(40*time.Hour, "late", engine.Original)
	res := run(t, p, s, rec)
	d := actionDecisions(res)
	require.GreaterOrEqual(t, len(d), 4)
	assert.Equal(t, []string{"start ", "halt regression", "dismiss "}, d[:3])
	// The dismissed metric no longer halts it: the steps advance and it
	// completes, with the halt's time added to step 1.
	assert.Equal(t, "advance ", d[3])
	assert.Equal(t, engine.StatusCompleted, res.Outcome.Status)
	assert.Equal(t, []string{"regression_detected:", "rollout_reverted:dismissed"}, rec.kinds())
	var halt, dismiss, adv engine.Check
	for _, c := range res.Timeline {
		switch c.Decision {
		case engine.DecisionHalt:
			halt = c
		case engine.DecisionDismiss:
			dismiss = c
		case engine.DecisionAdvance:
			if adv.Decision == "" {
				adv = c
			}
		}
	}
	assert.Equal(t, "latency", dismiss.Metric)
	assert.Contains(t, dismiss.Note, "regression on latency dismissed")
	assert.Equal(t, 10*time.Hour+dismiss.Elapsed-halt.Elapsed, adv.Elapsed, "the halt stopped the step's clock")
	// Events during the halt were analysed.
	assert.Greater(t, dismiss.Contexts[engine.New], halt.Contexts[engine.New])
	assert.Equal(t, int64(1), res.Outcome.Counters.AfterEnd, "only the exposure after completion")
}

func TestPauseStopsTheSchedule(t *testing.T) {
	p := basePolicy()
	p.Actions = []engine.Action{{At: 2 * time.Hour, Kind: engine.ActionPause}, {At: 7 * time.Hour, Kind: engine.ActionResume}}
	var s stream
	for h := 0; h < 30; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(engine.Variation, int) float64 { return 1 })
	}
	res := run(t, p, &s, nil)
	var got []string
	for _, c := range res.Timeline {
		if c.Decision != engine.DecisionContinue {
			got = append(got, string(c.Decision)+"@"+c.Elapsed.String())
		}
	}
	assert.Equal(t, []string{"start@0s", "pause@2h0m0s", "resume@7h0m0s", "advance@15h0m0s", "complete@25h0m0s"}, got)

	// A pause that is never resumed keeps the step: no advance.
	p.Actions = p.Actions[:1]
	res = run(t, p, &s, nil)
	for _, c := range res.Timeline {
		assert.NotEqual(t, engine.DecisionAdvance, c.Decision)
	}
	assert.Equal(t, engine.StatusRunning, res.Outcome.Status)
}

func TestHealthChecks(t *testing.T) {
	h := time.Hour
	noTraffic := func() *stream {
		var s stream
		s.arms(time.Minute, "a", 20, func(engine.Variation, int) float64 { return 1 })
		s.expose(40*h, "late", engine.Original)
		return &s
	}
	multi := func() *stream {
		var s stream
		for i := 0; i < 100; i++ {
			s.expose(time.Minute, "n"+itoa(i), engine.New)
			s.expose(time.Minute, "o"+itoa(i), engine.Original)
		}
		for i := 0; i < 12; i++ { // 12 of 200 contexts (6%) also seen in the other arm
			s.expose(2*h, "n"+itoa(i), engine.Original)
		}
		s.expose(25*h, "late", engine.Original)
		return &s
	}
	wrongKind := func() *stream {
		var s stream
		for i := 0; i < 100; i++ {
			s.expose(time.Minute, "n"+itoa(i), engine.New)
			s.expose(time.Minute, "o"+itoa(i), engine.Original)
		}
		for i := 0; i < 20; i++ {
			s.evs = append(s.evs, engine.Event{Time: at(2 * h), Kind: engine.KindExposure, Variation: engine.New, ContextKind: "device", ContextKey: "d" + itoa(i)})
		}
		s.expose(25*h, "late", engine.Original)
		return &s
	}
	cases := []struct {
		name     string
		stream   func() *stream
		health   engine.HealthPolicy
		outcome  engine.Reason
		at       time.Duration // when the check starts failing
		contains string
	}{
		{"no traffic warns", noTraffic, engine.HealthPolicy{}, engine.ReasonNone, 25 * h, "health warning: no analysed exposure for 24h59m0s"},
		{"no traffic rolls back", noTraffic, engine.HealthPolicy{NoTraffic: engine.HealthRollback}, engine.ReasonNoTraffic, 25 * h, "health check failed: no analysed exposure for 24h59m0s"},
		{"multiple exposures warn", multi, engine.HealthPolicy{}, engine.ReasonNone, 3 * h, "12 of 200 analysed contexts (6%) were seen in both arms"},
		{"multiple exposures roll back", multi, engine.HealthPolicy{MultipleExposures: engine.HealthRollback}, engine.ReasonMultipleExposures, 3 * h, "health check failed"},
		{"wrong kind warns", wrongKind, engine.HealthPolicy{}, engine.ReasonNone, 3 * h, `20 of 220 exposures (9.1%) have a context kind other than "user"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := basePolicy()
			p.MinContexts = 0
			p.Steps[0].Duration, p.Steps[1].Duration = 30*h, 30*h
			p.Health = &tc.health
			res := run(t, p, tc.stream(), nil)
			assert.Equal(t, tc.outcome, res.Outcome.Reason)
			var first *engine.Check
			for i := range res.Timeline {
				if len(res.Timeline[i].Health) > 0 {
					first = &res.Timeline[i]
					break
				}
			}
			require.NotNil(t, first, "no check failed")
			assert.Equal(t, tc.at, first.Elapsed)
			assert.Contains(t, first.Note, tc.contains)
			if tc.outcome != engine.ReasonNone {
				assert.Equal(t, engine.DecisionRollback, first.Decision)
			}
		})
	}

	// Off disables a check; hold keeps the step from advancing.
	p := basePolicy()
	p.MinContexts = 0
	p.Health = &engine.HealthPolicy{MultipleExposures: engine.HealthOff}
	res := run(t, p, multi(), nil)
	for _, c := range res.Timeline {
		assert.Empty(t, c.Health)
	}
	p.Health = &engine.HealthPolicy{MultipleExposures: engine.HealthHold}
	res = run(t, p, multi(), nil)
	var holds int
	for _, c := range res.Timeline {
		if c.Decision == engine.DecisionHold {
			holds++
			assert.True(t, strings.HasPrefix(c.Note, "health check failing (12 of 200"), c.Note)
		}
		assert.NotEqual(t, engine.DecisionAdvance, c.Decision)
	}
	assert.Positive(t, holds)
}

func TestActionAndHealthValidation(t *testing.T) {
	p := basePolicy()
	p.Actions = []engine.Action{{At: 2 * time.Hour, Kind: "explode"}, {At: time.Hour, Kind: engine.ActionDismiss, Metric: "nope"}, {At: 3 * time.Hour, Kind: engine.ActionPause, Metric: "latency"}}
	p.Health = &engine.HealthPolicy{NoTraffic: "panic", MultipleExposureShare: 2}
	err := p.WithDefaults().Validate()
	require.Error(t, err)
	for _, want := range []string{
		`actions[0].action "explode" must be rollback, dismiss, pause or resume`,
		"actions[1].at 1h0m0s is before the previous action's 2h0m0s",
		`actions[1].metric "nope" is not a monitored metric`,
		"actions[2].metric applies to dismiss only",
		`health.no_traffic "panic" must be warn, hold, rollback or off`,
		"health.multiple_exposure_share 2 must be in (0, 1]",
	} {
		assert.ErrorContains(t, err, want)
	}
}
