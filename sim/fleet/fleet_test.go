package fleet

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

var (
	fleetOnce sync.Once
	fleetDir  string
	fleetErr  error
)

// testFleet generates (once per test binary) 12 rollouts of
// testdata/small.yaml, a third with its 40 ms latency regression.
func testFleet(t *testing.T) string {
	t.Helper()
	fleetOnce.Do(func() {
		data, err := os.ReadFile("testdata/small.yaml")
		if err != nil {
			fleetErr = err
			return
		}
		fleetDir, fleetErr = os.MkdirTemp("", "fleet-test-")
		if fleetErr == nil {
			fleetErr = Generate(context.Background(), fleetDir, GenerateOptions{Scenario: data, N: 12, Regressions: 1.0 / 3, Seed: 5})
		}
	})
	require.NoError(t, fleetErr)
	return fleetDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fleetDir != "" {
		_ = os.RemoveAll(fleetDir)
	}
	os.Exit(code)
}

func TestGenerateLayoutAndLabels(t *testing.T) {
	dir := testFleet(t)
	es, err := Discover(dir)
	require.NoError(t, err)
	require.Len(t, es, 12)
	regs := 0
	for i, e := range es {
		assert.Empty(t, e.Err)
		assert.Equal(t, filepath.Join(dir, e.ID, "events.parquet"), e.Events[0])
		assert.Equal(t, filepath.Join(dir, e.ID, "rollout.yaml"), e.Rollout)
		if i > 0 {
			assert.Less(t, es[i-1].ID, e.ID, "sorted")
		}
		if e.Label == Regression {
			regs++
		} else {
			assert.Equal(t, Good, e.Label)
		}
	}
	assert.Equal(t, 4, regs, "a third of 12")
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy([]byte("name: strict\nalpha: 0.01\nschedule: 1:12h,50:1d\ncheck_interval: 30m\non_insufficient: hold\n"), "strict.yaml")
	require.NoError(t, err)
	assert.Equal(t, "strict", p.Name)
	assert.Equal(t, 0.01, *p.Overrides.Alpha)
	assert.Equal(t, 30*time.Minute, *p.Overrides.CheckInterval)
	assert.Len(t, p.Overrides.Steps, 2)
	assert.Equal(t, engine.HoldOnInsufficient, *p.Overrides.OnInsufficient)

	for _, tc := range []struct{ in, mention string }{
		{"alpha: 0.01\n", "name: required"},
		{"name: recorded\nalpha: 0.01\n", "rollouts' own policy"},
		{"name: x\n", "changes nothing"},
		{"name: x\nbeta: 1\n", "beta"},
		{"name: x\ncheck_interval: soon\n", "check_interval"},
		{"name: x\nschedule: ten:1d\n", "schedule"},
		{"name: x\non_insufficient: wait\n", "on_insufficient"},
		{"name: x\npolicy: nosuch\n", "nosuch"},
		{"name: x\npolicy_params: {alpha: \"0.1\"}\n", "policy_params needs policy"},
	} {
		_, err := ParsePolicy([]byte(tc.in), "p.yaml")
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.mention, tc.in)
		assert.Contains(t, err.Error(), "p.yaml", tc.in)
	}
}

// TestNamedPolicy: a candidate may be a named decision policy (guardsim
// policies), replayed like any other.
func TestNamedPolicy(t *testing.T) {
	p, err := ParsePolicy([]byte("name: gb\npolicy: growthbook\npolicy_params: {alpha: \"0.1\"}\n"), "gb.yaml")
	require.NoError(t, err)
	assert.Equal(t, []string{"policy=growthbook", "alpha=0.1"}, p.Changes())
	es, err := Discover(testFleet(t))
	require.NoError(t, err)
	row := ReplayEntry(context.Background(), es[0], []Policy{{Name: Recorded}, p}, 0)
	require.Empty(t, row.Err)
	require.Len(t, row.Decisions, 2)
	assert.NotEqual(t, engine.StatusRunning, row.Decisions[1].Status)
}

