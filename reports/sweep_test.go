package reports

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/sim/sweep"
)

var wantSweepColumns = []string{"policy", "alpha", "nstar", "effect",
	"reps", "detections", "rate", "rate_lo", "rate_hi", "detect_median_h", "detect_p90_h",
	"new_contexts_mean", "srm_share", "insufficient_share", "completed_share", "exposure_median",
	"srm_share_lo", "srm_share_hi", "insufficient_share_lo", "insufficient_share_hi", "completed_share_lo", "completed_share_hi",
	"family_bound",
	"metric_latency_ms_detections", "metric_latency_ms_rate", "metric_latency_ms_rate_lo", "metric_latency_ms_rate_hi",
	"metric_checkout_conversion_detections", "metric_checkout_conversion_rate", "metric_checkout_conversion_rate_lo", "metric_checkout_conversion_rate_hi"}

func durationFromHours(h float64) time.Duration {
	return time.Duration(math.Round(h * float64(time.Hour)))
}

// cellFromRow rebuilds a cell from column values (params are alpha, nstar,
// effect as in fixtureSweep).
func cellFromRow(t *testing.T, policy string, v map[string]float64) sweep.Cell {
	t.Helper()
	return sweep.Cell{
		Params:            []sweep.Param{{Name: "alpha", Value: v["alpha"]}, {Name: "nstar", Value: v["nstar"]}, {Name: "effect", Value: v["effect"]}},
		Policy:            policy,
		Alpha:             v["alpha"],
		Effect:            v["effect"],
		Reps:              int(v["reps"]),
		Detections:        int(v["detections"]),
		Rate:              v["rate"],
		RateLo:            v["rate_lo"],
		RateHi:            v["rate_hi"],
		DetectMedian:      durationFromHours(v["detect_median_h"]),
		DetectP90:         durationFromHours(v["detect_p90_h"]),
		NewContextsMean:   v["new_contexts_mean"],
		SRMShare:          v["srm_share"],
		InsufficientShare: v["insufficient_share"],
		CompletedShare:    v["completed_share"],
		ExposureMedian:    v["exposure_median"],

		SRMShareLo:          v["srm_share_lo"],
		SRMShareHi:          v["srm_share_hi"],
		InsufficientShareLo: v["insufficient_share_lo"],
		InsufficientShareHi: v["insufficient_share_hi"],
		CompletedShareLo:    v["completed_share_lo"],
		CompletedShareHi:    v["completed_share_hi"],
		FamilyBound:         v["family_bound"],
		FamilyRule:          sweep.FamilyUnion, // not a table column: the fixture's rule
		Metrics:             metricsFromRow(v, "latency_ms", "checkout_conversion"),
	}
}

func metricsFromRow(v map[string]float64, keys ...string) []sweep.MetricRate {
	var out []sweep.MetricRate
	for _, k := range keys {
		p := "metric_" + k + "_"
		out = append(out, sweep.MetricRate{Key: k, Detections: int(v[p+"detections"]), Rate: v[p+"rate"], RateLo: v[p+"rate_lo"], RateHi: v[p+"rate_hi"]})
	}
	return out
}

func TestSweepCSVRoundTrip(t *testing.T) {
	res := fixtureSweep()
	dir := t.TempDir()
	require.NoError(t, WriteSweep(dir, res))
	f, err := os.Open(filepath.Join(dir, SweepCSV))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, wantSweepColumns, recs[0])
	require.Len(t, recs, len(res.Cells)+1)
	for i, rec := range recs[1:] {
		v := map[string]float64{}
		for j, name := range recs[0][1:] {
			x, err := strconv.ParseFloat(rec[j+1], 64)
			require.NoError(t, err)
			v[name] = x
		}
		assert.Equal(t, res.Cells[i], cellFromRow(t, rec[0], v), "row %d", i)
	}
}

