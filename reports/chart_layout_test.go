package reports

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"

	"github.com/guardsim/guardsim/engine"
)

// pngPHYs returns the pixels per metre of b's pHYs chunk (checking its
// CRC, that x and y agree and that the unit is the metre).
func pngPHYs(t *testing.T, b []byte) uint32 {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")))
	for i := 8; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		require.LessOrEqual(t, i+12+n, len(b))
		if typ == "pHYs" {
			data := b[i+8 : i+8+n]
			require.Equal(t, 9, n)
			assert.Equal(t, crc32.ChecksumIEEE(b[i+4:i+8+n]), binary.BigEndian.Uint32(b[i+8+n:]), "pHYs CRC")
			assert.Equal(t, data[0:4], data[4:8], "x and y densities")
			assert.Equal(t, byte(1), data[8], "unit: metre")
			return binary.BigEndian.Uint32(data)
		}
		if typ == "IDAT" {
			t.Fatal("no pHYs chunk before the image data")
		}
		i += 12 + n
	}
	t.Fatal("no pHYs chunk")
	return 0
}

// TestDifferenceChartUnits: numeric metrics are charted in their unit,
// binary metrics in percentage points (values ×100), unitless metrics
// without a unit.
func TestDifferenceChartUnits(t *testing.T) {
	res := fixtureResult()
	res.Policy.Metrics = append(res.Policy.Metrics, engine.Metric{Key: "cart_items", Kind: engine.Numeric, Direction: engine.HigherIsBetter})
	for i := range res.Timeline {
		m := res.Timeline[i].Metrics[0]
		m.Key = "cart_items"
		res.Timeline[i].Metrics = append(res.Timeline[i].Metrics, m)
	}
	tests := []struct {
		metric             int
		yLabel, unit       string
		factor             float64
		meanOrig, meanSuff string
	}{
		{0, "new − original (ms)", " ms", 1, "", " ms"},
		{1, "new − original (percentage points)", " pp", 100, "", "%"},
		{2, "difference (new − original)", "", 1, "", ""},
	}
	for _, tt := range tests {
		key := res.Policy.Metrics[tt.metric].Key
		t.Run(key, func(t *testing.T) {
			ch, err := DifferenceChart(res, tt.metric)
			require.NoError(t, err)
			assert.Equal(t, tt.yLabel, ch.Plot.Y.Label.Text)
			last, ok := lastReady(res, key)
			require.True(t, ok)
			assert.Contains(t, ch.Title, "difference "+titleNum(tt.factor*last.Estimate)+tt.unit+",")
			assert.Contains(t, ch.Title, "interval ["+titleNum(tt.factor*last.Lower)+", "+titleNum(tt.factor*last.Upper)+"]"+tt.unit)
			lc := res.Timeline[len(res.Timeline)-1].Metrics[tt.metric]
			mean := lc.Original.Mean
			if tt.meanSuff == "%" {
				mean *= 100
			}
			assert.Contains(t, ch.Footer, "original "+fmtNum(mean)+tt.meanSuff+" (n=")
			// The y range holds the last estimate in charted units.
			assert.Less(t, ch.Plot.Y.Min, tt.factor*last.Estimate)
			assert.Greater(t, ch.Plot.Y.Max, tt.factor*last.Estimate)
			renderPNG(t, ch)
		})
	}
}

// TestYRange: hand-computed ranges. Bands are centred on 0 with the given
// widths: the later half's median width is 10, so bands up to 20 wide count.
func TestYRange(t *testing.T) {
	band := func(widths ...float64) []bandPoint {
		var pts []bandPoint
		for i, w := range widths {
			pts = append(pts, bandPoint{x: float64(i), lo: -w / 2, hi: w / 2})
		}
		return pts
	}
	tests := []struct {
		name   string
		pts    []bandPoint
		lo, hi float64
	}{
		// Included: widths 20, 10, 10, 10, 10 → [-10, 10], 6% of 20 added.
		{"early band clipped", band(100, 50, 20, 10, 10, 10, 10), -11.2, 11.2},
		// The last check's band always counts.
		{"last band kept", band(10, 10, 10, 10, 10, 60), -33.6, 33.6},
		{"estimate beyond the band range", []bandPoint{{0, 40, 25, 55}, {1, 1, -4, 6}, {2, 1, -4, 6}}, -6.64, 42.64},
		{"single point", band(8), -4.48, 4.48},
		{"nothing ready", nil, -1.12, 1.12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := yRange(tt.pts)
			assert.InDelta(t, tt.lo, lo, 1e-9)
			assert.InDelta(t, tt.hi, hi, 1e-9)
		})
	}
	// Clipped bands: exactly those leaving the range, with their sides.
	c := clippedBands([]bandPoint{{0, 0, -50, 50}, {1, 0, -3, 20}, {2, 0, -20, 3}, {3, 0, -3, 3}}, -11.2, 11.2)
	assert.Equal(t, []ClippedBand{{X: 0, Above: true, Below: true}, {X: 1, Above: true}, {X: 2, Below: true}}, c)
}

