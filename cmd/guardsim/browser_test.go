package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browserTimeline is the part of timeline.json the browser test checks the
// page against.
type browserTimeline struct {
	Policy struct {
		Metrics []struct {
			Key  string `json:"key"`
			Kind string `json:"kind"`
			Unit string `json:"unit"`
		} `json:"metrics"`
	} `json:"policy"`
	Timeline []struct {
		Contexts [2]int `json:"contexts"`
		Metrics  []struct {
			Original struct {
				Mean float64 `json:"mean"`
			} `json:"original"`
			New struct {
				Mean float64 `json:"mean"`
			} `json:"new"`
			Ready    bool    `json:"ready"`
			Estimate float64 `json:"estimate"`
			Lower    float64 `json:"lower"`
			Upper    float64 `json:"upper"`
		} `json:"metrics"`
	} `json:"timeline"`
}

// chromiumPath finds Debian's chromium. Outside CI the test skips without
// it; in CI (CI=true) a missing browser fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; CI must install it (apt-get install chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium); set CI=true to make this a failure")
	return ""
}

// assertPrinted checks that text is v printed to six significant digits
// (the page's precision): |parsed − v| is at most half a unit of the sixth
// digit.
func assertPrinted(t *testing.T, what, text string, v float64) {
	t.Helper()
	got, err := strconv.ParseFloat(text, 64)
	if !assert.NoError(t, err, "%s: %q is not a number", what, text) {
		return
	}
	tol := 1e-300
	if v != 0 {
		tol = 0.5 * math.Pow(10, math.Floor(math.Log10(math.Abs(v)))-5) * (1 + 1e-9)
	}
	assert.InDelta(t, v, got, tol, "%s: page shows %q, timeline.json has %v", what, text, v)
}

type tooltip struct {
	Hidden bool              `json:"hidden"`
	Check  string            `json:"check"`
	Values map[string]string `json:"values"`
	Text   string            `json:"text"`
}

