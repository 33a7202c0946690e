package reports

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// exampleDir is where the example tests write their output: the directory
// named by REPORTS_EXAMPLE_DIR (to look at the charts), else a temp dir.
func exampleDir(t *testing.T) string {
	if dir := os.Getenv("REPORTS_EXAMPLE_DIR"); dir != "" {
		return dir
	}
	return t.TempDir()
}

func renderPNG(t *testing.T, ch *Chart) image.Image {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, ch.WritePNG(&buf))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	return img
}

// countPixels counts the pixels within tol (per channel) of want.
func countPixels(img image.Image, want color.RGBA, tol int) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-int(want.R)) <= tol && abs(int(g>>8)-int(want.G)) <= tol && abs(int(bl>>8)-int(want.B)) <= tol {
				n++
			}
		}
	}
	return n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestWriteDifferenceCharts(t *testing.T) {
	dir := exampleDir(t)
	paths, err := WriteDifferenceCharts(dir, fixtureResult())
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "latency_ms.png"), filepath.Join(dir, "checkout_conversion.png")}, paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err, p)
		// Hi-dpi: 9×4.5 in at 240 dpi, and the PNG says so (pHYs, px/m).
		assert.Equal(t, 2160, img.Bounds().Dx(), p)
		assert.Equal(t, 1080, img.Bounds().Dy(), p)
		assert.Equal(t, uint32(9449), pngPHYs(t, b), p) // 240 / 0.0254
	}
}

func TestDifferenceChartPixels(t *testing.T) {
	completed := makeFixture(fixtureOpts{StepHours: 24, PerPercent: 40, Seed: 11})
	tests := []struct {
		name      string
		res       *engine.Result
		metric    int
		wantAlert int // minimum red pixels (rollback line, marker, label)
		wantDone  bool
	}{
		{"regressed metric", fixtureResult(), 0, 500, false},
		{"other metric", fixtureResult(), 1, 500, false},
		{"completed rollout", completed, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := DifferenceChart(tt.res, tt.metric)
			require.NoError(t, err)
			img := renderPNG(t, ch)
			// The band fills a good part of the plot area; the line is long.
			band := countPixels(img, BandColor, 0)
			line := countPixels(img, LineColor, 25)
			red := countPixels(img, AlertColor, 40)
			t.Logf("band %d, line %d, alert %d pixels", band, line, red)
			assert.Greater(t, band, 40000, "band pixels")
			assert.Greater(t, line, 1500, "line pixels")
			if tt.wantAlert > 0 {
				assert.Greater(t, red, tt.wantAlert, "alert pixels")
			} else {
				assert.Less(t, red, 20, "no rollback, no red")
			}
			green := countPixels(img, doneColor, 30)
			if tt.wantDone {
				assert.Greater(t, green, 300, "completion marker pixels")
			} else {
				assert.Less(t, green, 20, "no completion marker")
			}
		})
	}
}

func TestDifferenceChartNotReady(t *testing.T) {
	res := fixtureResult()
	// Keep only the start check: nothing is ready yet.
	res.Timeline = res.Timeline[:1]
	for i := range res.Timeline[0].Metrics {
		require.False(t, res.Timeline[0].Metrics[i].Ready)
	}
	ch, err := DifferenceChart(res, 0)
	require.NoError(t, err)
	assert.Contains(t, ch.Title, "not enough data yet")
	img := renderPNG(t, ch)
	assert.Zero(t, countPixels(img, BandColor, 0), "no band without ready data")
	assert.Less(t, countPixels(img, LineColor, 25), 50, "no line without ready data")
}

func TestDifferenceChartEmptyTimeline(t *testing.T) {
	res := fixtureResult()
	res.Timeline = nil
	ch, err := DifferenceChart(res, 1)
	require.NoError(t, err)
	renderPNG(t, ch)
}

func TestDifferenceChartTitleAndAxis(t *testing.T) {
	tests := []struct {
		name     string
		res      *engine.Result
		wantUnit string
	}{
		{"five days", fixtureResult(), "days"},
		{"short steps", makeFixture(fixtureOpts{Effect: 20, EffectStep: 4, StepHours: 6, PerPercent: 300, Seed: 3}), "hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var span float64
			for _, c := range tt.res.Timeline {
				span = max(span, c.Elapsed.Hours())
			}
			ch, err := DifferenceChart(tt.res, 0)
			require.NoError(t, err)
			assert.Contains(t, ch.Plot.X.Label.Text, tt.wantUnit)
			scale := 1.0
			if tt.wantUnit == "days" {
				scale = 24
			}
			assert.InDelta(t, span/scale, ch.Plot.X.Max, 1e-9)

			last, ok := lastReady(tt.res, "latency_ms")
			require.True(t, ok)
			assert.Contains(t, ch.Title, "latency_ms (lower is better)")
			assert.Contains(t, ch.Title, "difference "+titleNum(last.Estimate)+" ms,")
			assert.Contains(t, ch.Title, "interval ["+titleNum(last.Lower)+", "+titleNum(last.Upper)+"] ms")
			assert.Equal(t, last.Regressed, strings.HasSuffix(ch.Title, "— regressed"))

			lc := tt.res.Timeline[len(tt.res.Timeline)-1]
			assert.Contains(t, ch.Footer, "original "+fmtNum(lc.Metrics[0].Original.Mean)+" ms")
			assert.Contains(t, ch.Footer, "new "+fmtNum(lc.Metrics[0].New.Mean)+" ms")
			assert.Contains(t, ch.Footer, "contexts served: original "+fmtInt(lc.Contexts[0])+", new "+fmtInt(lc.Contexts[1]))
			renderPNG(t, ch)
		})
	}
}

