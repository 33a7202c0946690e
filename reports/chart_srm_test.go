package reports

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// simulate runs a built-in scenario through the real engine.
func simulate(t *testing.T, name string) *engine.Result {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	res, err := sim.Simulate(context.Background(), p, s.Model(), engine.Options{}, nil)
	require.NoError(t, err)
	return res
}

// TestSRMChartShares: the upper panel's share is the new arm's share of the
// contexts analysed since the step began — in the fixture exactly the
// check's StepNewContexts over both arms' growth in the step (the fixture
// serves both arms alike) — against the step's expected 50%.
func TestSRMChartShares(t *testing.T) {
	res := fixtureResult()
	_, shares, err := SRMChart(res)
	require.NoError(t, err)
	byX := map[float64]SRMShare{}
	for _, s := range shares {
		byX[s.X] = s
	}
	checked := 0
	for _, c := range res.Timeline {
		if c.Step < 1 || c.StepNewContexts == 0 {
			continue
		}
		s, ok := byX[c.Elapsed.Hours()/24]
		require.True(t, ok, "check at %v", c.Elapsed)
		assert.InDelta(t, 100*float64(c.StepNewContexts)/float64(s.N), s.Observed, 1e-9, "at %v", c.Elapsed)
		assert.Equal(t, 50.0, s.Expected)
		checked++
	}
	assert.Greater(t, checked, 50)
}

// TestSRMChartSRMFault: the srm-fault scenario (8% of new-variation
// exposures dropped) rolls back on SRM; the chart's title and markers say
// so, the observed share sits below the expected one, and the PNG is the
// two-panel hi-dpi size.
func TestSRMChartSRMFault(t *testing.T) {
	res := simulate(t, "srm-fault")
	require.Equal(t, engine.ReasonSRM, res.Outcome.Reason, "scenario rolls back on SRM")
	fig, shares, err := SRMChart(res)
	require.NoError(t, err)
	assert.Contains(t, fig.Title, "— mismatch, rolled back (srm)")
	assert.Contains(t, fig.Title, "p = "+fmtSig(res.Timeline[len(res.Timeline)-1].SRM.PValue, 3))

	// Over the last step, new contexts are ~8% fewer: share ≈ 46% < 50%.
	lastStep := res.Timeline[len(res.Timeline)-1].Step
	var sum float64
	var n int
	for i, c := range res.Timeline {
		if c.Step == lastStep && c.Step >= 1 {
			for _, s := range shares {
				if s.X == c.Elapsed.Hours()/24 || s.X == c.Elapsed.Hours() {
					sum += s.Observed
					n++
					assert.Equal(t, 100*res.Policy.Steps[c.Step-1].ExpectedNewShare(), s.Expected, "check %d", i)
				}
			}
		}
	}
	require.Greater(t, n, 3)
	assert.InDelta(t, 100*0.92/1.92, sum/float64(n), 1.5, "mean observed share in the last step")

	var buf bytes.Buffer
	require.NoError(t, fig.WritePNG(&buf))
	b := buf.Bytes()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 2160, img.Bounds().Dx())
	assert.Equal(t, 1560, img.Bounds().Dy())
	assert.Equal(t, uint32(9449), pngPHYs(t, b))
	assert.Greater(t, countPixels(img, AlertColor, 40), 500, "alpha line, mismatch dot, rollback line")

	var labels []string
	for _, l := range fig.Panels[0].labels {
		labels = append(labels, l.Text)
	}
	assert.Contains(t, labels, "SRM detected → rolled back (srm)")
	var legend []string
	for _, e := range fig.legend {
		legend = append(legend, e.label)
	}
	assert.Contains(t, legend, "SRM α = 0.001")
	assert.Contains(t, legend, "mismatch detected")
}

// TestSRMChartNoMismatch: a clean rollout's SRM chart has no mismatch.
func TestSRMChartNoMismatch(t *testing.T) {
	fig, _, err := SRMChart(makeFixture(fixtureOpts{StepHours: 24, PerPercent: 40, Seed: 11}))
	require.NoError(t, err)
	assert.NotContains(t, fig.Title, "mismatch")
	for _, e := range fig.legend {
		assert.NotEqual(t, "mismatch detected", e.label)
	}
	var buf bytes.Buffer
	require.NoError(t, fig.WritePNG(&buf))
	_, _, err = SRMChart(nil)
	require.Error(t, err)
	empty := fixtureResult()
	empty.Timeline = nil
	fig, _, err = SRMChart(empty)
	require.NoError(t, err)
	require.NoError(t, fig.WritePNG(&buf))
}

// TestWriteRolloutSRMChart: WriteRollout writes charts/srm.png, links it
// in report.md and embeds it in report.html; a metric whose key is "srm"
// gets another file.
func TestWriteRolloutSRMChart(t *testing.T) {
	res := fixtureResult()
	res.Policy.Metrics[1].Key = "srm"
	for i := range res.Timeline {
		res.Timeline[i].Metrics[1].Key = "srm"
	}
	dir := t.TempDir()
	charts, err := WriteRollout(dir, res)
	require.NoError(t, err)
	require.Equal(t, []string{
		filepath.Join(dir, ChartsDir, "latency_ms.png"),
		filepath.Join(dir, ChartsDir, "srm-2.png"),
		filepath.Join(dir, ChartsDir, SRMChartName),
	}, charts)
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	i := strings.Index(string(md), "## Sample ratio mismatch")
	require.GreaterOrEqual(t, i, 0)
	assert.Contains(t, string(md)[i:], "![sample ratio](charts/srm.png)")
	assert.Contains(t, string(md), "![srm](charts/srm-2.png)")
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `alt="sample ratio chart`)
}