// TestDifferenceChartLowTraffic: on a low-traffic rollout the first
// step's bands are many times wider than the later ones; the y range
// follows the later bands (so the chart is not flattened), the early
// ones are reported clipped, the last check is not.
func TestDifferenceChartLowTraffic(t *testing.T) {
	res := makeFixture(fixtureOpts{StepHours: 24, PerPercent: 3, Seed: 5})
	ch, err := DifferenceChart(res, 0)
	require.NoError(t, err)
	var first, last engine.MetricCheck
	var firstX float64
	for _, c := range res.Timeline {
		if m := c.Metrics[0]; m.Ready {
			if !first.Ready {
				first, firstX = m, c.Elapsed.Hours()/24
			}
			last = m
		}
	}
	require.True(t, first.Ready)
	t.Logf("first band %.1f wide, last %.1f, y range [%.1f, %.1f]", first.Upper-first.Lower, last.Upper-last.Lower, ch.Plot.Y.Min, ch.Plot.Y.Max)
	require.Greater(t, first.Upper-first.Lower, 4*(last.Upper-last.Lower), "fixture: early bands are wide")
	assert.Less(t, ch.Plot.Y.Max-ch.Plot.Y.Min, (first.Upper-first.Lower)/2, "range not set by the early band")
	assert.LessOrEqual(t, ch.Plot.Y.Min, last.Lower)
	assert.GreaterOrEqual(t, ch.Plot.Y.Max, last.Upper)
	assert.LessOrEqual(t, ch.Plot.Y.Min, 0.0)
	assert.GreaterOrEqual(t, ch.Plot.Y.Max, 0.0)
	require.NotEmpty(t, ch.Clipped)
	assert.Equal(t, firstX, ch.Clipped[0].X, "the first ready check is clipped")
	assert.Less(t, ch.Clipped[len(ch.Clipped)-1].X, res.Timeline[len(res.Timeline)-1].Elapsed.Hours()/24)
	// Marked: a legend entry and triangles in the clip colour.
	var labels []string
	for _, e := range ch.legend {
		labels = append(labels, e.label)
	}
	assert.Contains(t, labels, "band clipped (beyond the axis)")
	img := renderPNG(t, ch)
	assert.Greater(t, countPixels(img, ClipColor, 30), 200, "clip triangles drawn")

	// A chart without clipping has no marks.
	calm, err := DifferenceChart(makeFixture(fixtureOpts{StepHours: 24, PerPercent: 400, Seed: 5}), 1)
	require.NoError(t, err)
	if len(calm.Clipped) == 0 {
		assert.Less(t, countPixels(renderPNG(t, calm), ClipColor, 30), 10)
	}
}

func TestAssignRows(t *testing.T) {
	ls := []markLabel{
		{Text: "a", Min: 0, Max: 30},
		{Text: "b", Min: 40, Max: 60},   // 10 apart: fits row 0
		{Text: "c", Min: 62, Max: 90},   // 2 from b (< labelGap): row 1
		{Text: "d", Min: 20, Max: 70},   // overlaps a, b and c: row 2
		{Text: "e", Min: 100, Max: 120}, // free: row 0
	}
	n := assignRows(ls)
	assert.Equal(t, 3, n)
	var rows []int
	for _, l := range ls {
		rows = append(rows, l.Row)
	}
	assert.Equal(t, []int{0, 0, 1, 2, 0}, rows)
}

// TestDifferenceChartLabelsDoNotOverlap: an extension two hours before
// the rollback (the labels "extended" and "rolled back (…)" would share a
// spot) is laid out in different rows; no two drawn labels overlap.
func TestDifferenceChartLabelsDoNotOverlap(t *testing.T) {
	res := makeFixture(fixtureOpts{StepHours: 6, PerPercent: 300, Seed: 3})
	n := 14
	res.Timeline = res.Timeline[:n]
	res.Timeline[n-3].Decision = engine.DecisionExtend
	res.Timeline[n-2].Decision = engine.DecisionExtend
	res.Timeline[n-1].Decision, res.Timeline[n-1].Reason = engine.DecisionRollback, engine.ReasonInsufficientSample
	ch, err := DifferenceChart(res, 0)
	require.NoError(t, err)
	renderPNG(t, ch)
	byText := map[string]markLabel{}
	for i, a := range ch.labels {
		byText[a.Text] = a
		for _, b := range ch.labels[i+1:] {
			if a.Row == b.Row {
				assert.False(t, a.Min < b.Max && b.Min < a.Max, "%q and %q overlap in row %d", a.Text, b.Text, a.Row)
			}
		}
	}
	ext, ok1 := byText["extended"]
	rb, ok2 := byText["rolled back (insufficient_sample)"]
	require.True(t, ok1 && ok2, "labels %v", ch.labels)
	assert.NotEqual(t, ext.Row, rb.Row, "close labels stacked")
	assert.LessOrEqual(t, rb.Max, vg.Length(ChartWidth), "label inside the chart")
}

