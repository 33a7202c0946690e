package reports

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// Chart geometry: 9×4.5 in at 240 dpi, i.e. 2160×1080 pixels — twice the
// 1080×540 the charts are shown at, so they are sharp on hi-dpi screens
// (the PNG's pHYs chunk says 240 dpi; the HTML report sizes them to 1080
// CSS pixels).
const (
	ChartWidth  = 9 * vg.Inch
	ChartHeight = 4.5 * vg.Inch
	ChartDPI    = 240
)

// Chart colours. They are exported so that callers (and tests) can find
// the drawn elements.
var (
	// LineColor is the colour of the observed-difference line.
	LineColor = color.RGBA{R: 0x1b, G: 0x3a, B: 0x64, A: 0xff}
	// BandColor is the fill of the interval band.
	BandColor = color.RGBA{R: 0xd9, G: 0xdc, B: 0xe1, A: 0xff}
	// AlertColor marks regressions and rollbacks.
	AlertColor = color.RGBA{R: 0xd0, G: 0x21, B: 0x1c, A: 0xff}
	// ClipColor marks where a band is clipped by the y range.
	ClipColor = color.RGBA{R: 0x9a, G: 0x5b, B: 0x00, A: 0xff}
	doneColor = color.RGBA{R: 0x1e, G: 0x7a, B: 0x3c, A: 0xff}
	stepColor = color.RGBA{R: 0x8a, G: 0x8f, B: 0x98, A: 0xff}
	zeroColor = color.RGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xff}
	footColor = color.RGBA{R: 0x50, G: 0x55, B: 0x5e, A: 0xff}
	gridColor = color.RGBA{R: 0xee, G: 0xef, B: 0xf1, A: 0xff}
)

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

// Strips around the plot: the footer line and the legend row below it, the
// title above it.
const (
	footerHeight = 0.32 * vg.Inch
	legendHeight = 0.26 * vg.Inch
	titlePad     = 0.10 * vg.Inch
	textMargin   = 0.12 * vg.Inch
)

// Chart is a chart drawn by this package: a gonum plot with a wrapped
// title above it, marker labels laid out in rows between the title and the
// data area, and a legend row and a footer line beneath it.
type Chart struct {
	Plot *plot.Plot
	// Title is drawn wrapped to the chart's width (TitleLines).
	Title  string
	Footer string
	// Metric is the metric key the chart shows ("" for other charts).
	Metric string
	// Clipped lists the checks whose band reaches beyond the y range
	// (each marked by a triangle at the edge).
	Clipped []ClippedBand
	legend  []legendEntry
	marks   []vmark
	// labels are the marker labels as last drawn (for tests).
	labels []markLabel
}

func titleStyle(h text.Handler) text.Style {
	return text.Style{Color: color.Black, Font: font.From(boldFont, 13), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: h}
}

// TitleLines is the title wrapped for a chart width wide.
func (ch *Chart) TitleLines(width vg.Length) []string {
	sty := titleStyle(ch.Plot.TextHandler)
	return wrapText(ch.Title, width-2*textMargin, sty.Width)
}

// Draw draws the chart on c.
func (ch *Chart) Draw(c draw.Canvas) {
	h := ch.Plot.TextHandler
	var bottom vg.Length
	if ch.Footer != "" {
		sty := text.Style{Color: footColor, Font: font.From(sansFont, 10), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: h}
		c.FillText(sty, vg.Point{X: c.Min.X + textMargin, Y: c.Min.Y + footerHeight/2}, ch.Footer)
		bottom += footerHeight
	}
	rows := legendRows(ch.legend, c.Max.X-c.Min.X-2*textMargin, h)
	for i := len(rows) - 1; i >= 0; i-- {
		legendRow(c, rows[i], c.Min.X+textMargin, c.Min.Y+bottom+legendHeight/2, h)
		bottom += legendHeight
	}
	var top vg.Length
	if ch.Title != "" {
		sty := titleStyle(h)
		t := strings.Join(ch.TitleLines(c.Max.X-c.Min.X), "\n")
		c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - titlePad}, t)
		top = 2*titlePad + sty.Height(t)
	}
	inner := draw.Crop(c, 0, 0, bottom, -top)
	// The labels' rows depend on where the markers fall; the data area's
	// width does not depend on the rows' height.
	dc := ch.Plot.DataCanvas(inner)
	trX, _ := ch.Plot.Transforms(&dc)
	labels, nrows := placeLabels(ch.marks, trX, dc.Min.X, dc.Max.X, h)
	if nrows > 0 {
		inner = draw.Crop(inner, 0, 0, 0, -(vg.Length(nrows)*labelRowHeight + vg.Points(3)))
	}
	dc = ch.Plot.DataCanvas(inner)
	ch.Plot.Draw(inner)
	for _, l := range labels {
		c.FillText(labelStyle(l, h), vg.Point{X: l.Min, Y: dc.Max.Y + vg.Points(3) + vg.Length(l.Row)*labelRowHeight}, l.Text)
	}
	ch.labels = labels
}