func TestDiscoverBadEntries(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644))
	}
	mk("a/rollout.yaml", "x")
	mk("a/events.parquet", "x")
	mk("b/events.parquet", "x")                                           // no rollout.yaml
	mk("c/rollout.yaml", "x")                                             // no events
	mk("d/rollout.yaml", "x")                                             //
	mk("d/part-1.parquet", "x")                                           // loose parts
	mk("d/part-0.parquet", "x")                                           //
	mk("d/label.txt", "maybe\n")                                          // bad label
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".hidden"), 0o755)) // skipped
	es, err := Discover(dir)
	require.NoError(t, err)
	require.Len(t, es, 4)
	assert.Empty(t, es[0].Err)
	assert.Contains(t, es[1].Err, "no rollout.yaml")
	assert.Contains(t, es[2].Err, "no events")
	assert.Equal(t, []string{filepath.Join(dir, "d/part-0.parquet"), filepath.Join(dir, "d/part-1.parquet")}, es[3].Events)
	assert.Contains(t, es[3].Err, `label "maybe"`)

	_, err = Discover(t.TempDir())
	assert.ErrorContains(t, err, "no rollout folders")

	m := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(m, ManifestFile), []byte("id,events,rollout,label\nr2,e2.parquet;more/,r.yaml,regression\nr1,/abs/e1.parquet,r.yaml,\nr2,x,y,good\n,x,y,\nr3,,r.yaml,bad\n"), 0o644))
	es, err = Discover(m)
	require.NoError(t, err)
	require.Len(t, es, 5)
	byID := map[string]Entry{}
	for _, e := range es {
		if _, dup := byID[e.ID]; !dup {
			byID[e.ID] = e
		}
	}
	assert.Equal(t, []string{"/abs/e1.parquet"}, byID["r1"].Events)
	assert.Empty(t, byID["r1"].Err)
	assert.Equal(t, []string{filepath.Join(m, "e2.parquet"), filepath.Join(m, "more")}, byID["r2"].Events)
	assert.Equal(t, Regression, byID["r2"].Label)
	assert.Contains(t, byID["line-5"].Err, "empty id")
	assert.Contains(t, byID["r3"].Err, "no events")
	assert.Contains(t, byID["r3"].Err, `label "bad"`)
	dupErr := ""
	for _, e := range es {
		if e.ID == "r2" && e.Err != "" {
			dupErr = e.Err
		}
	}
	assert.Contains(t, dupErr, `id "r2" repeats line 2`)

	require.NoError(t, os.WriteFile(filepath.Join(m, ManifestFile), []byte("name,files\n"), 0o644))
	_, err = Discover(m)
	assert.ErrorContains(t, err, `lacks column "id"`)
}

// TestBacktest: the recorded policy catches the injected regressions and
// leaves the good rollouts alone; the summary counts match the rows; the
// result does not depend on the workers; a broken rollout is reported and
// the others are unaffected.
func TestBacktest(t *testing.T) {
	dir := testFleet(t)
	es, err := Discover(dir)
	require.NoError(t, err)
	fast, err := ParsePolicy([]byte("name: fast\ncheck_interval: 1h\nnstar: 1000\n"), "fast.yaml")
	require.NoError(t, err)
	strict, err := ParsePolicy([]byte("name: strict\nalpha: 0.0005\n"), "strict.yaml")
	require.NoError(t, err)
	pols := []Policy{{Name: Recorded}, fast, strict}
	ctx := context.Background()

	rows1, err := Backtest(ctx, es, pols, Options{Workers: 1})
	require.NoError(t, err)
	rows3, err := Backtest(ctx, es, pols, Options{Workers: 3})
	require.NoError(t, err)
	require.Equal(t, rows1, rows3, "independent of the workers")

	for _, r := range rows1 {
		require.Empty(t, r.Err)
		require.Len(t, r.Decisions, 3)
		rec := r.Decisions[0]
		if r.Label == Regression {
			assert.True(t, rec.Detected(), "%s: 40 ms regression detected under the recorded policy: %+v", r.ID, rec)
			assert.Equal(t, "latency_ms", rec.Metric)
			assert.Equal(t, 2, rec.Alerts, "%s: trigger and resolve, recorded in process", r.ID)
		} else {
			assert.Equal(t, engine.StatusCompleted, rec.Status, "%s: good rollout completes", r.ID)
			assert.Equal(t, 0, rec.Alerts)
		}
	}

	rep := Summarise(pols, rows1)
	require.Equal(t, []string{Recorded, "fast", "strict"}, rep.Policies)
	assert.Zero(t, rep.Failed)
	for i, s := range rep.Summaries {
		var rb, det, lr, missed, lg, falseRB int
		var ctxs int64
		for _, r := range rows1 {
			d := r.Decisions[i]
			if d.Status == engine.StatusRolledBack {
				rb++
			}
			if d.Reason == engine.ReasonRegression && d.Stopped() {
				det++
			}
			stopped := d.Status == engine.StatusRolledBack || d.Status == engine.StatusHalted
			if r.Label == Regression {
				lr++
				if !stopped {
					missed++
				}
			} else {
				lg++
				if stopped {
					falseRB++
				}
			}
			ctxs += int64(d.NewContexts)
		}
		assert.Equal(t, 12, s.Replayed)
		assert.Equal(t, rb, s.RolledBack, s.Policy)
		assert.Equal(t, det, s.Detections, s.Policy)
		assert.Equal(t, 4, lr)
		assert.Equal(t, lr, s.LabelledRegressions)
		assert.Equal(t, missed, s.Missed, s.Policy)
		assert.Equal(t, lg, s.LabelledGood)
		assert.Equal(t, falseRB, s.FalseRollbacks, s.Policy)
		assert.Equal(t, ctxs, s.ContextsExposed, s.Policy)
	}
	assert.Equal(t, 4, rep.Summaries[0].Detections)
	assert.Zero(t, rep.Summaries[0].MedianGain, "the recorded policy gains nothing on itself")
	assert.Positive(t, rep.Summaries[1].MedianGain, "hourly looks with a smaller N* stop sooner")
	assert.Less(t, rep.Summaries[2].Detections, rep.Summaries[0].Detections, "a far smaller alpha detects less on the same data")

	// A broken rollout beside the good ones.
	bad := Entry{ID: "zz-broken", Events: []string{filepath.Join(t.TempDir(), "nope.parquet")}, Rollout: es[0].Rollout}
	junk := filepath.Join(t.TempDir(), "junk.parquet")
	require.NoError(t, os.WriteFile(junk, []byte("not parquet at all"), 0o644))
	corrupt := Entry{ID: "zz-corrupt", Events: []string{junk}, Rollout: es[0].Rollout}
	rows, err := Backtest(ctx, append(append([]Entry{}, es...), bad, corrupt), pols, Options{Workers: 2})
	require.NoError(t, err)
	require.Len(t, rows, 14)
	assert.Equal(t, rows1, rows[:12], "the others are unaffected")
	assert.Contains(t, rows[12].Err, "nope.parquet")
	assert.Contains(t, rows[13].Err, junk)
	assert.Equal(t, 2, Summarise(pols, rows).Failed)

	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Backtest(ctx2, es, pols, Options{})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = Backtest(ctx, es, []Policy{{Name: "a"}, {Name: "a"}}, Options{})
	assert.ErrorContains(t, err, "given twice")
}

