package reports

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// SRMChartName is the file (in the charts folder) of the sample-ratio
// chart; a metric whose key sanitises to "srm" gets "srm-2.png".
const SRMChartName = "srm.png"

// SRMChartHeight is the sample-ratio chart's height (two panels).
const SRMChartHeight = 6.5 * vg.Inch

// unlabelled is a tick marker without labels (an upper panel sharing its
// time axis with the panel below).
type unlabelled struct{ plot.Ticker }

func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := u.Ticker.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// Figure is a title over panels stacked vertically (each a Chart without
// title or footer), with the legend rows and a footer line beneath. The
// panels' data areas are aligned on the left, so their time axes line up.
type Figure struct {
	Title  string
	Footer string
	Panels []*Chart
	// Heights are the panels' shares of the height (equal when nil).
	Heights []float64
	// Width and Height are the PNG's size (ChartWidth×ChartHeight when 0).
	Width, Height vg.Length
	legend        []legendEntry
}

// TitleLines is the title wrapped for a figure width wide.
func (f *Figure) TitleLines(width vg.Length) []string {
	return wrapText(f.Title, width-2*textMargin, titleStyle(plot.DefaultTextHandler).Width)
}

// Draw draws the figure on c.
func (f *Figure) Draw(c draw.Canvas) {
	h := plot.DefaultTextHandler
	var bottom, top vg.Length
	if f.Footer != "" {
		sty := text.Style{Color: footColor, Font: font.From(sansFont, 10), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: h}
		c.FillText(sty, vg.Point{X: c.Min.X + textMargin, Y: c.Min.Y + footerHeight/2}, f.Footer)
		bottom = footerHeight
	}
	rows := legendRows(f.legend, c.Max.X-c.Min.X-2*textMargin, h)
	for i := len(rows) - 1; i >= 0; i-- {
		legendRow(c, rows[i], c.Min.X+textMargin, c.Min.Y+bottom+legendHeight/2, h)
		bottom += legendHeight
	}
	if f.Title != "" {
		sty := titleStyle(h)
		t := strings.Join(f.TitleLines(c.Max.X-c.Min.X), "\n")
		c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - titlePad}, t)
		top = 2*titlePad + sty.Height(t)
	}
	inner := draw.Crop(c, 0, 0, bottom, -top)
	var total float64
	for i := range f.Panels {
		total += f.height(i)
	}
	ht := inner.Max.Y - inner.Min.Y
	canvases := make([]draw.Canvas, len(f.Panels))
	var left, right vg.Length // the widest margins beside the data areas
	y := inner.Max.Y
	for i, p := range f.Panels {
		ph := vg.Length(f.height(i) / total * float64(ht))
		canvases[i] = draw.Crop(inner, 0, 0, y-ph-inner.Min.Y, y-inner.Max.Y)
		dc := p.Plot.DataCanvas(canvases[i])
		left = max(left, dc.Min.X-canvases[i].Min.X)
		right = max(right, canvases[i].Max.X-dc.Max.X)
		y -= ph
	}
	for i, p := range f.Panels {
		dc := p.Plot.DataCanvas(canvases[i])
		ownL, ownR := dc.Min.X-canvases[i].Min.X, canvases[i].Max.X-dc.Max.X
		p.Draw(draw.Crop(canvases[i], left-ownL, -(right - ownR), 0, 0))
	}
}

func (f *Figure) height(i int) float64 {
	if i < len(f.Heights) {
		return f.Heights[i]
	}
	return 1
}

// WritePNG renders the figure at its size (ChartWidth×ChartHeight when
// unset) and ChartDPI.
func (f *Figure) WritePNG(w io.Writer) error {
	wd, ht := f.Width, f.Height
	if wd == 0 || ht == 0 {
		wd, ht = ChartWidth, ChartHeight
	}
	return writePNGSize(w, f.Draw, wd, ht)
}

// SRMShare is one check of the SRM chart's upper panel.
type SRMShare struct {
	// X is the check's position on the time axis.
	X float64
	// Observed is the new arm's share (in percent) of the contexts first
	// analysed since the current step began; Expected is the step's share.
	Observed, Expected float64
	// N is the number of those contexts.
	N int
}

