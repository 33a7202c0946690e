package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

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

// Chart geometry: 9×4.5 in at 120 dpi, i.e. 1080×540 pixels.
const (
	ChartWidth  = 9 * vg.Inch
	ChartHeight = 4.5 * vg.Inch
	ChartDPI    = 120
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
	doneColor  = color.RGBA{R: 0x1e, G: 0x7a, B: 0x3c, A: 0xff}
	stepColor  = color.RGBA{R: 0x8a, G: 0x8f, B: 0x98, A: 0xff}
	zeroColor  = color.RGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xff}
	footColor  = color.RGBA{R: 0x50, G: 0x55, B: 0x5e, A: 0xff}
	gridColor  = color.RGBA{R: 0xee, G: 0xef, B: 0xf1, A: 0xff}
)

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

// footerHeight is the strip below the plot that holds the footer line.
const footerHeight = 0.32 * vg.Inch

// Chart is a difference chart: a plot plus a footer line drawn beneath it.
type Chart struct {
	Plot   *plot.Plot
	Footer string
	// Metric is the metric key the chart shows.
	Metric string
}

// Draw draws the chart (plot and footer) on c.
func (ch *Chart) Draw(c draw.Canvas) {
	if ch.Footer == "" {
		ch.Plot.Draw(c)
		return
	}
	sty := text.Style{
		Color:   footColor,
		Font:    font.From(sansFont, 10),
		XAlign:  draw.XLeft,
		YAlign:  draw.YCenter,
		Handler: ch.Plot.TextHandler,
	}
	c.FillText(sty, vg.Point{X: c.Min.X + 0.12*vg.Inch, Y: c.Min.Y + footerHeight/2}, ch.Footer)
	ch.Plot.Draw(draw.Crop(c, 0, 0, footerHeight, 0))
}

// WritePNG renders the chart at ChartWidth×ChartHeight and ChartDPI.
func (ch *Chart) WritePNG(w io.Writer) error {
	return writePNG(w, ch.Draw)
}