// TestSummariseGain checks the median gain and the labels' counts on
// hand-made rows.
func TestSummariseGain(t *testing.T) {
	h := time.Hour
	stop := func(at time.Duration) Decision {
		return Decision{Status: engine.StatusRolledBack, Reason: engine.ReasonRegression, Elapsed: at}
	}
	done := Decision{Status: engine.StatusCompleted, Elapsed: 60 * h}
	rows := []Row{
		{ID: "c", Label: Regression, Decisions: []Decision{stop(30 * h), stop(20 * h)}}, // gain 10h
		{ID: "a", Label: Regression, Decisions: []Decision{stop(40 * h), stop(10 * h)}}, // gain 30h
		{ID: "b", Label: Good, Decisions: []Decision{done, stop(5 * h)}},                // false rollback, no pair
		{ID: "d", Label: Regression, Decisions: []Decision{stop(24 * h), done}},         // missed by the candidate
		{ID: "e", Label: Unlabelled, Decisions: []Decision{stop(10 * h), stop(12 * h)}}, // gain -2h
		{ID: "f", Err: "broken"},
	}
	rep := Summarise([]Policy{{Name: Recorded}, {Name: "cand"}}, rows)
	assert.Equal(t, []string{"a", "b", "c", "d", "e", "f"}, []string{rep.Rows[0].ID, rep.Rows[1].ID, rep.Rows[2].ID, rep.Rows[3].ID, rep.Rows[4].ID, rep.Rows[5].ID})
	c := rep.Summaries[1]
	assert.Equal(t, 3, c.GainPairs)
	assert.Equal(t, 10*h, c.MedianGain, "median of -2h, 10h, 30h")
	assert.Equal(t, 1, c.Missed)
	assert.Equal(t, 3, c.LabelledRegressions)
	assert.Equal(t, 1, c.FalseRollbacks)
	assert.Equal(t, 1, c.LabelledGood)
	assert.Equal(t, 4, c.RolledBack)
	assert.Equal(t, 5, c.Replayed)
	assert.Equal(t, 1, rep.Failed)
	r := rep.Summaries[0]
	assert.Equal(t, 0, r.Missed)
	assert.Equal(t, 0, r.FalseRollbacks)
	assert.Equal(t, 4, r.GainPairs)
}

// A backtest's alert count is of alert events (triggers and resolves):
// change events of a rollout file with alerts.change_events are not alerts.
func TestRecorderCountsAlertEventsOnly(t *testing.T) {
	var r recorder
	for _, k := range []engine.AlertKind{engine.ChangeStarted, engine.AlertRegression, engine.ChangeAdvanced, engine.AlertReverted, engine.ChangeRolledBack} {
		require.NoError(t, r.Notify(context.Background(), engine.Alert{Kind: k}))
	}
	assert.Equal(t, 2, r.n)
}