func TestSweepParquetRoundTrip(t *testing.T) {
	res := fixtureSweep()
	dir := t.TempDir()
	require.NoError(t, WriteSweep(dir, res))
	b, err := os.ReadFile(filepath.Join(dir, SweepParquet))
	require.NoError(t, err)
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var cols []string
	for _, path := range pf.Schema().Columns() {
		cols = append(cols, strings.Join(path, "."))
	}
	require.Equal(t, wantSweepColumns, cols)
	require.EqualValues(t, len(res.Cells), pf.NumRows())

	r := parquet.NewReader(bytes.NewReader(b))
	defer r.Close()
	rows := make([]parquet.Row, len(res.Cells)+1)
	n, err := r.ReadRows(rows)
	require.Equal(t, len(res.Cells), n)
	if err != nil {
		require.ErrorContains(t, err, "EOF")
	}
	for i, row := range rows[:n] {
		require.Len(t, row, len(wantSweepColumns))
		v := map[string]float64{}
		for j, name := range wantSweepColumns[1:] {
			val := row[j+1]
			if isIntColumn(name) {
				v[name] = float64(val.Int64())
			} else {
				v[name] = val.Double()
			}
		}
		assert.Equal(t, res.Cells[i], cellFromRow(t, string(row[0].ByteArray()), v), "row %d", i)
	}
}

func TestSweepPlots(t *testing.T) {
	dir := exampleDir(t)
	dir = filepath.Join(dir, "sweep")
	require.NoError(t, WriteSweep(dir, fixtureSweep()))
	for _, name := range []string{PowerPNG, FPRPNG} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err, name)
		assert.Equal(t, 2160, img.Bounds().Dx(), name)
		assert.Equal(t, 1080, img.Bounds().Dy(), name)
	}
	p, err := PowerPlot(fixtureSweep())
	require.NoError(t, err)
	require.NotNil(t, p)
	// 4 policies → 4 series (error bars, line, points each).
	ss := powerSeries(fixtureSweep())
	require.Len(t, ss, 4)
	for _, s := range ss {
		require.Len(t, s.points, 4, "effect 0 plus three positive effects")
		assert.Zero(t, s.points[0].x)
	}
	fs := fprSeries(fixtureSweep())
	require.Len(t, fs, 2, "one series per nstar")
	assert.Equal(t, "nstar=1000", fs[0].label)
	for _, s := range fs {
		require.Len(t, s.points, 2, "two alphas")
		assert.Equal(t, 0.01, s.points[0].x)
		assert.Equal(t, 0.05, s.points[1].x)
	}
}

func TestSweepReport(t *testing.T) {
	res := fixtureSweep()
	dir := t.TempDir()
	require.NoError(t, WriteSweep(dir, res))
	md := readFile(t, filepath.Join(dir, "report.md"))
	assert.Contains(t, md, "| Scenario | checkout-latency |")
	assert.Contains(t, md, "## False-positive rate (effect 0)")
	assert.Contains(t, md, "## Power (detection rate) by effect")
	assert.Contains(t, md, "| Policy | effect 2 | effect 5 | effect 10 |")
	assert.Contains(t, md, "![power vs effect](power.png)")
	assert.Contains(t, md, "![false-positive rate vs alpha](fpr.png)")
	for _, c := range res.Cells {
		if c.Effect == 0 {
			line := findLine(md, "| "+c.Policy+" | "+fmtNum(c.Alpha)+" |")
			require.NotEmpty(t, line, c.Policy)
			assert.Contains(t, line, "| "+fmtRate(c.Rate)+" | "+fmtCI(c.RateLo, c.RateHi)+" |")
		}
		if c.Effect > 0 {
			power := md[strings.Index(md, "## Power"):]
			line := findLine(power, "| "+c.Policy+" | ")
			require.NotEmpty(t, line, c.Policy)
			assert.Contains(t, line, fmtRate(c.Rate)+" "+fmtCI(c.RateLo, c.RateHi))
		}
	}
	html := readFile(t, filepath.Join(dir, "report.html"))
	assert.NotContains(t, html, "http://")
	assert.NotContains(t, html, "https://")
	// The plots are embedded; the only links are the data files next to
	// the report.
	var imgs, links []string
	for _, a := range attrURL.FindAllStringSubmatch(html, -1) {
		if strings.HasPrefix(a[2], "data:image/png;base64,") {
			imgs = append(imgs, a[2])
		} else {
			links = append(links, a[2])
		}
	}
	require.Len(t, imgs, 3, "power, FPR and exposure-cost frontier plots")
	assert.Equal(t, []string{SweepCSV, SweepParquet, SweepJSON}, links)
	assert.Contains(t, md, "![exposure-cost frontier](frontier.png)")
}

