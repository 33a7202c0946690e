package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/guardsim/guardsim/sim/sweep"
)

// seriesPoint is one point of a plotted series with its Wilson interval.
type seriesPoint struct{ x, y, lo, hi float64 }

type series struct {
	label  string
	points []seriesPoint
}

// errXYs adapts points to plotter.XYer and plotter.YErrorer.
type errXYs []seriesPoint

func (e errXYs) Len() int                        { return len(e) }
func (e errXYs) XY(i int) (float64, float64)     { return e[i].x, e[i].y }
func (e errXYs) YError(i int) (float64, float64) { return e[i].y - e[i].lo, e[i].hi - e[i].y }

// powerSeries is the power curves of the PNG plot: the lines of
// interactivePowerSeries (the grouping the report.html charts use too), as
// points (effect, rate, Wilson interval).
func powerSeries(res *sweep.Result) []series {
	return seriesPoints(res, interactivePowerSeries(res), func(c sweep.Cell) float64 { return c.Effect })
}

// fprSeries is the false-positive lines of the PNG plot: the lines of
// interactiveFPRSeries as points (alpha, rate, Wilson interval).
func fprSeries(res *sweep.Result) []series {
	return seriesPoints(res, interactiveFPRSeries(res), func(c sweep.Cell) float64 { return c.Alpha })
}

// seriesPoints turns lines of cell indexes (already in x order) into
// plotted points.
func seriesPoints(res *sweep.Result, lines []sweepSeries, x func(sweep.Cell) float64) []series {
	out := make([]series, len(lines))
	for i, l := range lines {
		out[i].label = l.Label
		for _, j := range l.Cells {
			c := res.Cells[j]
			out[i].points = append(out[i].points, seriesPoint{x(c), c.Rate, c.RateLo, c.RateHi})
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addSeries draws each series as a line with points and Wilson error bars.
// Series are dodged horizontally by a small fraction of the x span so their
// error bars do not hide each other.
func addSeries(p *plot.Plot, ss []series) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, pt := range s.points {
			lo, hi = math.Min(lo, pt.x), math.Max(hi, pt.x)
		}
	}
	step := 0.006 * (hi - lo)
	for i, s := range ss {
		pts := make(errXYs, len(s.points))
		off := (float64(i) - float64(len(ss)-1)/2) * step
		for j, pt := range s.points {
			pt.x += off
			pts[j] = pt
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		col := plotutil.Color(i)
		l.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.6)}
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: plotutil.Shape(i)}
		eb, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return err
		}
		eb.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1)}
		eb.CapWidth = vg.Points(6)
		p.Add(eb, l, sc)
		p.Legend.Add(s.label, l, sc)
	}
	return nil
}

// PowerPlot draws power (detection rate) against effect, one line per
// policy, with Wilson 95% error bars. It returns nil and no error when the
// sweep has no cell with a positive effect.
func PowerPlot(res *sweep.Result) (*plot.Plot, error) {
	ss := powerSeries(res)
	if len(ss) == 0 {
		return nil, nil
	}
	p := newPlot()
	p.Title.Text = "Power: detection rate vs effect (Wilson 95% intervals)"
	if res.Scenario != "" {
		p.Title.Text += " — " + res.Scenario
	}
	p.X.Label.Text = "effect"
	p.Y.Label.Text = "detection rate (power)"
	if err := addSeries(p, ss); err != nil {
		return nil, fmt.Errorf("power plot: %w", err)
	}
	p.Y.Min, p.Y.Max = 0, 1.02
	padX(p)
	var xs []float64
	for _, s := range ss {
		for _, pt := range s.points {
			xs = append(xs, pt.x)
		}
	}
	p.X.Tick.Marker = valueTicks(xs)
	p.Y.Tick.Marker = valueTicks([]float64{0, 0.2, 0.4, 0.6, 0.8, 1})
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	return p, nil
}

// FPRPlot draws the false-positive rate (effect-0 cells) against alpha with
// the y = alpha diagonal, one series per combination of the other
// parameters. It returns nil and no error when the sweep has no effect-0
// cell with a positive alpha.
func FPRPlot(res *sweep.Result) (*plot.Plot, error) {
	ss := fprSeries(res)
	if len(ss) == 0 {
		return nil, nil
	}
	p := newPlot()
	p.Title.Text = "Any-metric false-positive rate vs alpha (effect 0, Wilson 95% intervals)"
	if res.Scenario != "" {
		p.Title.Text += " — " + res.Scenario
	}
	p.X.Label.Text = "alpha (one-sided, per metric)"
	p.Y.Label.Text = "false-positive rate"
	var amax, ymax float64
	for _, s := range ss {
		for _, pt := range s.points {
			amax, ymax = math.Max(amax, pt.x), math.Max(ymax, pt.hi)
		}
	}
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0x70}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(4)}}
	p.Add(diag)
	p.Legend.Add("y = alpha (per-metric bound)", diag)
	if m, label := familyLine(res); m > 1 {
		// The any-metric rate's bound: M·α, which is also overall_alpha
		// when that sets α = overall_alpha/M.
		fam := plotter.NewFunction(func(x float64) float64 { return math.Min(float64(m)*x, 1) })
		fam.LineStyle = draw.LineStyle{Color: color.RGBA{R: 0xb0, G: 0x30, B: 0x30, A: 0xff}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
		p.Add(fam)
		p.Legend.Add(label, fam)
		ymax = math.Max(ymax, math.Min(float64(m)*amax, 1))
	}
	if err := addSeries(p, ss); err != nil {
		return nil, fmt.Errorf("fpr plot: %w", err)
	}
	p.X.Min, p.X.Max = 0, amax*1.1
	p.Y.Min, p.Y.Max = 0, math.Max(amax, ymax)*1.1
	xs := []float64{0}
	for _, s := range ss {
		for _, pt := range s.points {
			xs = append(xs, pt.x)
		}
	}
	p.X.Tick.Marker = valueTicks(xs)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(8)
	return p, nil
}

// familyLine is the number of metrics M of the sweep's effect-0 cells and
// the legend of the family-bound line y = M·alpha (M = 0 when the cells
// carry no metrics).
func familyLine(res *sweep.Result) (int, string) {
	for _, c := range res.Cells {
		if c.Effect != 0 || len(c.Metrics) == 0 {
			continue
		}
		m := len(c.Metrics)
		if c.FamilyRule == sweep.FamilyBonferroni {
			return m, fmt.Sprintf("y = overall_alpha = %d·alpha (any-metric bound, Bonferroni)", m)
		}
		return m, fmt.Sprintf("y = %d·alpha (any-metric bound)", m)
	}
	return 0, ""
}

// valueTicks labels exactly the given values (deduplicated), which suits
// grid values such as effects and alphas.
func valueTicks(vs []float64) plot.ConstantTicks {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	vs = slices.Compact(vs)
	ticks := make(plot.ConstantTicks, len(vs))
	for i, v := range vs {
		ticks[i] = plot.Tick{Value: v, Label: fmtNum(v)}
	}
	return ticks
}

// padX widens the x range by 4% on each side so end points and error bars
// are not cut.
func padX(p *plot.Plot) {
	d := p.X.Max - p.X.Min
	if d == 0 {
		d = math.Max(math.Abs(p.X.Max), 1)
	}
	p.X.Min -= 0.04 * d
	p.X.Max += 0.04 * d
}