func writePNG(w io.Writer, drawFn func(draw.Canvas)) error {
	img := vgimg.NewWith(vgimg.UseWH(ChartWidth, ChartHeight), vgimg.UseDPI(ChartDPI))
	drawFn(draw.New(img))
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("encode png: %w", err)
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

// niceTicks labels multiples of plot.DefaultTicks' step, so that zero —
// the line that matters on a difference chart — is always a labelled tick
// when the axis spans it (DefaultTicks may offset its ticks from zero);
// labels are formatted by fmtNum (no trailing zeros). Minor ticks halve
// the step.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	def := plot.DefaultTicks{}.Ticks(lo, hi)
	var majors []float64
	for _, t := range def {
		if t.Label != "" {
			majors = append(majors, t.Value)
		}
	}
	if len(majors) < 2 || !(hi > lo) {
		for i := range def {
			if def[i].Label != "" {
				def[i].Label = fmtNum(def[i].Value)
			}
		}
		return def
	}
	step := majors[1] - majors[0]
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

// ErrNoMetric is returned when a chart is requested for a metric index the
// result does not have.
var ErrNoMetric = errors.New("no such metric")

// DifferenceChart draws the difference chart of the metric with index
// metric (into res.Policy.Metrics and each check's Metrics).
func DifferenceChart(res *engine.Result, metric int) (*Chart, error) {
	if res == nil {
		return nil, errors.New("difference chart: nil result")
	}
	if metric < 0 || metric >= len(res.Policy.Metrics) {
		return nil, fmt.Errorf("difference chart: metric %d of %d: %w", metric, len(res.Policy.Metrics), ErrNoMetric)
	}
	pm := res.Policy.Metrics[metric]
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
	p.Y.Label.Text = "difference (new − original)"
	p.X.Min, p.X.Max = 0, math.Max(span/scale, 1/scale)
	p.X.Tick.Marker = timeTicks{days: scale == 24}
	p.Y.Tick.Marker = niceTicks{}

	// Ready, finite points in contiguous runs.
	type pt struct{ x, est, lo, hi float64 }
	var runs [][]pt
	var cur []pt
	var last *engine.MetricCheck
	var lastCheck *engine.Check
	for i := range res.Timeline {
		c := &res.Timeline[i]
		m, ok := mc(c)
		if ok && m.Ready && finite(m.Estimate, m.Lower, m.Upper) {
			cur = append(cur, pt{xOf(c), m.Estimate, m.Lower, m.Upper})
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
	legend := &legendBox{handler: p.TextHandler}
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
			legend.entries = append(legend.entries, legendEntry{fill: BandColor, label: label})
			bandAdded = true
		}
		lines = append(lines, l)
		if !lineAdded {
			legend.entries = append(legend.entries, legendEntry{line: &l.LineStyle, label: "observed difference"})
			lineAdded = true
		}
	}

	// Zero line.
	zero := &hline{Y: 0, Style: draw.LineStyle{Color: zeroColor, Width: vg.Points(0.8)}}
	p.Add(zero)

	// Step boundaries and the regression / rollback moment.
	var marks []vmark
	prevStep := -1
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if c.Step != prevStep {
			prevStep = c.Step
			// The engine records the advancing check with the step it
			// ended, so the new step began at that check.
			x := xOf(c)
			if i > 0 && res.Timeline[i-1].Decision == engine.DecisionAdvance {
				x = xOf(&res.Timeline[i-1])
			}
			label := fmtPct(c.Percent)
			if c.Step > len(res.Policy.Steps) && c.Percent == 0 {
				label = "100%"
			}
			if c.Step == 0 {
				label = ""
			}
			marks = append(marks, vmark{X: x, Label: label, Color: stepColor, Dashes: []vg.Length{vg.Points(4), vg.Points(3)}, Row: 0})
		}
	}
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
		dots = append(dots, plotter.XY{X: xOf(c), Y: m.Estimate})
		label := "regression detected"
		if endIdx >= 0 && res.Timeline[endIdx].Elapsed == c.Elapsed {
			label = "regression → " + endLabel(res.Timeline[endIdx].Decision)
			endIdx = -1
		}
		marks = append(marks, vmark{X: xOf(c), Label: label, Color: AlertColor, Row: 1, Width: 1.4})
	}
	if endIdx >= 0 {
		c := &res.Timeline[endIdx]
		label := endLabel(c.Decision)
		if c.Reason != "" && c.Reason != engine.ReasonRegression {
			label += " (" + string(c.Reason) + ")"
		} else if c.Metric != "" && c.Metric != pm.Key {
			label += " (" + c.Metric + ")"
		}
		row := 1
		if regIdx >= 0 {
			row = 2
		}
		marks = append(marks, vmark{X: xOf(c), Label: label, Color: AlertColor, Row: row, Width: 1.4})
	}
	// Extensions and holds (the first of a run), labelled below the step.
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if (c.Decision == engine.DecisionExtend || c.Decision == engine.DecisionHold) &&
			(i == 0 || res.Timeline[i-1].Decision != c.Decision) {
			label := "extended"
			if c.Decision == engine.DecisionHold {
				label = "holding"
			}
			marks = append(marks, vmark{X: xOf(c), Label: label, Color: stepColor, Dashes: []vg.Length{vg.Points(1.5), vg.Points(2.5)}, Row: 1})
		}
	}
	for i := range res.Timeline {
		if c := &res.Timeline[i]; c.Decision == engine.DecisionComplete {
			marks = append(marks, vmark{X: xOf(c), Label: "completed → 100%", Color: doneColor, Row: 1, Width: 1.4})
			break
		}
	}
	p.Add(&vmarks{marks: marks, handler: p.TextHandler})
	p.Add(lines...)
	if len(dots) > 0 {
		sc, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, fmt.Errorf("difference chart %s: %w", pm.Key, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: AlertColor, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		p.Add(sc) // on top of the line
	}

	// Y range: estimates and zero always; bounds unless an early interval
	// is so wide it would flatten the rest (it is clipped then).
	ylo, yhi := 0.0, 0.0
	var widths []float64
	for _, run := range runs {
		for _, r := range run {
			ylo, yhi = math.Min(ylo, r.est), math.Max(yhi, r.est)
			widths = append(widths, r.hi-r.lo)
		}
	}
	if len(widths) > 0 {
		sorted := slices.Clone(widths)
		slices.Sort(sorted)
		limit := 2.5 * sorted[len(sorted)/2]
		for _, run := range runs {
			for _, r := range run {
				if r.hi-r.lo <= limit || len(widths) == 1 {
					ylo, yhi = math.Min(ylo, r.lo), math.Max(yhi, r.hi)
				}
			}
		}
	}
	if yhi-ylo == 0 {
		ylo, yhi = -1, 1
	}
	pad := yhi - ylo
	p.Y.Min, p.Y.Max = ylo-0.06*pad, yhi+0.30*pad // headroom for the labels

	p.Add(legend)

	// Title and footer.
	title := fmt.Sprintf("%s (%s)", pm.Key, directionText(pm.Direction))
	if last != nil {
		title += fmt.Sprintf(": difference %s, interval [%s, %s]", titleNum(last.Estimate), titleNum(last.Lower), titleNum(last.Upper))
		if last.Regressed {
			title += " — regressed"
		}
	} else {
		title += ": not enough data yet"
	}
	p.Title.Text = title

	var footer string
	if lastCheck != nil {
		m, ok := mc(lastCheck)
		if ok && (m.Original.N > 0 || m.New.N > 0) {
			footer = fmt.Sprintf("Latest means: original %s (n=%s), new %s (n=%s)",
				fmtNum(m.Original.Mean), fmtInt(m.Original.N), fmtNum(m.New.Mean), fmtInt(m.New.N))
		} else {
			footer = "Latest means: —"
		}
		footer += fmt.Sprintf("   ·   contexts served: original %s, new %s   ·   at %s, step %d (%s)",
			fmtInt(lastCheck.Contexts[engine.Original]), fmtInt(lastCheck.Contexts[engine.New]),
			fmtDur(lastCheck.Elapsed), lastCheck.Step, fmtPct(lastCheck.Percent))
	}
	return &Chart{Plot: p, Footer: footer, Metric: pm.Key}, nil
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

// legendBox is a small legend with a white background, drawn in the top
// left corner of the data area below the step labels.
type legendBox struct {
	entries []legendEntry
	handler text.Handler
}

type legendEntry struct {
	label string
	fill  color.Color     // a filled swatch when non-nil
	line  *draw.LineStyle // a line swatch when non-nil
}

func (l *legendBox) Plot(c draw.Canvas, p *plot.Plot) {
	if len(l.entries) == 0 {
		return
	}
	sty := text.Style{Color: color.Black, Font: font.From(sansFont, 10), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: l.handler}
	pad, sw, gap, rowH := vg.Points(5), vg.Points(22), vg.Points(6), vg.Points(14)
	var tw vg.Length
	for _, e := range l.entries {
		tw = max(tw, sty.Width(e.label))
	}
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X + vg.Points(8)}, Max: vg.Point{Y: c.Max.Y - vg.Points(19)}}
	r.Max.X = r.Min.X + 2*pad + sw + gap + tw
	r.Min.Y = r.Max.Y - 2*pad - vg.Length(len(l.entries))*rowH
	c.SetColor(color.NRGBA{R: 255, G: 255, B: 255, A: 235})
	c.Fill(r.Path())
	c.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 0xcc}, Width: vg.Points(0.7)},
		[]vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
	for i, e := range l.entries {
		yc := r.Max.Y - pad - (vg.Length(i)+0.5)*rowH
		x0 := r.Min.X + pad
		if e.fill != nil {
			c.SetColor(e.fill)
			c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: yc - rowH*0.3}, Max: vg.Point{X: x0 + sw, Y: yc + rowH*0.3}}.Path())
		}
		if e.line != nil {
			c.StrokeLine2(*e.line, x0, yc, x0+sw, yc)
		}
		c.FillText(sty, vg.Point{X: x0 + sw + gap, Y: yc}, e.label)
	}
}