func TestSweepGridsWithoutPlots(t *testing.T) {
	full := fixtureSweep()
	var noZero, onlyZero, noAlpha sweep.Result
	noZero, onlyZero, noAlpha = *full, *full, *full
	noZero.Cells, onlyZero.Cells, noAlpha.Cells = nil, nil, nil
	for _, c := range full.Cells {
		if c.Effect == 0 {
			onlyZero.Cells = append(onlyZero.Cells, c)
		} else {
			noZero.Cells = append(noZero.Cells, c)
		}
		if c.Params[0].Value == 0.05 {
			// A grid without alpha: cells carry no alpha parameter and
			// (as if unset) no alpha value.
			c.Params = c.Params[1:]
			c.Alpha = 0
			noAlpha.Cells = append(noAlpha.Cells, c)
		}
	}
	tests := []struct {
		name      string
		res       *sweep.Result
		wantPower bool
		wantFPR   bool
		note      string
		columns   []string
	}{
		{"no effect 0", &noZero, true, false, "no effect-0 cells", nil},
		{"only effect 0", &onlyZero, false, true, "no cells with a positive effect", nil},
		{"no alpha", &noAlpha, true, false, "carry no alpha", []string{"policy", "nstar", "effect", "alpha", "reps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Stale plots from an earlier sweep must not survive.
			require.NoError(t, os.WriteFile(filepath.Join(dir, PowerPNG), []byte("stale"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, FPRPNG), []byte("stale"), 0o644))
			require.NoError(t, WriteSweep(dir, tt.res))
			for name, want := range map[string]bool{PowerPNG: tt.wantPower, FPRPNG: tt.wantFPR} {
				if want {
					b, err := os.ReadFile(filepath.Join(dir, name))
					require.NoError(t, err)
					_, err = png.Decode(bytes.NewReader(b))
					require.NoError(t, err, name)
				} else {
					assert.NoFileExists(t, filepath.Join(dir, name))
				}
			}
			md := readFile(t, filepath.Join(dir, "report.md"))
			assert.Contains(t, md, tt.note)
			assert.Contains(t, readFile(t, filepath.Join(dir, "report.html")), tt.note)
			if tt.columns != nil {
				header := strings.SplitN(readFile(t, filepath.Join(dir, SweepCSV)), "\n", 2)[0]
				assert.True(t, strings.HasPrefix(header, strings.Join(tt.columns, ",")), header)
			}
		})
	}
}

func TestSweepDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, WriteSweep(a, fixtureSweep()))
	require.NoError(t, WriteSweep(b, fixtureSweep()))
	for _, name := range []string{SweepCSV, SweepParquet, PowerPNG, FPRPNG, "report.md", "report.html"} {
		assert.Equal(t, readFile(t, filepath.Join(a, name)), readFile(t, filepath.Join(b, name)), name)
	}
}

func TestSweepMissingParam(t *testing.T) {
	res := fixtureSweep()
	res.Cells[0].Params = res.Cells[0].Params[:2] // no effect param
	var buf bytes.Buffer
	require.NoError(t, EncodeSweepCSV(&buf, res))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, "", recs[1][3], "missing effect is an empty field")
	buf.Reset()
	require.NoError(t, EncodeSweepParquet(&buf, res))
}

func TestSweepWriteFailureLeavesNoFile(t *testing.T) {
	// The destination directory is a file: nothing can be written and
	// nothing half-written appears.
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	require.NoError(t, os.WriteFile(dir, []byte("x"), 0o644))
	require.Error(t, WriteSweep(dir, fixtureSweep()))
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}
