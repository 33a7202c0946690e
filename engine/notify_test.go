package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// Streams ending in each kind of revert.
func srmStream() *stream {
	s := &stream{}
	for h := 0; h < 21; h++ {
		for i := 0; i < 200; i++ {
			s.expose(time.Duration(h)*time.Hour+time.Minute, "o"+itoa(h)+"-"+itoa(i), engine.Original)
			if i < 150 { // a quarter of the new arm is lost
				s.expose(time.Duration(h)*time.Hour+time.Minute, "n"+itoa(h)+"-"+itoa(i), engine.New)
			}
		}
	}
	return s
}

func shortStream() *stream {
	s := &stream{}
	s.arms(time.Minute, "a-", 5, func(_ engine.Variation, i int) float64 { return 100 + noise(i) })
	s.expose(40*time.Hour, "late", engine.Original)
	return s
}

func healthyStream() *stream {
	s := &stream{}
	for h := 0; h < 21; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(_ engine.Variation, i int) float64 { return 100 + noise(i+h*1000) })
	}
	return s
}

// LaunchDarkly's "measured rollout reverted" resolves on every revert,
// whatever its reason; a trigger comes only with a regression.
func TestEveryRevertResolves(t *testing.T) {
	manual := basePolicy()
	manual.Actions = []engine.Action{{At: 3 * time.Hour, Kind: engine.ActionRollback}}
	for _, tc := range []struct {
		name   string
		p      engine.Policy
		s      *stream
		reason engine.Reason
		want   []string
	}{
		{"regression", basePolicy(), regressing(), engine.ReasonRegression, []string{"regression_detected:", "rollout_reverted:regression"}},
		{"SRM", basePolicy(), srmStream(), engine.ReasonSRM, []string{"rollout_reverted:srm"}},
		{"insufficient sample", basePolicy(), shortStream(), engine.ReasonInsufficientSample, []string{"rollout_reverted:insufficient_sample"}},
		{"manual", manual, healthyStream(), engine.ReasonManual, []string{"rollout_reverted:manual"}},
		{"completed: nothing", basePolicy(), healthyStream(), engine.ReasonNone, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			res := run(t, tc.p, tc.s, rec)
			assert.Equal(t, tc.reason, res.Outcome.Reason)
			assert.Equal(t, tc.want, rec.kinds())
			for _, a := range rec.alerts {
				assert.Equal(t, "p:e:f", a.DedupKey(), "trigger and resolve share the dedup key")
			}
			require.Len(t, res.Outcome.Alerts, len(tc.want))
		})
	}
}

// The summary is LaunchDarkly's template with the configured flag name;
// source and tags travel with every alert.
func TestAlertTemplateFields(t *testing.T) {
	for _, tc := range []struct {
		name    string
		alerts  *engine.AlertPolicy
		summary string
		source  string
		tags    []string
	}{
		{"defaults: the flag key", nil, "Regression detected for measured rollout on flag f", "", nil},
		{"flag name, source, tags", &engine.AlertPolicy{FlagName: "New checkout", Source: "app.launchdarkly.com", Tags: []string{"team:payments", "tier1"}},
			"Regression detected for measured rollout on flag New checkout", "app.launchdarkly.com", []string{"team:payments", "tier1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := basePolicy()
			p.Alerts = tc.alerts
			rec := &recorder{}
			run(t, p, regressing(), rec)
			require.Len(t, rec.alerts, 2)
			trig := rec.alerts[0]
			assert.Equal(t, engine.AlertRegression, trig.Kind)
			assert.Equal(t, tc.summary, trig.Summary)
			assert.Equal(t, "latency", trig.Metric)
			for _, a := range rec.alerts {
				assert.Equal(t, tc.source, a.Source)
				assert.Equal(t, tc.tags, a.Tags)
			}
		})
	}
}

// The events filter sends only the listed alert events, like
// LaunchDarkly's eventFilter (both selected by default).
func TestAlertEventsFilter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []engine.AlertKind
		want   []string
	}{
		{"nil: both", nil, []string{"regression_detected:", "rollout_reverted:regression"}},
		{"regression only", []engine.AlertKind{engine.AlertRegression}, []string{"regression_detected:"}},
		{"reverted only", []engine.AlertKind{engine.AlertReverted}, []string{"rollout_reverted:regression"}},
		{"empty: none", []engine.AlertKind{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := basePolicy()
			p.Alerts = &engine.AlertPolicy{Events: tc.events}
			rec := &recorder{}
			res := run(t, p, regressing(), rec)
			assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason)
			assert.Equal(t, tc.want, rec.kinds())
		})
	}
}

