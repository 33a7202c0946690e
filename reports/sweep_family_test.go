package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/sim/sweep"
)

// The report compares the any-metric rate with the family bound (2·α for
// the fixture's two metrics) and each metric's rate with α, and every rate
// in sweep.json carries its Wilson interval.
func TestSweepFamilyBound(t *testing.T) {
	res := fixtureSweep()
	// Cell 0 (alpha 0.01, effect 0): an any-metric rate above α but within
	// 2·α, one metric above α.
	c := &res.Cells[0]
	require.Zero(t, c.Effect)
	c.Detections, c.Rate = 6, 6.0/400
	c.RateLo, c.RateHi = wilson(6, 400)
	lo, hi := wilson(12, 400)
	c.Metrics[0] = sweep.MetricRate{Key: "latency_ms", Detections: 12, Rate: 0.03, RateLo: lo, RateHi: hi}
	dir := t.TempDir()
	require.NoError(t, WriteSweep(dir, res))
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	s := string(md)
	assert.Contains(t, s, "| alpha=0.01 nstar=1000 | 0.01 | 400 | 6 | 0.015 | [0.007, 0.032] | 0.02 (2·α) | consistent with 2·α |")
	assert.Contains(t, s, "| alpha=0.01 nstar=1000 | 0.01 | latency_ms | 12 | 0.030 | [0.017, 0.052] | **exceeds α** |")
	assert.Contains(t, s, "| alpha=0.01 nstar=1000 | 0.01 | checkout_conversion |")
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "<td>0.02 (2·α)</td>")
	assert.Contains(t, string(html), `<td class="bad">exceeds α</td>`)

	// Bonferroni: the bound is overall_alpha.
	c.FamilyRule, c.FamilyBound = sweep.FamilyBonferroni, 0.02
	assert.Equal(t, "0.02 (overall_alpha, Bonferroni)", boundText(*c))
	assert.Equal(t, "overall_alpha", familyName(*c))
	m, label := familyLine(res)
	assert.Equal(t, 2, m)
	assert.True(t, strings.HasPrefix(label, "y = overall_alpha = 2·alpha"), label)

	b, err := os.ReadFile(filepath.Join(dir, SweepJSON))
	require.NoError(t, err)
	var doc struct {
		Cells []map[string]any `json:"cells"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Len(t, doc.Cells, len(res.Cells))
	c0 := doc.Cells[0]
	for _, k := range []string{"rate", "srm_share", "insufficient_share", "completed_share"} {
		assert.Contains(t, c0, k+"_lo")
		assert.Contains(t, c0, k+"_hi")
	}
	assert.Equal(t, 0.02, c0["family_bound"])
	ms := c0["metrics"].([]any)
	require.Len(t, ms, 2)
	assert.Equal(t, 0.03, ms[0].(map[string]any)["rate"])
	assert.Contains(t, ms[0], "rate_lo")
	assert.Equal(t, float64(res.Cells[1].DetectMedian.Seconds()), doc.Cells[1]["detect_median_s"])
}
