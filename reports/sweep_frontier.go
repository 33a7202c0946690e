package reports

import (
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/guardsim/guardsim/sim/sweep"
)

// FrontierPNG is the exposure-cost frontier plot of a sweep.
const FrontierPNG = "frontier.png"

// frontierPoint is one policy/parameter cell with an effect: its policy's
// false-rollback rate (the effect-0 cell of the same policy label) and the
// median number of contexts exposed to the regressing variation before the
// rollout ended.
type frontierPoint struct {
	label    string
	fpr      float64
	exposure float64
}

func frontierPoints(res *sweep.Result) []frontierPoint {
	fpr := map[string]float64{}
	for _, c := range res.Cells {
		if c.Effect == 0 {
			fpr[c.Policy] = c.Rate
		}
	}
	var pts []frontierPoint
	for _, c := range res.Cells {
		f, ok := fpr[c.Policy]
		if c.Effect == 0 || !ok {
			continue
		}
		pts = append(pts, frontierPoint{label: orDash(c.Policy) + " effect=" + strconv.FormatFloat(c.Effect, 'g', -1, 64), fpr: f, exposure: c.ExposureMedian})
	}
	return pts
}

// FrontierPlot draws the exposure-cost frontier: one point per
// policy/parameter cell with a nonzero effect, at x = the policy's
// false-rollback rate (its effect-0 cell) and y = the median number of
// contexts exposed to the regressing variation before the rollout ended
// (rolled back, halted, or rolled forward). Down and left is better. It
// returns nil and no error when no policy has both an effect-0 cell and a
// cell with an effect.
func FrontierPlot(res *sweep.Result) (*plot.Plot, error) {
	pts := frontierPoints(res)
	if len(pts) == 0 {
		return nil, nil
	}
	p := newPlot()
	p.Title.Text = "Exposure-cost frontier (down and left is better)"
	if res.Scenario != "" {
		p.Title.Text += " — " + res.Scenario
	}
	p.X.Label.Text = "false-rollback rate (effect 0)"
	p.Y.Label.Text = "median contexts exposed to the regressing variation"
	xys := make(plotter.XYs, len(pts))
	labels := make([]string, len(pts))
	for i, pt := range pts {
		xys[i] = plotter.XY{X: pt.fpr, Y: pt.exposure}
		labels[i] = pt.label
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, fmt.Errorf("frontier plot: %w", err)
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{R: 0x1f, G: 0x3a, B: 0x5f, A: 0xff}, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
	p.Add(sc)
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("frontier plot: %w", err)
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = vg.Points(8)
	}
	lb.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(2)}
	p.Add(lb)
	p.X.Min, p.Y.Min = 0, 0
	return p, nil
}