// WritePNG renders the chart at ChartWidth×ChartHeight and ChartDPI.
func (ch *Chart) WritePNG(w io.Writer) error {
	return writePNG(w, ch.Draw)
}

func writePNG(w io.Writer, drawFn func(draw.Canvas)) error {
	return writePNGSize(w, drawFn, ChartWidth, ChartHeight)
}

func writePNGSize(w io.Writer, drawFn func(draw.Canvas), width, height vg.Length) error {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(ChartDPI))
	drawFn(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	b, err := withDPI(buf.Bytes(), ChartDPI)
	if err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write png: %w", err)
	}
	return nil
}

// newPlot returns a plot with the package's fonts and a light grid.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = font.From(boldFont, 13)
	p.Title.Padding = 0.12 * vg.Inch
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, 11)
		ax.Tick.Label.Font = font.From(sansFont, 10)
		ax.Padding = 0
	}
	p.Legend.TextStyle.Font = font.From(sansFont, 10)
	g := plotter.NewGrid()
	g.Horizontal.Color = gridColor
	g.Vertical.Color = gridColor
	p.Add(g)
	return p
}

// timeAxis picks hours or days for a timeline spanning span hours.
func timeAxis(spanHours float64) (scale float64, label string) {
	if spanHours > 72 {
		return 24, "time since start (days)"
	}
	return 1, "time since start (hours)"
}

// timeTicks puts major ticks on round numbers of hours (1, 2, 3, 6, 12 or
// 24 apart) or days (1, 2, 7 or 14 apart).
type timeTicks struct{ days bool }