// minSRMPValue is the smallest p-value charted (lower ones sit at it).
const minSRMPValue = 1e-12

// SRMChart draws the sample-ratio chart of a rollout: above, per check, the
// new arm's share of the contexts analysed since the step began against the
// step's expected share; below, the sequential SRM p-value on a log scale
// with the SRM alpha (and the classical χ² p-value for comparison), the
// first mismatch and the rollback marked. shares returns the upper panel's
// points (for tests).
func SRMChart(res *engine.Result) (fig *Figure, shares []SRMShare, err error) {
	if res == nil {
		return nil, nil, errors.New("srm chart: nil result")
	}
	pol := res.Policy
	var span float64
	for _, c := range res.Timeline {
		span = math.Max(span, c.Elapsed.Hours())
	}
	scale, xlabel := timeAxis(span)
	xOf := func(c *engine.Check) float64 { return c.Elapsed.Hours() / scale }

	// Contexts analysed since each step began: the engine records the
	// advancing check with the step it ended, so a step's baseline is the
	// check before its first one.
	var base [engine.NumArms]int
	prevStep := -1
	var obs, exp plotter.XYs
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if c.Step != prevStep {
			prevStep = c.Step
			if i > 0 {
				base = res.Timeline[i-1].Contexts
			}
		}
		if c.Step < 1 || c.Step > len(pol.Steps) {
			continue
		}
		want := 100 * pol.Steps[c.Step-1].ExpectedNewShare()
		exp = append(exp, plotter.XY{X: xOf(c), Y: want})
		nn := c.Contexts[engine.New] - base[engine.New]
		no := c.Contexts[engine.Original] - base[engine.Original]
		if nn+no > 0 {
			s := SRMShare{X: xOf(c), Observed: 100 * float64(nn) / float64(nn+no), Expected: want, N: nn + no}
			shares = append(shares, s)
			obs = append(obs, plotter.XY{X: s.X, Y: s.Observed})
		}
	}

	marks, endLbl := srmMarks(res, xOf)

	// Upper panel: shares.
	up := newPlot()
	up.Y.Label.Text = "new share (%)"
	up.X.Label.Text = ""
	up.X.Min, up.X.Max = 0, math.Max(span/scale, 1/scale)
	up.X.Tick.Marker = unlabelled{timeTicks{days: scale == 24}}
	up.Y.Tick.Marker = niceTicks{}
	var upLegend []legendEntry
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pts := range []plotter.XYs{obs, exp} {
		for _, p := range pts {
			lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
		}
	}
	if !(hi > lo) {
		lo, hi = 40, 60
		if len(exp) > 0 {
			lo, hi = exp[0].Y-5, exp[0].Y+5
		}
	}
	pad := 0.08 * (hi - lo)
	up.Y.Min, up.Y.Max = lo-pad, hi+pad
	up.Add(&vmarks{marks: marks})
	if len(exp) > 0 {
		l, err := plotter.NewLine(exp)
		if err != nil {
			return nil, nil, fmt.Errorf("srm chart: %w", err)
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = draw.LineStyle{Color: stepColor, Width: vg.Points(1.6), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		up.Add(l)
		upLegend = append(upLegend, legendEntry{line: &l.LineStyle, label: "expected share (the step's split)"})
	}
	if len(obs) > 0 {
		l, err := plotter.NewLine(obs)
		if err != nil {
			return nil, nil, fmt.Errorf("srm chart: %w", err)
		}
		l.LineStyle = draw.LineStyle{Color: LineColor, Width: vg.Points(1.8)}
		up.Add(l)
		upLegend = append(upLegend, legendEntry{line: &l.LineStyle, label: "observed share of the contexts analysed since the step began"})
	}

	// Lower panel: p-values on a log scale.
	dn := newPlot()
	dn.X.Label.Text = xlabel
	dn.Y.Label.Text = "p-value (log scale)"
	dn.X.Min, dn.X.Max = up.X.Min, up.X.Max
	dn.X.Tick.Marker = timeTicks{days: scale == 24}
	dn.Y.Scale = plot.LogScale{}
	dn.Y.Tick.Marker = pTicks{}
	var seq, chi plotter.XYs
	var mism plotter.XYs
	pmin := pol.SRMAlpha
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if c.Step < 1 {
			continue
		}
		p := math.Max(c.SRM.PValue, minSRMPValue)
		seq = append(seq, plotter.XY{X: xOf(c), Y: p})
		pmin = math.Min(pmin, p)
		if c.SRM.ChiSquareP > 0 || c.SRM.ChiSquare > 0 {
			q := math.Max(c.SRM.ChiSquareP, minSRMPValue)
			chi = append(chi, plotter.XY{X: xOf(c), Y: q})
			if pol.SRMChiSquare {
				pmin = math.Min(pmin, q)
			}
		}
		if c.SRM.Mismatch && len(mism) == 0 {
			y := p
			if pol.SRMChiSquare {
				y = math.Max(c.SRM.ChiSquareP, minSRMPValue)
			}
			mism = append(mism, plotter.XY{X: xOf(c), Y: y})
		}
	}
	dn.Y.Min = math.Pow(10, math.Floor(math.Log10(pmin))-0.3)
	dn.Y.Max = 1.6
	dn.Add(&vmarks{marks: marks})
	var dnLegend []legendEntry
	alpha := &hline{Y: pol.SRMAlpha, Style: draw.LineStyle{Color: AlertColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}}
	dn.Add(alpha)
	dnLegend = append(dnLegend, legendEntry{line: &alpha.Style, label: "SRM α = " + fmtNum(pol.SRMAlpha)})
	if len(chi) > 0 {
		l, err := plotter.NewLine(chi)
		if err != nil {
			return nil, nil, fmt.Errorf("srm chart: %w", err)
		}
		l.LineStyle = draw.LineStyle{Color: stepColor, Width: vg.Points(1)}
		dn.Add(l)
		label := "classical χ² p (for comparison)"
		if pol.SRMChiSquare {
			label = "classical χ² p (decides: srm_chi_square)"
		}
		dnLegend = append(dnLegend, legendEntry{line: &l.LineStyle, label: label})
	}
	if len(seq) > 0 {
		l, err := plotter.NewLine(seq)
		if err != nil {
			return nil, nil, fmt.Errorf("srm chart: %w", err)
		}
		l.LineStyle = draw.LineStyle{Color: LineColor, Width: vg.Points(1.8)}
		dn.Add(l)
		dnLegend = append(dnLegend, legendEntry{line: &l.LineStyle, label: "sequential SRM p (always valid)"})
	}
	if len(mism) > 0 {
		sc, err := plotter.NewScatter(mism)
		if err != nil {
			return nil, nil, fmt.Errorf("srm chart: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: AlertColor, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		dn.Add(sc)
		dnLegend = append(dnLegend, legendEntry{glyph: &sc.GlyphStyle, label: "mismatch detected"})
	}

	title := "Sample ratio: no checks yet"
	var footer string
	if n := len(res.Timeline); n > 0 {
		last := res.Timeline[n-1]
		p := last.SRM.PValue
		title = "Sample ratio: sequential SRM p = " + fmtSig(p, 3) + " (α = " + fmtNum(pol.SRMAlpha) + ")"
		if last.SRM.Mismatch {
			title += " — mismatch"
		}
		if endLbl != "" {
			title += ", " + endLbl
		}
		footer = fmt.Sprintf("Contexts analysed: original %s, new %s   ·   χ² = %s, p = %s   ·   at %s, step %d (%s)",
			fmtInt(last.Contexts[engine.Original]), fmtInt(last.Contexts[engine.New]),
			fmtSig(last.SRM.ChiSquare, 3), fmtSig(last.SRM.ChiSquareP, 3),
			fmtDur(last.Elapsed), last.Step, fmtPct(last.Percent))
	}
	// Labels above the upper panel only; the lower shows the lines.
	return &Figure{
		Title:   title,
		Footer:  footer,
		Panels:  []*Chart{{Plot: up, marks: marks}, {Plot: dn}},
		Heights: []float64{0.5, 0.5},
		Width:   ChartWidth,
		Height:  SRMChartHeight,
		legend:  append(upLegend, dnLegend...),
	}, shares, nil
}

// srmMarks are the SRM chart's markers: step boundaries, the first
// mismatch, the rollout's end (rollback or halt with its reason, or
// completion). endLbl describes a rollback or halt for the title.
func srmMarks(res *engine.Result, xOf func(*engine.Check) float64) (marks []vmark, endLbl string) {
	marks = stepMarks(res, xOf)
	mis, end := -1, -1
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if mis < 0 && c.SRM.Mismatch {
			mis = i
		}
		if end < 0 && (c.Decision == engine.DecisionRollback || c.Decision == engine.DecisionHalt) {
			end = i
		}
	}
	if end >= 0 {
		c := &res.Timeline[end]
		endLbl = endLabel(c.Decision)
		if c.Reason != "" {
			endLbl += " (" + string(c.Reason) + ")"
		}
	}
	if mis >= 0 {
		label := "SRM detected"
		if end >= 0 && res.Timeline[end].Elapsed == res.Timeline[mis].Elapsed {
			label += " → " + endLbl
			end = -1
		}
		marks = append(marks, vmark{X: xOf(&res.Timeline[mis]), Label: label, Color: AlertColor, Bold: true, Width: 1.4})
	}
	if end >= 0 {
		marks = append(marks, vmark{X: xOf(&res.Timeline[end]), Label: endLbl, Color: AlertColor, Bold: true, Width: 1.4})
	}
	for i := range res.Timeline {
		if c := &res.Timeline[i]; c.Decision == engine.DecisionComplete {
			marks = append(marks, vmark{X: xOf(c), Label: "completed → 100%", Color: doneColor, Bold: true, Width: 1.4})
			break
		}
	}
	return marks, endLbl
}

// stepMarks are the dashed step boundaries labelled with the step's
// percentage (the first step's line at the start is unlabelled when it
// is step 0).
func stepMarks(res *engine.Result, xOf func(*engine.Check) float64) []vmark {
	var marks []vmark
	prevStep := -1
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if c.Step == prevStep {
			continue
		}
		prevStep = c.Step
		// The engine records the advancing check with the step it ended,
		// so the new step began at that check.
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
		marks = append(marks, vmark{X: x, Label: label, Color: stepColor, Dashes: []vg.Length{vg.Points(4), vg.Points(3)}})
	}
	return marks
}