func TestWrapText(t *testing.T) {
	width := func(s string) vg.Length { return vg.Length(len(s)) }
	tests := []struct {
		in   string
		w    vg.Length
		want []string
	}{
		{"aaa bbb ccc", 7, []string{"aaa bbb", "ccc"}},
		{"aaa bbb ccc", 11, []string{"aaa bbb ccc"}},
		{"abc_defghij x", 5, []string{"abc_", "defgh", "ij x"}},
		{"a.b.c.d.e", 4, []string{"a.b.", "c.d.", "e"}},
		{"", 5, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, wrapText(tt.in, tt.w, width), "%q in %v", tt.in, tt.w)
	}
}

// TestDifferenceChartLongTitle: a long metric key wraps the title onto
// lines that each fit the chart, losing nothing.
func TestDifferenceChartLongTitle(t *testing.T) {
	res := fixtureResult()
	long := "checkout_service_p99_latency_of_the_payment_provider_callback_including_retries_ms"
	res.Policy.Metrics[0].Key = long
	for i := range res.Timeline {
		res.Timeline[i].Metrics[0].Key = long
	}
	ch, err := DifferenceChart(res, 0)
	require.NoError(t, err)
	lines := ch.TitleLines(ChartWidth)
	require.Greater(t, len(lines), 1, "wrapped")
	sty := titleStyle(ch.Plot.TextHandler)
	for _, l := range lines {
		assert.LessOrEqual(t, sty.Width(l), ChartWidth-2*textMargin, "line %q fits", l)
	}
	assert.Equal(t, strings.ReplaceAll(ch.Title, " ", ""), strings.ReplaceAll(strings.Join(lines, ""), " ", ""), "nothing lost")
	t.Logf("title lines: %q", lines)
	// The short title of the fixture stays on one line.
	short, err := DifferenceChart(fixtureResult(), 0)
	require.NoError(t, err)
	assert.Len(t, short.TitleLines(ChartWidth), 1)
	renderPNG(t, ch)
}

// TestNiceTicksEnoughLabels: a short axis still gets three labels.
func TestNiceTicksEnoughLabels(t *testing.T) {
	for _, r := range [][2]float64{{-13.4, 6.2}, {-0.3, 0.05}, {-2, 2}, {0, 7}, {-48, 21}} {
		n := 0
		for _, tk := range (niceTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				n++
			}
		}
		assert.GreaterOrEqual(t, n, 3, "range %v", r)
		assert.LessOrEqual(t, n, 7, "range %v", r)
	}
	assert.Equal(t, 2.5, niceStep(2.1))
	assert.Equal(t, 0.05, niceStep(0.05))
	assert.InDelta(t, 10, niceStep(5.5), 1e-12)
}

// TestTilesShareTheChartYRange: report.html's tiles draw each metric's
// band on the y range of its PNG difference chart (in the engine's units:
// a binary metric's PNG is in percentage points), so both clip the same
// early checks — on a low-traffic rollout, where the range is set by the
// later bands.
func TestTilesShareTheChartYRange(t *testing.T) {
	res := makeFixture(fixtureOpts{StepHours: 24, PerPercent: 3, Seed: 5})
	dir := t.TempDir()
	_, err := WriteRollout(dir, res)
	require.NoError(t, err)
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	for k, m := range res.Policy.Metrics {
		ch, err := DifferenceChart(res, k)
		require.NoError(t, err)
		re := regexp.MustCompile(`data-index="` + strconv.Itoa(k) + `" data-metric="[^"]*" data-ylo="([^"]*)" data-yhi="([^"]*)"`)
		got := re.FindSubmatch(page)
		require.NotNil(t, got, "tile %d", k)
		lo, err := strconv.ParseFloat(string(got[1]), 64)
		require.NoError(t, err)
		hi, err := strconv.ParseFloat(string(got[2]), 64)
		require.NoError(t, err)
		factor := 1.0
		if m.Kind == engine.Binary {
			factor = 100
		}
		assert.InDelta(t, ch.Plot.Y.Min, factor*lo, 1e-9*(ch.Plot.Y.Max-ch.Plot.Y.Min), "metric %s low", m.Key)
		assert.InDelta(t, ch.Plot.Y.Max, factor*hi, 1e-9*(ch.Plot.Y.Max-ch.Plot.Y.Min), "metric %s high", m.Key)
		if k == 0 {
			require.NotEmpty(t, ch.Clipped, "fixture: the latency chart clips its early bands")
		}
	}
}