func TestDifferenceChartBadMetric(t *testing.T) {
	res := fixtureResult()
	for _, i := range []int{-1, 2} {
		_, err := DifferenceChart(res, i)
		require.ErrorIs(t, err, ErrNoMetric)
	}
	_, err := DifferenceChart(nil, 0)
	require.Error(t, err)
}

func TestSanitizeFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"latency_ms", "latency_ms"},
		{"checkout/conversion", "checkout_conversion"},
		{"a b:c", "a_b_c"},
		{"../etc/passwd", "_._etc_passwd"},
		{"..", "metric"},
		{"", "metric"},
		{"émoji✓", "_moji_"},
		{"p99.latency-ms", "p99.latency-ms"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := SanitizeFileName(tt.in)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "/")
		})
	}
}

func TestWriteDifferenceChartsUniqueNames(t *testing.T) {
	res := fixtureResult()
	res.Policy.Metrics[1].Key = "latency/ms"
	res.Policy.Metrics[0].Key = "latency_ms"
	for i := range res.Timeline {
		res.Timeline[i].Metrics[1].Key = "latency/ms"
	}
	dir := t.TempDir()
	paths, err := WriteDifferenceCharts(dir, res)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "latency_ms.png"), filepath.Join(dir, "latency_ms-2.png")}, paths)
}

func TestChartsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	pa, err := WriteDifferenceCharts(a, fixtureResult())
	require.NoError(t, err)
	pb, err := WriteDifferenceCharts(b, fixtureResult())
	require.NoError(t, err)
	for i := range pa {
		ba, err := os.ReadFile(pa[i])
		require.NoError(t, err)
		bb, err := os.ReadFile(pb[i])
		require.NoError(t, err)
		assert.True(t, bytes.Equal(ba, bb), "chart %s differs between runs", filepath.Base(pa[i]))
	}
}

func TestFmtNum(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {250, "250"}, {249.94, "249.9"}, {0.12345, "0.1235"}, {-0.001759, "-0.001759"},
		{12345.6, "12346"}, {2e-5, "2.000e-05"}, {3e7, "3.000e+07"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, fmtNum(tt.in), "fmtNum(%v)", tt.in)
	}
	assert.Equal(t, "1,234,567", fmtInt(1234567))
	assert.Equal(t, "-1,000", fmtInt(-1000))
	assert.True(t, strings.HasPrefix(fmtSigned(2), "+"))
}

func BenchmarkDifferenceChart(b *testing.B) {
	res := fixtureResult()
	for b.Loop() {
		ch, err := DifferenceChart(res, 0)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := ch.WritePNG(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNiceTicksLabelZero: whenever the axis spans zero, zero is a labelled
// tick and the labelled ticks are evenly spaced multiples of the step.
func TestNiceTicksLabelZero(t *testing.T) {
	for _, r := range [][2]float64{{-0.075, 0.125}, {-0.03, 0.41}, {-13.2, 2.1}, {-1e-4, 3e-3}, {-250, 900}} {
		ticks := niceTicks{}.Ticks(r[0], r[1])
		var labelled []float64
		zero := false
		for _, tk := range ticks {
			if tk.Label != "" {
				labelled = append(labelled, tk.Value)
				if tk.Value == 0 {
					zero = true
					assert.Equal(t, "0", tk.Label)
				}
			}
			assert.GreaterOrEqual(t, tk.Value, r[0]-1e-12)
			assert.LessOrEqual(t, tk.Value, r[1]+1e-12)
		}
		assert.True(t, zero, "range %v: ticks %v", r, labelled)
		require.GreaterOrEqual(t, len(labelled), 2, "range %v", r)
		step := labelled[1] - labelled[0]
		for i := 1; i < len(labelled); i++ {
			assert.InDelta(t, step, labelled[i]-labelled[i-1], step*1e-9, "range %v", r)
		}
	}
}
