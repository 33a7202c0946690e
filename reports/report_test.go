package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func writeRollout(t *testing.T, dir string, res *engine.Result) []string {
	t.Helper()
	charts, err := WriteRollout(dir, res)
	require.NoError(t, err)
	return charts
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestStepTable(t *testing.T) {
	res := fixtureResult()
	rows := StepTable(res)
	require.Len(t, rows, 4, "rolled back during step 4")
	for i, r := range rows {
		assert.Equal(t, i+1, r.Step)
		assert.Equal(t, res.Policy.Steps[i].Percent, r.Percent)
	}
	// Steps 1–3 last 24h and end with their advance check; step 4 ends
	// with the rollback.
	for i := 0; i < 3; i++ {
		assert.Equal(t, engine.DecisionAdvance, rows[i].LastDecision)
		assert.Equal(t, float64(24), (rows[i].EndElapsed - rows[i].StartElapsed).Hours())
	}
	assert.Equal(t, engine.DecisionRollback, rows[3].LastDecision)
	last := res.Timeline[len(res.Timeline)-1]
	assert.Equal(t, last.Contexts, rows[3].Contexts)
	assert.Equal(t, last.Metrics, rows[3].Metrics)
	assert.Equal(t, res.Start, rows[0].Start)
	total := 0
	for _, r := range rows {
		total += r.Checks
	}
	assert.Equal(t, len(res.Timeline), total)
}

func TestReportMarkdown(t *testing.T) {
	res := fixtureResult()
	dir := t.TempDir()
	writeRollout(t, dir, res)
	md := readFile(t, filepath.Join(dir, "report.md"))

	assert.Contains(t, md, "**Rolled back — regression on latency_ms**")
	assert.Contains(t, md, "| Status | rolled_back |")
	assert.Contains(t, md, "| Reason | regression |")
	assert.Contains(t, md, "| Metric | latency_ms |")
	assert.Contains(t, md, "| Ended | 2025-03-06 13:00 UTC |")
	assert.Contains(t, md, "| Contexts exposed to the new variation | "+fmtInt(res.Outcome.NewContexts)+" |")
	assert.Contains(t, md, "![latency_ms](charts/latency_ms.png)")
	assert.Contains(t, md, "![checkout/conversion](charts/checkout_conversion.png)")

	// Decisions: start, the three advances and the rollback; no "continue"
	// rows since the first and last checks are start and rollback.
	assert.Contains(t, md, "| 2025-03-03 09:00 UTC | 0 | 1 | 1% | start |")
	assert.Contains(t, md, "| 2025-03-05 09:00 UTC | 48h | 2 | 5% | advance |")
	assert.Contains(t, md, "| 2025-03-06 13:00 UTC | 3d 4h | 4 | 25% | **rollback** | regression | latency_ms |")
	assert.NotContains(t, md, "| continue |")

	// Per-step rows with the numbers of each step's last check.
	for _, step := range []int{1, 2, 3, 4} {
		var end engine.Check
		for _, c := range res.Timeline {
			if c.Step == step {
				end = c
			}
		}
		row := "| " + itoa(step) + " | " + fmtPct(end.Percent) + " | "
		line := findLine(md, row+"20")
		require.NotEmpty(t, line, "step %d row", step)
		assert.Contains(t, line, "| "+fmtInt(end.Contexts[0])+" | "+fmtInt(end.Contexts[1])+" | "+fmtInt(end.StepNewContexts)+" |")
		assert.Contains(t, line, "| "+fmtTime(end.Time)+" |")
		for _, m := range end.Metrics {
			ml := findLine(md, row+m.Key+" |")
			require.NotEmpty(t, ml, "step %d metric %s row", step, m.Key)
			assert.Contains(t, ml, fmtNum(m.Original.Mean)+" (n="+fmtInt(m.Original.N)+")")
			assert.Contains(t, ml, fmtNum(m.New.Mean)+" (n="+fmtInt(m.New.N)+")")
			assert.Contains(t, ml, "| "+fmtSigned(m.Estimate)+" | "+fmtInterval(m.Lower, m.Upper)+" |")
		}
	}
	// Alerts, including the failed one with its error.
	assert.Contains(t, md, "| regression_detected | 2025-03-06 13:00 UTC | latency_ms | Regression detected on latency_ms | delivered |")
	assert.Contains(t, md, "| **failed** | pagerduty: 503 Service Unavailable after 3 attempts |")
	// SRM and policy.
	lastSRM := res.Timeline[len(res.Timeline)-1].SRM
	assert.Contains(t, md, "| χ² (1 df) | "+fmtNum(lastSRM.ChiSquare)+" |")
	assert.Contains(t, md, "| χ² p-value | "+fmtNum(lastSRM.ChiSquareP)+" |")
	assert.Contains(t, md, "| Mismatch | no |")
	assert.Contains(t, md, "| Schedule | 1% for 24h → 5% for 24h → 10% for 24h → 25% for 24h → 50% for 24h → 100% |")
	assert.Contains(t, md, "| N* (confidence-sequence tuning) | 5000 |")
	assert.Contains(t, md, "| Seed | 424242 |")
	assert.Contains(t, md, "| Check interval | 1h |")
}

func itoa(i int) string { return fmtInt(i) }

// findLine returns the first line of s that starts with prefix.
func findLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func TestReportCompletedRollout(t *testing.T) {
	res := makeFixture(fixtureOpts{StepHours: 24, PerPercent: 40, Seed: 11})
	require.Equal(t, engine.StatusCompleted, res.Outcome.Status)
	dir := t.TempDir()
	writeRollout(t, dir, res)
	md := readFile(t, filepath.Join(dir, "report.md"))
	assert.Contains(t, md, "**Completed: rolled forward to 100%**")
	assert.Contains(t, md, "| Step | rolled forward (100%) |")
	assert.Contains(t, md, "No alerts were sent.")
	dec := md[strings.Index(md, "## Timeline of decisions"):strings.Index(md, "## Steps")]
	assert.Equal(t, 4, strings.Count(dec, "| advance |"))
	assert.Equal(t, 1, strings.Count(dec, "| complete |"))
	assert.Equal(t, 1, strings.Count(dec, "| start |"))
}

var attrURL = regexp.MustCompile(`(?i)\b(src|href)\s*=\s*["']?([^"'\s>]*)`)

func TestReportHTMLSelfContained(t *testing.T) {
	res := fixtureResult()
	dir := t.TempDir()
	charts := writeRollout(t, dir, res)
	html := readFile(t, filepath.Join(dir, "report.html"))

	assert.NotContains(t, html, "http://")
	assert.NotContains(t, html, "https://")
	assert.NotContains(t, html, "<link")
	// Only the page's two inline scripts: the timeline data and the
	// chart/tooltip code, neither loading anything.
	assert.Equal(t, 2, strings.Count(html, "<script"))
	assert.Contains(t, html, `<script type="application/json" id="guardsim-data">`)
	assert.NotRegexp(t, `(?i)<script[^>]*\bsrc`, html)
	assert.NotRegexp(t, `(?i)\b(fetch|XMLHttpRequest|WebSocket|EventSource|import)\s*\(`, html)
	attrs := attrURL.FindAllStringSubmatch(html, -1)
	require.Len(t, attrs, len(charts))
	for _, a := range attrs {
		assert.True(t, strings.HasPrefix(a[2], "data:image/png;base64,"), "external %s=%q", a[1], a[2])
	}
	for _, c := range charts {
		b, err := os.ReadFile(c)
		require.NoError(t, err)
		assert.True(t, strings.Contains(html, `src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(b)+`"`), "chart %s not embedded", c)
	}
	assert.Contains(t, html, "Rolled back — regression on latency_ms")
	assert.Contains(t, html, "pagerduty: 503 Service Unavailable after 3 attempts")
}

func TestReportHTMLEscapes(t *testing.T) {
	res := fixtureResult()
	res.Timeline[len(res.Timeline)-1].Note = `<img src="https://evil.example/x.png"> | pipe`
	dir := t.TempDir()
	require.NoError(t, WriteReport(dir, res, nil))
	html := readFile(t, filepath.Join(dir, "report.html"))
	assert.NotContains(t, html, `<img src="https://`)
	assert.Contains(t, html, "&lt;img")
	md := readFile(t, filepath.Join(dir, "report.md"))
	assert.Contains(t, md, `\| pipe`)
}

func TestRolloutDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeRollout(t, a, fixtureResult())
	writeRollout(t, b, fixtureResult())
	for _, name := range []string{"report.md", "report.html", "summary.json", "charts/latency_ms.png", "charts/checkout_conversion.png"} {
		assert.Equal(t, readFile(t, filepath.Join(a, name)), readFile(t, filepath.Join(b, name)), name)
	}
}

func TestSummaryJSONRoundTrip(t *testing.T) {
	res := fixtureResult()
	path := filepath.Join(t.TempDir(), "summary.json")
	require.NoError(t, WriteSummaryJSON(path, res))
	var got Summary
	require.NoError(t, json.Unmarshal([]byte(readFile(t, path)), &got))
	want := BuildSummary(res)
	assert.Equal(t, want, got)

	assert.Equal(t, engine.StatusRolledBack, got.Outcome.Status)
	require.Len(t, got.Metrics, 2)
	lat := got.Metrics[0]
	last := res.Timeline[len(res.Timeline)-1].Metrics[0]
	assert.Equal(t, "latency_ms", lat.Key)
	assert.Equal(t, "lower_is_better", lat.Direction)
	assert.Equal(t, last.Estimate, lat.Estimate)
	assert.Equal(t, last.Lower, lat.Lower)
	assert.Equal(t, last.Upper, lat.Upper)
	assert.Equal(t, last.PValue, lat.PValue)
	assert.True(t, lat.Regressed)
	require.NotNil(t, lat.RegressedAt)
	assert.Equal(t, res.Outcome.Elapsed, *lat.RegressedAt)
	assert.Nil(t, got.Metrics[1].RegressedAt)
	assert.Len(t, got.Steps, 4)
	assert.Equal(t, res.Timeline[len(res.Timeline)-1].SRM, got.SRM)
}

// tempFiles lists the atomicfile temporaries left in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	require.NoError(t, err)
	return m
}

func TestAtomicWrites(t *testing.T) {
	t.Run("summary that cannot be encoded leaves no file", func(t *testing.T) {
		res := fixtureResult()
		res.Timeline[len(res.Timeline)-1].Metrics[0].Estimate = math.NaN()
		dir := t.TempDir()
		path := filepath.Join(dir, "summary.json")
		err := WriteSummaryJSON(path, res)
		require.Error(t, err)
		assert.NoFileExists(t, path)
		assert.Empty(t, tempFiles(t, dir))
	})
	t.Run("failed summary keeps the previous file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "summary.json")
		require.NoError(t, os.WriteFile(path, []byte("previous"), 0o644))
		res := fixtureResult()
		res.Timeline[len(res.Timeline)-1].Metrics[0].Upper = math.Inf(1)
		require.Error(t, WriteSummaryJSON(path, res))
		assert.Equal(t, "previous", readFile(t, path))
		assert.Empty(t, tempFiles(t, dir))
	})
	t.Run("report with a missing chart leaves no report", func(t *testing.T) {
		dir := t.TempDir()
		err := WriteReport(dir, fixtureResult(), []string{filepath.Join(dir, "missing.png")})
		require.ErrorIs(t, err, os.ErrNotExist)
		assert.NoFileExists(t, filepath.Join(dir, "report.md"))
		assert.NoFileExists(t, filepath.Join(dir, "report.html"))
		assert.Empty(t, tempFiles(t, dir))
	})
	t.Run("template error leaves no file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "x.md")
		err := writeTemplate(path, func(w io.Writer) error {
			_, _ = w.Write([]byte("partial"))
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		assert.NoFileExists(t, path)
		assert.Empty(t, tempFiles(t, dir))
	})
}

func TestNilResult(t *testing.T) {
	dir := t.TempDir()
	_, err := WriteDifferenceCharts(dir, nil)
	require.Error(t, err)
	require.Error(t, WriteReport(dir, nil, nil))
	require.Error(t, WriteSummaryJSON(filepath.Join(dir, "s.json"), nil))
	require.Error(t, WriteSweep(dir, nil))
	var buf bytes.Buffer
	require.Error(t, EncodeSummary(&buf, nil))
}

var errBoom = errors.New("boom")

func TestReportHTMLEmbedsTheTimelineData(t *testing.T) {
	res := fixtureResult()
	dir := t.TempDir()
	writeRollout(t, dir, res)
	html := readFile(t, filepath.Join(dir, "report.html"))
	const open = `<script type="application/json" id="guardsim-data">`
	i := strings.Index(html, open)
	require.GreaterOrEqual(t, i, 0)
	body := html[i+len(open):]
	body = body[:strings.Index(body, "</script>")]

	var buf bytes.Buffer
	require.NoError(t, WriteTimelineJSON(&buf, res))
	var fromPage, fromFile any
	require.NoError(t, json.Unmarshal([]byte(body), &fromPage))
	require.NoError(t, json.Unmarshal(buf.Bytes(), &fromFile))
	assert.Equal(t, fromFile, fromPage, "report.html's data differs from timeline.json")
	// One tile per metric and the SRM panel are in the markup itself.
	for i, m := range res.Policy.Metrics {
		assert.Contains(t, html, fmt.Sprintf(`data-index="%d" data-metric="%s"`, i, m.Key))
	}
	assert.Equal(t, len(res.Policy.Metrics), strings.Count(html, `<section class="tile`))
	assert.Contains(t, html, `id="srm-panel"`)
}