// Change events mark start, each advance, completion and rollback, in
// order, at the decisions' times; without ChangeEvents none is sent.
func TestChangeEvents(t *testing.T) {
	manual := basePolicy()
	manual.Actions = []engine.Action{{At: 13 * time.Hour, Kind: engine.ActionRollback}}
	type ev struct {
		kind    string
		at      time.Duration
		step    int
		percent float64
	}
	for _, tc := range []struct {
		name string
		p    engine.Policy
		s    *stream
		want []ev
	}{
		{"completes", basePolicy(), healthyStream(), []ev{
			{"rollout_started:", 0, 1, 10}, {"step_advanced:", 10 * time.Hour, 2, 50}, {"rollout_completed:", 20 * time.Hour, 3, 100}}},
		{"regression", basePolicy(), regressing(), nil}, // filled below
		{"SRM", basePolicy(), srmStream(), nil},
		{"manual after an advance", manual, healthyStream(), []ev{
			{"rollout_started:", 0, 1, 10}, {"step_advanced:", 10 * time.Hour, 2, 50},
			{"rollout_reverted:manual", 13 * time.Hour, 2, 50}, {"rollout_rolled_back:manual", 13 * time.Hour, 2, 50}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Alerts = &engine.AlertPolicy{ChangeEvents: true, FlagName: "Checkout"}
			rec := &recorder{}
			res := run(t, p, tc.s, rec)
			want := tc.want
			if want == nil { // an automatic rollback at the outcome's time
				end := res.Outcome.Elapsed
				r := string(res.Outcome.Reason)
				want = []ev{{"rollout_started:", 0, 1, 10}}
				if res.Outcome.Reason == engine.ReasonRegression {
					want = append(want, ev{"regression_detected:", end, 1, 10})
				}
				want = append(want, ev{"rollout_reverted:" + r, end, 1, 10}, ev{"rollout_rolled_back:" + r, end, 1, 10})
			}
			var got []ev
			for i, a := range rec.alerts {
				got = append(got, ev{rec.kinds()[i], a.Time.Sub(t0), a.Step, a.Percent})
				if a.Kind.IsChange() {
					assert.Contains(t, a.Summary, "Guarded rollout")
					assert.Contains(t, a.Summary, "Checkout")
				}
			}
			assert.Equal(t, want, got)

			p.Alerts.ChangeEvents = false
			rec = &recorder{}
			run(t, p, tc.s, rec)
			for _, a := range rec.alerts {
				assert.False(t, a.Kind.IsChange(), a.Kind)
			}
		})
	}
}

// A rollout started by Options.Start sends its start event before any
// check, even when its first event comes later.
func TestChangeStartedBeforeTheFirstCheck(t *testing.T) {
	p := basePolicy()
	p.Alerts = &engine.AlertPolicy{ChangeEvents: true}
	s := &stream{}
	s.expose(3*time.Hour+time.Minute, "late", engine.Original)
	rec := &recorder{}
	res := run(t, p, s, rec)
	require.NotEmpty(t, rec.alerts)
	assert.Equal(t, engine.ChangeStarted, rec.alerts[0].Kind)
	assert.Equal(t, t0, rec.alerts[0].Time)
	assert.Len(t, res.Timeline, 4, "start row and the checks at 1h, 2h, 3h")
}

func TestAlertPolicyValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		ap   engine.AlertPolicy
		want string
	}{
		{"change kind in events", engine.AlertPolicy{Events: []engine.AlertKind{engine.ChangeStarted}}, `alerts.events[0] "rollout_started" is not an alert event`},
		{"unknown event", engine.AlertPolicy{Events: []engine.AlertKind{engine.AlertRegression, "paged"}}, `alerts.events[1] "paged"`},
		{"blank tag", engine.AlertPolicy{Tags: []string{"a", " "}}, "alerts.tags[1] must not be blank"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := basePolicy()
			p.Alerts = &tc.ap
			_, err := engine.NewRollout(p, engine.Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	p := basePolicy()
	p.Alerts = &engine.AlertPolicy{Events: []engine.AlertKind{engine.AlertReverted}, Tags: []string{"x"}}
	_, err := engine.NewRollout(p, engine.Options{})
	assert.NoError(t, err)
}

func TestParseAlertKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want engine.AlertKind
		err  bool
	}{
		{"regression_detected", engine.AlertRegression, false},
		{"rollout_reverted", engine.AlertReverted, false},
		{"measured-rollout-regression", engine.AlertRegression, false},
		{" measured-rollout-reverted ", engine.AlertReverted, false},
		{"rollout_started", "", true},
		{"", "", true},
	} {
		got, err := engine.ParseAlertKind(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
	}
}

// A snapshot taken before the start change event went out (a rollout made
// with Options.Start, no event yet) keeps it pending: the restored rollout
// sends the same alerts and makes the same checks as one never stopped.
func TestSnapshotKeepsThePendingStartEvent(t *testing.T) {
	p := basePolicy()
	p.Alerts = &engine.AlertPolicy{ChangeEvents: true}
	s := healthyStream()
	want := &recorder{}
	wantRes := run(t, p, s, want)

	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	snap, err := r.Snapshot()
	require.NoError(t, err)
	got := &recorder{}
	r2, err := engine.Restore(p, engine.Options{Notifier: got}, snap)
	require.NoError(t, err)
	res, err := r2.Feed(context.Background(), &engine.SliceSource{Events: s.evs}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, want.kinds(), got.kinds())
	assert.Equal(t, decisions(wantRes), decisions(res))
	assert.Equal(t, len(wantRes.Timeline), len(res.Timeline))
}