func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a headless browser")
	}
	browser := chromiumPath(t)

	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderr := cli(t, nil, "run", "--out", dir)
	require.Equal(t, 0, code, stderr)
	raw, err := os.ReadFile(filepath.Join(dir, "timeline.json"))
	require.NoError(t, err)
	var tl browserTimeline
	require.NoError(t, json.Unmarshal(raw, &tl))
	require.NotEmpty(t, tl.Timeline)
	require.Len(t, tl.Policy.Metrics, 2)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()

	url := "file://" + filepath.ToSlash(filepath.Join(dir, "report.html"))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#srm-panel`)),
	))
	keys := evalJS[[]string](ctx, t, `Array.from(document.querySelectorAll('.tile[data-metric]')).map(e=>e.dataset.metric)`)
	srmPanel := evalJS[bool](ctx, t, `!!document.querySelector('#srm-panel .split') && document.querySelector('#srm-panel [data-k=observed_new]').textContent.length>0`)
	srmLine := evalJS[bool](ctx, t, `document.querySelectorAll('#srm-panel svg polyline.srm-p').length===1`)
	points := evalJS[[]int](ctx, t, `Array.from(document.querySelectorAll('.tile[data-index]')).map(e=>e.querySelectorAll('circle.pt').length)`)
	// One tile per metric, in the policy's order; an SRM panel with its split
	// and p-value chart; a chart point per ready check.
	want := make([]string, len(tl.Policy.Metrics))
	for i, m := range tl.Policy.Metrics {
		want[i] = m.Key
	}
	assert.Equal(t, want, keys)
	assert.True(t, srmPanel, "SRM panel with the observed/expected split")
	assert.True(t, srmLine, "SRM sequential p-value line")
	// The SRM panel's observed new share is the last check's, to the four
	// significant digits printed.
	last := tl.Timeline[len(tl.Timeline)-1]
	obs := evalJS[string](ctx, t, `document.querySelector('#srm-panel [data-k=observed_new]').textContent`)
	require.True(t, strings.HasSuffix(obs, "%"), obs)
	gotShare, err := strconv.ParseFloat(strings.TrimSuffix(obs, "%"), 64)
	require.NoError(t, err)
	wantShare := 100 * float64(last.Contexts[1]) / float64(last.Contexts[0]+last.Contexts[1])
	assert.InDelta(t, wantShare, gotShare, 0.5*math.Pow(10, math.Floor(math.Log10(wantShare))-3)*(1+1e-9), "observed new share %q", obs)
	// Self-contained: the page loaded no resource at all.
	assert.Equal(t, 0, evalJS[int](ctx, t, `performance.getEntriesByType('resource').length`), "report.html fetched resources")
	for k := range tl.Policy.Metrics {
		ready := 0
		for _, c := range tl.Timeline {
			if c.Metrics[k].Ready {
				ready++
			}
		}
		require.Greater(t, ready, 2)
		assert.Equal(t, ready, points[k], "points of metric %d", k)
		// The y axis says what the differences are measured in, as the PNGs do.
		wantUnit := tl.Policy.Metrics[k].Unit
		if tl.Policy.Metrics[k].Kind == "binary" {
			wantUnit = "proportion"
		}
		gotUnit := evalJS[string](ctx, t, fmt.Sprintf(`(()=>{const u=document.querySelector('.tile[data-index="%d"] svg text.unit');return u?u.textContent:''})()`, k))
		assert.Equal(t, wantUnit, gotUnit, "y unit of metric %d", k)
	}
	assert.Equal(t, "ms", tl.Policy.Metrics[0].Unit, "the default scenario's latency metric is in ms")

	// Hover chart points: the first, a middle and the last ready check of
	// each metric; the tooltip must show that check's numbers.
	for k := range tl.Policy.Metrics {
		var readyIdx []int
		for i, c := range tl.Timeline {
			if c.Metrics[k].Ready {
				readyIdx = append(readyIdx, i)
			}
		}
		for _, i := range []int{readyIdx[0], readyIdx[len(readyIdx)/2], readyIdx[len(readyIdx)-1]} {
			sel := fmt.Sprintf(`.tile[data-index="%d"] circle.pt[data-i="%d"]`, k, i)
			require.NoError(t, chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.CSS(fmt.Sprintf(`.tile[data-index="%d"] svg`, k)))))
			xy := evalJS[[]float64](ctx, t, fmt.Sprintf(`(()=>{const r=document.querySelector(%q).getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]})()`, sel))
			require.Len(t, xy, 2)
			require.NoError(t, chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1])))
			tip := evalJS[tooltip](ctx, t, fmt.Sprintf(`(()=>{const t=document.querySelector('.tile[data-index="%d"] .tip');const v={};t.querySelectorAll('[data-k]').forEach(e=>v[e.dataset.k]=e.textContent);return {hidden:t.hidden,check:t.getAttribute('data-i')||'',values:v,text:t.innerText}})()`, k))
			require.False(t, tip.Hidden, "tooltip shown over %s", sel)
			require.Equal(t, strconv.Itoa(i), tip.Check, "tooltip at the hovered check")
			c := tl.Timeline[i]
			m := c.Metrics[k]
			what := fmt.Sprintf("metric %s check %d", want[k], i)
			assertPrinted(t, what+" mean original", tip.Values["mean_original"], m.Original.Mean)
			assertPrinted(t, what+" mean new", tip.Values["mean_new"], m.New.Mean)
			assertPrinted(t, what+" estimate", tip.Values["estimate"], m.Estimate)
			assertPrinted(t, what+" lower", tip.Values["lower"], m.Lower)
			assertPrinted(t, what+" upper", tip.Values["upper"], m.Upper)
			assert.Equal(t, strconv.Itoa(c.Contexts[0]), tip.Values["contexts_original"], what)
			assert.Equal(t, strconv.Itoa(c.Contexts[1]), tip.Values["contexts_new"], what)
			assert.Contains(t, tip.Text, "contexts served")
		}
	}

	// At 700 px neither the page nor the metrics table overflows
	// horizontally; then a screenshot.
	type fit struct {
		Page  bool    `json:"page"`
		Table bool    `json:"table"`
		Width float64 `json:"width"`
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(700, 900)))
	fits := evalJS[fit](ctx, t, `(()=>{const d=document.documentElement,t=document.querySelector('table.metrics'),w=t.parentElement;return {page:d.scrollWidth<=d.clientWidth,table:t.getBoundingClientRect().right<=d.clientWidth&&t.scrollWidth<=w.clientWidth,width:d.clientWidth}})()`)
	// The screenshot shows a tooltip: hover the last point of the first tile
	// at this width (the tooltip must not widen the page either).
	lastReady := 0
	for i, c := range tl.Timeline {
		if c.Metrics[0].Ready {
			lastReady = i
		}
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.CSS(`.tile[data-index="0"]`))))
	xy := evalJS[[]float64](ctx, t, fmt.Sprintf(`(()=>{const r=document.querySelector('.tile[data-index="0"] circle.pt[data-i="%d"]').getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]})()`, lastReady))
	require.Len(t, xy, 2)
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1])))
	assert.Equal(t, strconv.Itoa(lastReady), evalJS[string](ctx, t, `document.querySelector('.tile[data-index="0"] .tip').getAttribute('data-i')`))
	assert.True(t, evalJS[bool](ctx, t, `document.documentElement.scrollWidth<=document.documentElement.clientWidth`), "tooltip widens the page at 700 px")
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	if out := os.Getenv("GUARDSIM_SCREENSHOT"); out != "" {
		require.NoError(t, os.WriteFile(out, shot, 0o644))
	}
	assert.True(t, fits.Page, "page overflows horizontally at 700 px")
	assert.True(t, fits.Table, "metrics table overflows at 700 px")
	assert.LessOrEqual(t, fits.Width, 700.0)

	path := filepath.Join(t.TempDir(), "report-700.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(20_000), "screenshot too small to show the report")
	assert.Less(t, st.Size(), int64(20_000_000))
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.Equal(t, 700, img.Bounds().Dx())
	assert.Equal(t, 900, img.Bounds().Dy())
}

// evalJS evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](ctx context.Context, t *testing.T, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "evaluate %s", expr)
	return v
}