func (tt timeTicks) Ticks(lo, hi float64) []plot.Tick {
	steps := []float64{1, 2, 3, 6, 12, 24, 48, 168}
	if tt.days {
		steps = []float64{1, 2, 7, 14, 28}
	}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if (hi-lo)/s <= 9 {
			step = s
			break
		}
	}
	minor := step / 2
	if tt.days && step == 1 {
		minor = 0.25 // 6 h
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/minor) * minor; v <= hi+1e-9; v += minor {
		t := plot.Tick{Value: v}
		if r := math.Mod(v, step); math.Abs(r) < 1e-9 || math.Abs(r-step) < 1e-9 {
			t.Label = fmtNum(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// niceTicks labels multiples of a round step (1, 2, 2.5 or 5 × 10^k, the
// smallest giving at most six intervals), so that zero — the line that
// matters on a difference chart — is always a labelled tick when the axis
// spans it, and a short axis still gets three or more labels (gonum's
// DefaultTicks may offset its ticks from zero or label only two). Labels
// are formatted by fmtNum (no trailing zeros). Minor ticks halve the step.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo, hi) {
		return []plot.Tick{{Value: lo, Label: fmtNum(lo)}}
	}
	step := niceStep((hi - lo) / 6)
	var ticks []plot.Tick
	for k := math.Ceil(lo/step*2 - 1e-9); k <= math.Floor(hi/step*2+1e-9); k++ {
		v := k * step / 2
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		t := plot.Tick{Value: v}
		if math.Mod(k, 2) == 0 {
			t.Label = fmtNum(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// niceStep is the smallest of 1, 2, 2.5, 5 × 10^k that is at least raw.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// ErrNoMetric is returned when a chart is requested for a metric index the
// result does not have.
var ErrNoMetric = errors.New("no such metric")

// DifferenceChart draws the difference chart of the metric with index
// metric (into res.Policy.Metrics and each check's Metrics). Values are in
// the metric's unit, binary metrics in percentage points; the y range comes
// from the informative part of the band (yRange), and bands beyond it are
// marked.
func DifferenceChart(res *engine.Result, metric int) (*Chart, error) {
	if res == nil {
		return nil, errors.New("difference chart: nil result")
	}
	if metric < 0 || metric >= len(res.Policy.Metrics) {
		return nil, fmt.Errorf("difference chart: metric %d of %d: %w", metric, len(res.Policy.Metrics), ErrNoMetric)
	}
	pm := res.Policy.Metrics[metric]
	vs := scaleOf(pm)
	mc := func(c *engine.Check) (engine.MetricCheck, bool) {
		if metric < len(c.Metrics) && c.Metrics[metric].Key == pm.Key {
			return c.Metrics[metric], true
		}
		for _, m := range c.Metrics {
			if m.Key == pm.Key {
				return m, true
			}
		}
		return engine.MetricCheck{}, false
	}

	var span float64
	for _, c := range res.Timeline {
		span = math.Max(span, c.Elapsed.Hours())
	}
	scale, xlabel := timeAxis(span)
	xOf := func(c *engine.Check) float64 { return c.Elapsed.Hours() / scale }

	p := newPlot()
	p.X.Label.Text = xlabel
	p.Y.Label.Text = vs.yAxisLabel()
	p.X.Min, p.X.Max = 0, math.Max(span/scale, 1/scale)
	p.X.Tick.Marker = timeTicks{days: scale == 24}
	p.Y.Tick.Marker = niceTicks{}

	// Ready, finite points in contiguous runs.
	var runs [][]bandPoint
	var all []bandPoint
	var cur []bandPoint
	var last *engine.MetricCheck
	var lastCheck *engine.Check
	for i := range res.Timeline {
		c := &res.Timeline[i]
		m, ok := mc(c)
		if ok && m.Ready && finite(m.Estimate, m.Lower, m.Upper) {
			bp := bandPoint{xOf(c), vs.Factor * m.Estimate, vs.Factor * m.Lower, vs.Factor * m.Upper}
			cur = append(cur, bp)
			all = append(all, bp)
			mm := m
			last = &mm
			continue
		}
		if len(cur) > 0 {
			runs = append(runs, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	if n := len(res.Timeline); n > 0 {
		lastCheck = &res.Timeline[n-1]
	}

	// Band and line.
	var legend []legendEntry
	var bandAdded, lineAdded bool
	var lines []plot.Plotter // drawn after the markers
	for _, run := range runs {
		if len(run) == 1 {
			r := run[0]
			eb := &plotter.YErrorBars{
				XYs:       plotter.XYs{{X: r.x, Y: r.est}},
				YErrors:   plotter.YErrors{{Low: r.est - r.lo, High: r.hi - r.est}},
				LineStyle: draw.LineStyle{Color: BandColor, Width: vg.Points(6)},
			}
			sc, err := plotter.NewScatter(plotter.XYs{{X: r.x, Y: r.est}})
			if err != nil {
				return nil, fmt.Errorf("difference chart %s: %w", pm.Key, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: LineColor, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
			p.Add(eb)
			lines = append(lines, sc)
			continue
		}
		poly := make(plotter.XYs, 0, 2*len(run))
		line := make(plotter.XYs, 0, len(run))
		for _, r := range run {
			poly = append(poly, plotter.XY{X: r.x, Y: r.hi})
			line = append(line, plotter.XY{X: r.x, Y: r.est})
		}
		for i := len(run) - 1; i >= 0; i-- {
			poly = append(poly, plotter.XY{X: run[i].x, Y: run[i].lo})
		}
		band, err := plotter.NewPolygon(poly)
		if err != nil {
			return nil, fmt.Errorf("difference chart %s: band: %w", pm.Key, err)
		}
		band.Color = BandColor
		band.LineStyle.Width = 0
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, fmt.Errorf("difference chart %s: line: %w", pm.Key, err)
		}
		l.LineStyle = draw.LineStyle{Color: LineColor, Width: vg.Points(1.8)}
		p.Add(band)
		if !bandAdded {
			label := fmt.Sprintf("%s anytime-valid interval (one-sided α = %s)", fmtPct(100*(1-res.Policy.MetricAlpha())), fmtNum(res.Policy.MetricAlpha()))
			if _, def := res.Policy.DetectorFactory().(engine.ConfidenceSequence); !def {
				// A peer detector draws its own interval (or value band).
				label = res.Policy.DetectorFactory().Name() + " interval (policy " + res.Policy.Name + ")"
			}
			legend = append(legend, legendEntry{fill: BandColor, label: label})
			bandAdded = true
		}
		lines = append(lines, l)
		if !lineAdded {
			legend = append(legend, legendEntry{line: &l.LineStyle, label: "observed difference"})
			lineAdded = true
		}
	}

	// Zero line.
	zero := &hline{Y: 0, Style: draw.LineStyle{Color: zeroColor, Width: vg.Points(0.8)}}
	p.Add(zero)

	// Step boundaries and the regression / rollback moment.
	marks := stepMarks(res, xOf)
	// First regressed check of this metric.
	regIdx := -1
	for i := range res.Timeline {
		if m, ok := mc(&res.Timeline[i]); ok && m.Regressed {
			regIdx = i
			break
		}
	}
	endIdx := -1
	for i := range res.Timeline {
		d := res.Timeline[i].Decision
		if d == engine.DecisionRollback || d == engine.DecisionHalt {
			endIdx = i
			break
		}
	}
	var dots plotter.XYs
	if regIdx >= 0 {
		c := &res.Timeline[regIdx]
		m, _ := mc(c)
		dots = append(dots, plotter.XY{X: xOf(c), Y: vs.Factor * m.Estimate})
		label := "regression detected"
		if endIdx >= 0 && res.Timeline[endIdx].Elapsed == c.Elapsed {
			label = "regression → " + endLabel(res.Timeline[endIdx].Decision)
			endIdx = -1
		}
		marks = append(marks, vmark{X: xOf(c), Label: label, Color: AlertColor, Bold: true, Width: 1.4})
	}
	if endIdx >= 0 {
		c := &res.Timeline[endIdx]
		label := endLabel(c.Decision)
		if c.Reason != "" && c.Reason != engine.ReasonRegression {
			label += " (" + string(c.Reason) + ")"
		} else if c.Metric != "" && c.Metric != pm.Key {
			label += " (" + c.Metric + ")"
		}
		marks = append(marks, vmark{X: xOf(c), Label: label, Color: AlertColor, Bold: true, Width: 1.4})
	}
	for i := range res.Timeline {
		if c := &res.Timeline[i]; c.Decision == engine.DecisionComplete {
			marks = append(marks, vmark{X: xOf(c), Label: "completed → 100%", Color: doneColor, Bold: true, Width: 1.4})
			break
		}
	}
	// Extensions and holds (the first of a run).
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if (c.Decision == engine.DecisionExtend || c.Decision == engine.DecisionHold) &&
			(i == 0 || res.Timeline[i-1].Decision != c.Decision) {
			label := "extended"
			if c.Decision == engine.DecisionHold {
				label = "holding"
			}
			marks = append(marks, vmark{X: xOf(c), Label: label, Color: stepColor, Dashes: []vg.Length{vg.Points(1.5), vg.Points(2.5)}, Bold: true})
		}
	}
	p.Add(&vmarks{marks: marks})
	p.Add(lines...)
	if len(dots) > 0 {
		sc, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, fmt.Errorf("difference chart %s: %w", pm.Key, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: AlertColor, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		p.Add(sc) // on top of the line
		legend = append(legend, legendEntry{glyph: &sc.GlyphStyle, label: "regression detected"})
	}

	p.Y.Min, p.Y.Max = yRange(all)
	clipped := clippedBands(all, p.Y.Min, p.Y.Max)
	if len(clipped) > 0 {
		cm := &clipMarks{bands: clipped, style: draw.GlyphStyle{Color: ClipColor, Radius: vg.Points(3.5), Shape: draw.PyramidGlyph{}}}
		p.Add(cm)
		legend = append(legend, legendEntry{glyph: &cm.style, label: "band clipped (beyond the axis)"})
	}

	// Title and footer.
	title := fmt.Sprintf("%s (%s)", pm.Key, directionText(pm.Direction))
	if last != nil {
		title += fmt.Sprintf(": difference %s, interval %s",
			vs.num(vs.Factor*last.Estimate), withUnit("["+titleNum(vs.Factor*last.Lower)+", "+titleNum(vs.Factor*last.Upper)+"]", vs.Unit))
		if last.Regressed {
			title += " — regressed"
		}
	} else {
		title += ": not enough data yet"
	}

	var footer string
	if lastCheck != nil {
		m, ok := mc(lastCheck)
		if ok && (m.Original.N > 0 || m.New.N > 0) {
			footer = fmt.Sprintf("Latest means: original %s (n=%s), new %s (n=%s)",
				vs.mean(m.Original.Mean), fmtInt(m.Original.N), vs.mean(m.New.Mean), fmtInt(m.New.N))
		} else {
			footer = "Latest means: —"
		}
		footer += fmt.Sprintf("   ·   contexts served: original %s, new %s   ·   at %s, step %d (%s)",
			fmtInt(lastCheck.Contexts[engine.Original]), fmtInt(lastCheck.Contexts[engine.New]),
			fmtDur(lastCheck.Elapsed), lastCheck.Step, fmtPct(lastCheck.Percent))
	}
	return &Chart{Plot: p, Title: title, Footer: footer, Metric: pm.Key, Clipped: clipped, legend: legend, marks: marks}, nil
}

// titleNum formats a signed value with three significant digits.
func titleNum(v float64) string {
	s := fmtSig(v, 3)
	if v > 0 {
		s = "+" + s
	}
	return s
}

func endLabel(d engine.Decision) string {
	if d == engine.DecisionHalt {
		return "halted"
	}
	return "rolled back"
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// hline is a horizontal line across the whole data area.
type hline struct {
	Y     float64
	Style draw.LineStyle
}

func (h *hline) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(h.Y)
	if y < c.Min.Y || y > c.Max.Y {
		return
	}
	c.StrokeLine2(h.Style, c.Min.X, y, c.Max.X, y)
}

// vmark is a vertical line with a label (laid out by Chart.Draw above the
// data area).
type vmark struct {
	X      float64
	Label  string
	Color  color.Color
	Dashes []vg.Length
	Width  float64 // points; 1 when zero
	Bold   bool
}

// vmarks draws the lines of the markers.
type vmarks struct {
	marks []vmark
}

func (v *vmarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, m := range v.marks {
		x := trX(m.X)
		if x < c.Min.X-0.5 || x > c.Max.X+0.5 {
			continue
		}
		w := m.Width
		if w == 0 {
			w = 1
		}
		c.StrokeLine2(draw.LineStyle{Color: m.Color, Width: vg.Points(w), Dashes: m.Dashes}, x, c.Min.Y, x, c.Max.Y)
	}
}

// WriteDifferenceCharts writes one difference chart per policy metric to
// dir/<metric>.png (metric keys sanitised with SanitizeFileName, made unique
// with a numeric suffix) and returns the paths written, in metric order.
func WriteDifferenceCharts(dir string, res *engine.Result) ([]string, error) {
	if res == nil {
		return nil, errors.New("write difference charts: nil result")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write difference charts: %w", err)
	}
	// The sample-ratio chart's name is reserved (WriteRollout writes it).
	used := map[string]bool{strings.TrimSuffix(SRMChartName, ".png"): true}
	paths := make([]string, len(res.Policy.Metrics))
	for i, m := range res.Policy.Metrics {
		base := SanitizeFileName(m.Key)
		name := base
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = base + "-" + strconv.Itoa(n)
		}
		used[strings.ToLower(name)] = true
		paths[i] = filepath.Join(dir, name+".png")
	}
	// The charts are drawn and encoded concurrently (each is independent,
	// and drawing is most of the time a replay spends after its events).
	// At most GOMAXPROCS at a time: each holds a full-size image.
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, m := range res.Policy.Metrics {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ch, err := DifferenceChart(res, i)
			if err != nil {
				errs[i] = fmt.Errorf("write difference charts: %w", err)
				return
			}
			if err := atomicfile.Write(paths[i], ch.WritePNG); err != nil {
				errs[i] = fmt.Errorf("write difference chart %s: %w", m.Key, err)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return paths[:i], err
		}
	}
	return paths, nil
}
