package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sweepTip struct {
	Hidden bool              `json:"hidden"`
	X      string            `json:"x"`
	Label  string            `json:"label"`
	Values map[string]string `json:"values"`
}

// TestSweepReportInBrowser: the sweep's report.html draws the power curves
// and the false-positive chart from its embedded cells; hovering a point
// shows that cell's numbers, checked against sweep.csv; the data files
// are links; the page loads nothing.
func TestSweepReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a headless browser")
	}
	browser := chromiumPath(t)
	dir := filepath.Join(t.TempDir(), "sweep")
	code, _, stderr := cli(t, nil, "sweep", "--scenario", "latency-regression", "--grid", "alpha=0.01,0.05;effect=0,2,4", "--reps", "200", "--seed", "3", "--out", dir, "--quiet")
	require.Equal(t, 0, code, stderr)
	f, err := os.Open(filepath.Join(dir, "sweep.csv"))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cells := rows[1:]
	require.Len(t, cells, 6)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate("file://"+filepath.ToSlash(filepath.Join(dir, "report.html"))),
		chromedp.WaitVisible(chromedp.CSS(`.ichart[data-chart=power] svg circle.pt`)),
	))
	assert.Equal(t, []string{"sweep.csv", "sweep.parquet", "sweep.json"}, evalJS[[]string](ctx, t, `Array.from(document.querySelectorAll('a[href]')).map(a=>a.getAttribute('href'))`), "data files are links")
	assert.Equal(t, 0, evalJS[int](ctx, t, `performance.getEntriesByType('resource').length`), "report.html fetched resources")
	// Power: one line per policy (alpha), a point per cell of the policy.
	assert.Equal(t, 2, evalJS[int](ctx, t, `document.querySelectorAll('.ichart[data-chart=power] polyline.line').length`))
	assert.Equal(t, 6, evalJS[int](ctx, t, `document.querySelectorAll('.ichart[data-chart=power] circle.pt').length`))
	// FPR: a point per effect-0 cell, and the rate = α line.
	assert.Equal(t, 2, evalJS[int](ctx, t, `document.querySelectorAll('.ichart[data-chart=fpr] circle.pt').length`))
	assert.Equal(t, 1, evalJS[int](ctx, t, `document.querySelectorAll('.ichart[data-chart=fpr] line.ref').length`))

	hover := func(chart string, cell int) sweepTip {
		sel := fmt.Sprintf(`.ichart[data-chart=%s] circle.pt[data-cell="%d"]`, chart, cell)
		require.NoError(t, chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.CSS(fmt.Sprintf(`.ichart[data-chart=%s] svg`, chart)))))
		xy := evalJS[[]float64](ctx, t, fmt.Sprintf(`(()=>{const r=document.querySelector(%q).getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]})()`, sel))
		require.Len(t, xy, 2, sel)
		require.NoError(t, chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1])))
		return evalJS[sweepTip](ctx, t, fmt.Sprintf(`(()=>{const t=document.querySelector('.ichart[data-chart=%s] .tip'),r=t.querySelector('tr[data-cell="%d"]'),v={};if(r)r.querySelectorAll('[data-k]').forEach(e=>v[e.dataset.k]=e.textContent);return {hidden:t.hidden,x:t.getAttribute('data-x')||'',label:r?r.cells[0].textContent:'',values:v}})()`, chart, cell))
	}
	num := func(row []string, name string) float64 {
		v, err := strconv.ParseFloat(row[col[name]], 64)
		require.NoError(t, err, name)
		return v
	}
	checked := 0
	for i, row := range cells {
		charts := []string{"power"}
		if num(row, "effect") == 0 {
			charts = append(charts, "fpr")
		}
		for _, ch := range charts {
			tip := hover(ch, i)
			what := fmt.Sprintf("%s chart, cell %d (%s effect %s)", ch, i, row[col["policy"]], row[col["effect"]])
			require.False(t, tip.Hidden, what)
			x := row[col["effect"]]
			if ch == "fpr" {
				x = row[col["alpha"]]
			}
			xv, _ := strconv.ParseFloat(x, 64)
			assertPrinted(t, what+" x", tip.X, xv)
			if ch == "power" {
				assert.Equal(t, row[col["policy"]], tip.Label, what)
			}
			assertPrinted(t, what+" rate", tip.Values["rate"], num(row, "rate"))
			assertPrinted(t, what+" rate_lo", tip.Values["rate_lo"], num(row, "rate_lo"))
			assertPrinted(t, what+" rate_hi", tip.Values["rate_hi"], num(row, "rate_hi"))
			assert.Equal(t, row[col["detections"]], tip.Values["detections"], what)
			assert.Equal(t, row[col["reps"]], tip.Values["reps"], what)
			if ch == "power" && num(row, "detections") > 0 {
				require.Regexp(t, ` h$`, tip.Values["median"], what)
				assertPrinted(t, what+" median", tip.Values["median"][:len(tip.Values["median"])-2], num(row, "detect_median_h"))
			}
			checked++
		}
	}
	assert.Equal(t, 8, checked)
}