// pTicks labels the powers of ten of a log-scaled p-value axis (1, 0.1,
// 0.01, 0.001, then 1e-04 …), every second or third one when there are many.
type pTicks struct{}

func (pTicks) Ticks(lo, hi float64) []plot.Tick {
	a, b := int(math.Ceil(math.Log10(lo)-1e-9)), int(math.Floor(math.Log10(hi)+1e-9))
	every := 1 + (b-a)/7
	var ticks []plot.Tick
	for k := b; k >= a; k-- {
		t := plot.Tick{Value: math.Pow(10, float64(k))}
		if (b-k)%every == 0 {
			t.Label = pLabel(k)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func pLabel(k int) string {
	if k >= -3 {
		return fmtNum(math.Pow(10, float64(k)))
	}
	return fmt.Sprintf("1e%d", k)
}

// WriteSRMChart writes the sample-ratio chart to dir/SRMChartName and
// returns its path.
func WriteSRMChart(dir string, res *engine.Result) (string, error) {
	fig, _, err := SRMChart(res)
	if err != nil {
		return "", fmt.Errorf("write srm chart: %w", err)
	}
	path := filepath.Join(dir, SRMChartName)
	if err := atomicfile.Write(path, fig.WritePNG); err != nil {
		return "", fmt.Errorf("write srm chart: %w", err)
	}
	return path, nil
}