// vmark is a labelled vertical line.
type vmark struct {
	X      float64
	Label  string
	Color  color.Color
	Dashes []vg.Length
	Width  float64 // points; 1 when zero
	// Row is the label row from the top (0 = top).
	Row int
}

type vmarks struct {
	marks   []vmark
	handler text.Handler
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
		if m.Label == "" {
			continue
		}
		sty := text.Style{
			Color:   m.Color,
			Font:    font.From(sansFont, 10),
			XAlign:  draw.XLeft,
			YAlign:  draw.YTop,
			Handler: v.handler,
		}
		if m.Row > 0 {
			sty.Font = font.From(boldFont, 10)
		}
		lx := x + vg.Points(3)
		if lx+sty.Width(m.Label) > c.Max.X {
			sty.XAlign = draw.XRight
			lx = x - vg.Points(3)
		}
		y := c.Max.Y - vg.Points(3) - vg.Length(m.Row)*vg.Points(13)
		c.FillText(sty, vg.Point{X: lx, Y: y}, m.Label)
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
	used := map[string]bool{}
	var paths []string
	for i, m := range res.Policy.Metrics {
		ch, err := DifferenceChart(res, i)
		if err != nil {
			return paths, fmt.Errorf("write difference charts: %w", err)
		}
		base := SanitizeFileName(m.Key)
		name := base
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = base + "-" + strconv.Itoa(n)
		}
		used[strings.ToLower(name)] = true
		path := filepath.Join(dir, name+".png")
		if err := atomicfile.Write(path, ch.WritePNG); err != nil {
			return paths, fmt.Errorf("write difference chart %s: %w", m.Key, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
