package reports

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/sim/sweep"
)

// TestSweepInteractiveSeries: the power lines are the policies (cells in
// effect order, effect 0 included), the false-positive lines the
// parameters other than alpha (cells in alpha order).
func TestSweepInteractiveSeries(t *testing.T) {
	res := fixtureSweep()
	// Reverse the cells so that the ordering is the code's, not the fixture's.
	for i, j := 0, len(res.Cells)-1; i < j; i, j = i+1, j-1 {
		res.Cells[i], res.Cells[j] = res.Cells[j], res.Cells[i]
	}
	pw := interactivePowerSeries(res)
	require.Len(t, pw, 4)
	for _, s := range pw {
		require.Len(t, s.Cells, 4, s.Label)
		var effects []float64
		for _, i := range s.Cells {
			assert.Equal(t, s.Label, res.Cells[i].Policy)
			effects = append(effects, res.Cells[i].Effect)
		}
		assert.Equal(t, []float64{0, 2, 5, 10}, effects, s.Label)
	}
	fp := interactiveFPRSeries(res)
	require.Len(t, fp, 2)
	labels := []string{fp[0].Label, fp[1].Label}
	assert.ElementsMatch(t, []string{"nstar=1000", "nstar=5000"}, labels)
	for _, s := range fp {
		require.Len(t, s.Cells, 2)
		assert.Equal(t, 0.01, res.Cells[s.Cells[0]].Alpha)
		assert.Equal(t, 0.05, res.Cells[s.Cells[1]].Alpha)
		for _, i := range s.Cells {
			assert.Zero(t, res.Cells[i].Effect)
		}
	}
}

// TestSweepHTMLInteractive: report.html embeds the cells (decoding to the
// result's cells), the chart containers and links to the data files.
func TestSweepHTMLInteractive(t *testing.T) {
	res := fixtureSweep()
	dir := t.TempDir()
	require.NoError(t, WriteSweep(dir, res))
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	html := string(b)
	assert.Contains(t, html, `<a href="sweep.csv">sweep.csv</a>`)
	assert.Contains(t, html, `<a href="sweep.parquet">sweep.parquet</a>`)
	assert.Contains(t, html, `data-chart="power"`)
	assert.Contains(t, html, `data-chart="fpr"`)
	const open = `<script type="application/json" id="guardsim-sweep">`
	i := strings.Index(html, open)
	require.GreaterOrEqual(t, i, 0)
	j := strings.Index(html[i:], "</script>")
	var d struct {
		Cells []sweep.Cell `json:"cells"`
	}
	require.NoError(t, json.Unmarshal([]byte(html[i+len(open):i+j]), &d))
	assert.Equal(t, res.Cells, d.Cells)
	assert.NotContains(t, html, "http://")
	assert.NotContains(t, html, "https://")

	// A grid without effects has neither chart.
	aa := &sweep.Result{Cells: []sweep.Cell{{Policy: "", Reps: 10, Rate: 0.1, RateLo: 0.02, RateHi: 0.4, Detections: 1}}}
	dir2 := t.TempDir()
	require.NoError(t, WriteSweep(dir2, aa))
	b, err = os.ReadFile(filepath.Join(dir2, "report.html"))
	require.NoError(t, err)
	assert.NotContains(t, string(b), `data-chart=`)
	// Non-finite values cannot go into the page's data.
	bad := fixtureSweep()
	bad.Cells[0].NewContextsMean = math.NaN()
	_, err = sweepData(bad)
	require.ErrorIs(t, err, errNonFinite)
}
