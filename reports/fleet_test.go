package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim/fleet"
)

func testFleetReport(pairs bool) *fleet.Report {
	alpha := 0.01
	pols := []fleet.Policy{{Name: fleet.Recorded}, {Name: "strict", Overrides: engine.Overrides{Alpha: &alpha}}}
	stop := fleet.Decision{Status: engine.StatusRolledBack, Reason: engine.ReasonRegression, Metric: "latency_ms", Elapsed: 26 * time.Hour, Percent: 10, NewContexts: 360, Alerts: 2}
	done := fleet.Decision{Status: engine.StatusCompleted, Elapsed: 60 * time.Hour, Percent: 100, NewContexts: 4100}
	cand := done
	if pairs {
		cand = stop
		cand.Elapsed = 20 * time.Hour
	}
	return fleet.Summarise(pols, []fleet.Row{
		{ID: "r2", Label: fleet.Good, Decisions: []fleet.Decision{done, done}},
		{ID: "r1", Label: fleet.Regression, Decisions: []fleet.Decision{stop, cand}},
		{ID: "r3", Err: "r3/events.parquet: not a Parquet file"},
	})
}

func TestWriteFleet(t *testing.T) {
	rep := testFleetReport(true)
	d1, d2 := t.TempDir(), t.TempDir()
	require.NoError(t, WriteFleet(d1, rep))
	require.NoError(t, WriteFleet(d2, rep))
	for _, f := range []string{FleetCSV, FleetSummaryCSV, FleetJSON, FleetOutcomes, FleetStopTimes, "report.md"} {
		a, err := os.ReadFile(filepath.Join(d1, f))
		require.NoError(t, err, f)
		b, err := os.ReadFile(filepath.Join(d2, f))
		require.NoError(t, err)
		assert.Equal(t, a, b, "%s is deterministic", f)
	}
	csv, err := os.ReadFile(filepath.Join(d1, FleetCSV))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, "id,label,error,recorded.status,recorded.reason,recorded.metric,recorded.stopped_h,recorded.percent,recorded.new_contexts,recorded.alerts,"+
		"strict.status,strict.reason,strict.metric,strict.stopped_h,strict.percent,strict.new_contexts,strict.alerts", lines[0])
	assert.Equal(t, "r1,regression,,rolled_back,regression,latency_ms,26,10,360,2,rolled_back,regression,latency_ms,20,10,360,2", lines[1])
	assert.Equal(t, "r3,,r3/events.parquet: not a Parquet file,,,,,,,,,,,,,,", lines[3])

	sum, err := os.ReadFile(filepath.Join(d1, FleetSummaryCSV))
	require.NoError(t, err)
	assert.Contains(t, string(sum), "strict,alpha=0.01,2,1,0,1,1,0,1,0,1,6,4460,2\n", "median gain 26h-20h")

	md, err := os.ReadFile(filepath.Join(d1, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| strict | alpha=0.01 | 2 | 1 | 0 | 1 | 1 | 0 | 1 | 0 | 6 h over 1 | 4460 | 2 |")
	assert.Contains(t, string(md), "| r3 | r3/events.parquet: not a Parquet file |")
	assert.Contains(t, string(md), "![stop-times.png](stop-times.png)")

	// No pairs: the stop-times plot is skipped, and an old one removed.
	require.NoError(t, WriteFleet(d1, testFleetReport(false)))
	assert.NoFileExists(t, filepath.Join(d1, FleetStopTimes))
	md, err = os.ReadFile(filepath.Join(d1, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "No stop-times plot")
}
