package reports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/parquet-go/parquet-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/guardsim/guardsim/internal/atomicfile"
	"github.com/guardsim/guardsim/sim/sweep"
)

// Sweep output file names.
const (
	SweepCSV     = "sweep.csv"
	SweepParquet = "sweep.parquet"
	PowerPNG     = "power.png"
	FPRPNG       = "fpr.png"
)

// sweepStatColumns are the per-cell statistics columns, after the policy,
// parameter, alpha and effect columns.
var sweepStatColumns = []string{
	"reps", "detections", "rate", "rate_lo", "rate_hi",
	"detect_median_h", "detect_p90_h", "new_contexts_mean",
	"srm_share", "insufficient_share", "completed_share",
}

// sweepTable is the tabular form of a sweep: one row per cell.
type sweepTable struct {
	params []string // parameter names in grid order
	// extraAlpha and extraEffect are true when alpha / effect are not grid
	// parameters and get their own column.
	extraAlpha, extraEffect bool
}

func newSweepTable(res *sweep.Result) sweepTable {
	var t sweepTable
	seen := map[string]bool{}
	for _, c := range res.Cells {
		for _, p := range c.Params {
			if !seen[p.Name] {
				seen[p.Name] = true
				t.params = append(t.params, p.Name)
			}
		}
	}
	t.extraAlpha, t.extraEffect = !seen["alpha"], !seen["effect"]
	return t
}

// Columns returns the column names: policy, the parameters, alpha and effect
// unless they are parameters, then sweepStatColumns.
func (t sweepTable) columns() []string {
	cols := append([]string{"policy"}, t.params...)
	if t.extraAlpha {
		cols = append(cols, "alpha")
	}
	if t.extraEffect {
		cols = append(cols, "effect")
	}
	return append(cols, sweepStatColumns...)
}

// values returns a cell's numeric values after the policy column; a
// parameter the cell lacks is NaN.
func (t sweepTable) values(c sweep.Cell) []float64 {
	var vs []float64
	for _, name := range t.params {
		v := math.NaN()
		for _, p := range c.Params {
			if p.Name == name {
				v = p.Value
				break
			}
		}
		vs = append(vs, v)
	}
	if t.extraAlpha {
		vs = append(vs, c.Alpha)
	}
	if t.extraEffect {
		vs = append(vs, c.Effect)
	}
	return append(vs,
		float64(c.Reps), float64(c.Detections), c.Rate, c.RateLo, c.RateHi,
		c.DetectMedian.Hours(), c.DetectP90.Hours(), c.NewContextsMean,
		c.SRMShare, c.InsufficientShare, c.CompletedShare)
}

// isIntColumn reports whether a stats column holds counts.
func isIntColumn(name string) bool { return name == "reps" || name == "detections" }

// EncodeSweepCSV writes the cells of res as CSV with a header row. Floats
// use the shortest representation that round-trips; a missing parameter is
// an empty field.
func EncodeSweepCSV(w io.Writer, res *sweep.Result) error {
	t := newSweepTable(res)
	cols := t.columns()
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return fmt.Errorf("encode sweep csv: %w", err)
	}
	for _, c := range res.Cells {
		rec := []string{c.Policy}
		for i, v := range t.values(c) {
			name := cols[i+1]
			switch {
			case math.IsNaN(v):
				rec = append(rec, "")
			case isIntColumn(name):
				rec = append(rec, strconv.FormatInt(int64(v), 10))
			default:
				rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("encode sweep csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("encode sweep csv: %w", err)
	}
	return nil
}

// parquetName makes a column name usable as a parquet struct tag.
func parquetName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ',' || r == '"' || r == '`' || r == ' ' || r == '=' {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// EncodeSweepParquet writes the cells of res as a Parquet file with the
// same columns as the CSV, in the same order: policy as a string, reps and
// detections as int64, everything else as double (NaN for a missing
// parameter).
func EncodeSweepParquet(w io.Writer, res *sweep.Result) error {
	t := newSweepTable(res)
	cols := t.columns()
	fields := make([]reflect.StructField, len(cols))
	for i, name := range cols {
		typ := reflect.TypeFor[float64]()
		switch {
		case i == 0:
			typ = reflect.TypeFor[string]()
		case isIntColumn(name):
			typ = reflect.TypeFor[int64]()
		}
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: typ,
			Tag:  reflect.StructTag(`parquet:"` + parquetName(name) + `"`),
		}
	}
	rowType := reflect.StructOf(fields)
	schema := parquet.SchemaOf(reflect.New(rowType).Interface())
	pw := parquet.NewWriter(w, schema)
	for _, c := range res.Cells {
		row := reflect.New(rowType).Elem()
		row.Field(0).SetString(c.Policy)
		for i, v := range t.values(c) {
			f := row.Field(i + 1)
			if f.Kind() == reflect.Int64 {
				f.SetInt(int64(v))
			} else {
				f.SetFloat(v)
			}
		}
		if err := pw.Write(row.Addr().Interface()); err != nil {
			return fmt.Errorf("encode sweep parquet: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("encode sweep parquet: %w", err)
	}
	return nil
}

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

// powerSeries groups the cells with Effect ≥ 0 by policy (only policies
// with at least one positive effect), sorted by effect.
func powerSeries(res *sweep.Result) []series {
	var out []series
	idx := map[string]int{}
	hasPos := map[string]bool{}
	for _, c := range res.Cells {
		if c.Effect < 0 || math.IsNaN(c.Effect) {
			continue
		}
		if c.Effect > 0 {
			hasPos[c.Policy] = true
		}
		i, ok := idx[c.Policy]
		if !ok {
			i = len(out)
			idx[c.Policy] = i
			out = append(out, series{label: orDash(c.Policy)})
		}
		out[i].points = append(out[i].points, seriesPoint{c.Effect, c.Rate, c.RateLo, c.RateHi})
	}
	kept := out[:0]
	for _, s := range out {
		pol := s.label
		if pol == "—" {
			pol = ""
		}
		if hasPos[pol] {
			slices.SortStableFunc(s.points, func(a, b seriesPoint) int { return cmpFloat(a.x, b.x) })
			kept = append(kept, s)
		}
	}
	return kept
}

// fprSeries groups the effect-0 cells by the parameters other than alpha
// and effect, sorted by alpha.
func fprSeries(res *sweep.Result) []series {
	var out []series
	idx := map[string]int{}
	for _, c := range res.Cells {
		if c.Effect != 0 || !(c.Alpha > 0) {
			continue
		}
		var parts []string
		for _, p := range c.Params {
			if p.Name != "alpha" && p.Name != "effect" {
				parts = append(parts, p.Name+"="+strconv.FormatFloat(p.Value, 'g', -1, 64))
			}
		}
		label := strings.Join(parts, " ")
		if label == "" {
			label = "false-positive rate"
		}
		i, ok := idx[label]
		if !ok {
			i = len(out)
			idx[label] = i
			out = append(out, series{label: label})
		}
		out[i].points = append(out[i].points, seriesPoint{c.Alpha, c.Rate, c.RateLo, c.RateHi})
	}
	for _, s := range out {
		slices.SortStableFunc(s.points, func(a, b seriesPoint) int { return cmpFloat(a.x, b.x) })
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
	p.Title.Text = "False-positive rate vs alpha (effect 0, Wilson 95% intervals)"
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
	p.Legend.Add("y = alpha", diag)
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

type rateCell struct{ Rate, CI string }

type fprRow struct {
	Policy, Alpha, Reps, Detections, Rate, CI, Verdict string
	Bad                                                bool
}

type powerRow struct {
	Policy string
	Cells  []rateCell
}

type detectRow struct {
	Policy, Effect, Reps, Detections, Rate, Median, P90, NewContexts, SRM, Insufficient, Completed string
}

type sweepView struct {
	Title        string
	Info         []kv
	FPR          []fprRow
	Effects      []string
	Power        []powerRow
	Detect       []detectRow
	Notes        []string
	PowerPNG     string
	FPRPNG       string
	PowerURI     htmltemplate.HTMLAttr
	FPRURI       htmltemplate.HTMLAttr
	CSV, Parquet string
	CSS          htmltemplate.CSS
}

func fmtCI(lo, hi float64) string { return "[" + fmtRate(lo) + ", " + fmtRate(hi) + "]" }

func buildSweepView(res *sweep.Result) sweepView {
	v := sweepView{Title: "Sweep report", CSV: SweepCSV, Parquet: SweepParquet}
	v.Info = []kv{
		{"Scenario", orDash(res.Scenario)},
		{"Fidelity", orDash(string(res.Fidelity))},
		{"Seed", strconv.FormatUint(res.Seed, 10)},
		{"Replications per cell", fmtInt(res.Reps)},
		{"Grid", orDash(res.Grid)},
		{"Cells", fmtInt(len(res.Cells))},
	}
	// False-positive rate.
	for _, c := range res.Cells {
		if c.Effect != 0 {
			continue
		}
		r := fprRow{Policy: orDash(c.Policy), Alpha: fmtNum(c.Alpha), Reps: fmtInt(c.Reps), Detections: fmtInt(c.Detections),
			Rate: fmtRate(c.Rate), CI: fmtCI(c.RateLo, c.RateHi), Verdict: "consistent with α"}
		switch {
		case c.Alpha > 0 && c.RateLo > c.Alpha:
			r.Verdict, r.Bad = "exceeds α", true
		case c.Alpha > 0 && c.RateHi < c.Alpha:
			r.Verdict = "below α"
		case !(c.Alpha > 0):
			r.Verdict = "—"
		}
		v.FPR = append(v.FPR, r)
	}
	// Power pivot: policies × positive effects.
	var effects []float64
	for _, c := range res.Cells {
		if c.Effect > 0 && !slices.Contains(effects, c.Effect) {
			effects = append(effects, c.Effect)
		}
	}
	slices.Sort(effects)
	for _, e := range effects {
		v.Effects = append(v.Effects, fmtNum(e))
	}
	pidx := map[string]int{}
	for _, c := range res.Cells {
		if !(c.Effect > 0) {
			continue
		}
		i, ok := pidx[c.Policy]
		if !ok {
			i = len(v.Power)
			pidx[c.Policy] = i
			v.Power = append(v.Power, powerRow{Policy: orDash(c.Policy), Cells: make([]rateCell, len(effects))})
		}
		j := slices.Index(effects, c.Effect)
		v.Power[i].Cells[j] = rateCell{Rate: fmtRate(c.Rate), CI: fmtCI(c.RateLo, c.RateHi)}
	}
	for i := range v.Power {
		for j := range v.Power[i].Cells {
			if v.Power[i].Cells[j].Rate == "" {
				v.Power[i].Cells[j] = rateCell{Rate: "—"}
			}
		}
	}
	// Time to detection and how rollouts ended.
	for _, c := range res.Cells {
		v.Detect = append(v.Detect, detectRow{
			Policy: orDash(c.Policy), Effect: fmtNum(c.Effect), Reps: fmtInt(c.Reps), Detections: fmtInt(c.Detections), Rate: fmtRate(c.Rate),
			Median: fmtHours(c.DetectMedian), P90: fmtHours(c.DetectP90), NewContexts: fmtNum(math.Round(c.NewContextsMean)),
			SRM: fmtRate(c.SRMShare), Insufficient: fmtRate(c.InsufficientShare), Completed: fmtRate(c.CompletedShare),
		})
	}
	if len(v.FPR) == 0 {
		v.Notes = append(v.Notes, "The grid has no effect-0 cells, so there is no false-positive-rate table or plot.")
	} else if len(fprSeries(res)) == 0 {
		v.Notes = append(v.Notes, "The effect-0 cells carry no alpha, so the false-positive rate is not plotted against alpha.")
	}
	if len(effects) == 0 {
		v.Notes = append(v.Notes, "The grid has no cells with a positive effect, so there is no power table or plot.")
	}
	return v
}

var sweepMD = texttemplate.Must(texttemplate.New("sweep.md").Funcs(mdFuncs).Parse(`# {{.Title}}

| | |
|---|---|
{{range .Info}}| {{.Key}} | {{cell .Value}} |
{{end}}
Data: [{{.CSV}}]({{.CSV}}), [{{.Parquet}}]({{.Parquet}}).
{{range .Notes}}
> {{.}}
{{end}}{{if .FPR}}
## False-positive rate (effect 0)

| Policy | Alpha | Reps | False positives | Rate | Wilson 95% CI | Verdict |
|---|---:|---:|---:|---:|---|---|
{{range .FPR}}| {{cell .Policy}} | {{.Alpha}} | {{.Reps}} | {{.Detections}} | {{.Rate}} | {{.CI}} | {{if .Bad}}**{{.Verdict}}**{{else}}{{.Verdict}}{{end}} |
{{end}}{{if .FPRPNG}}
![false-positive rate vs alpha]({{.FPRPNG}})
{{end}}{{end}}{{if .Power}}
## Power (detection rate) by effect

| Policy |{{range .Effects}} effect {{.}} |{{end}}
|---|{{range .Effects}}---:|{{end}}
{{range .Power}}| {{cell .Policy}} |{{range .Cells}} {{.Rate}}{{if .CI}} {{.CI}}{{end}} |{{end}}
{{end}}{{if .PowerPNG}}
![power vs effect]({{.PowerPNG}})
{{end}}{{end}}
## Time to detection and how rollouts ended

Times are hours from the start of the rollout over detected rollouts; new contexts is the mean number of contexts served the new variation before rollback.

| Policy | Effect | Reps | Detections | Rate | Median (h) | P90 (h) | New contexts | SRM | Insufficient | Completed |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{{range .Detect}}| {{cell .Policy}} | {{.Effect}} | {{.Reps}} | {{.Detections}} | {{.Rate}} | {{.Median}} | {{.P90}} | {{.NewContexts}} | {{.SRM}} | {{.Insufficient}} | {{.Completed}} |
{{end}}`))

var sweepHTML = htmltemplate.Must(htmltemplate.New("sweep.html").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table>
{{range .Info}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
<p class="note">Data: {{.CSV}}, {{.Parquet}} (next to this report).</p>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{if .FPR}}
<h2>False-positive rate (effect 0)</h2>
<table>
<tr><th>Policy</th><th>Alpha</th><th>Reps</th><th>False positives</th><th>Rate</th><th>Wilson 95% CI</th><th>Verdict</th></tr>
{{range .FPR}}<tr{{if .Bad}} class="alert"{{end}}><td>{{.Policy}}</td><td class="num">{{.Alpha}}</td><td class="num">{{.Reps}}</td><td class="num">{{.Detections}}</td><td class="num">{{.Rate}}</td><td>{{.CI}}</td><td{{if .Bad}} class="bad"{{end}}>{{.Verdict}}</td></tr>
{{end}}</table>
{{if .FPRURI}}<figure><img {{.FPRURI}} alt="false-positive rate vs alpha"></figure>{{end}}
{{end}}{{if .Power}}
<h2>Power (detection rate) by effect</h2>
<table>
<tr><th>Policy</th>{{range .Effects}}<th>effect {{.}}</th>{{end}}</tr>
{{range .Power}}<tr><td>{{.Policy}}</td>{{range .Cells}}<td class="num">{{.Rate}}{{if .CI}} {{.CI}}{{end}}</td>{{end}}</tr>
{{end}}</table>
{{if .PowerURI}}<figure><img {{.PowerURI}} alt="power vs effect"></figure>{{end}}
{{end}}
<h2>Time to detection and how rollouts ended</h2>
<p class="note">Times are hours from the start of the rollout over detected rollouts; new contexts is the mean number of contexts served the new variation before rollback.</p>
<table>
<tr><th>Policy</th><th>Effect</th><th>Reps</th><th>Detections</th><th>Rate</th><th>Median (h)</th><th>P90 (h)</th><th>New contexts</th><th>SRM</th><th>Insufficient</th><th>Completed</th></tr>
{{range .Detect}}<tr><td>{{.Policy}}</td><td class="num">{{.Effect}}</td><td class="num">{{.Reps}}</td><td class="num">{{.Detections}}</td><td class="num">{{.Rate}}</td><td class="num">{{.Median}}</td><td class="num">{{.P90}}</td><td class="num">{{.NewContexts}}</td><td class="num">{{.SRM}}</td><td class="num">{{.Insufficient}}</td><td class="num">{{.Completed}}</td></tr>
{{end}}</table>
</body>
</html>
`))

// WriteSweep writes the sweep outputs into dir: sweep.csv, sweep.parquet,
// power.png and fpr.png (each only when the grid supports it; the report
// says when a plot is skipped), report.md and a self-contained report.html.
func WriteSweep(dir string, res *sweep.Result) error {
	if res == nil {
		return errors.New("write sweep: nil result")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, SweepCSV), func(w io.Writer) error { return EncodeSweepCSV(w, res) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, SweepParquet), func(w io.Writer) error { return EncodeSweepParquet(w, res) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	v := buildSweepView(res)
	for _, pl := range []struct {
		name string
		mk   func(*sweep.Result) (*plot.Plot, error)
		png  *string
		uri  *htmltemplate.HTMLAttr
	}{
		{PowerPNG, PowerPlot, &v.PowerPNG, &v.PowerURI},
		{FPRPNG, FPRPlot, &v.FPRPNG, &v.FPRURI},
	} {
		p, err := pl.mk(res)
		if err != nil {
			return fmt.Errorf("write sweep: %w", err)
		}
		path := filepath.Join(dir, pl.name)
		if p == nil {
			// Do not leave a stale plot from an earlier sweep next to a
			// report that says it was skipped.
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("write sweep: %w", err)
			}
			continue
		}
		var buf bytes.Buffer
		if err := writePNG(&buf, p.Draw); err != nil {
			return fmt.Errorf("write sweep %s: %w", pl.name, err)
		}
		if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
			return fmt.Errorf("write sweep: %w", err)
		}
		*pl.png = pl.name
		*pl.uri = imgSrc(buf.Bytes())
	}
	if err := writeTemplate(filepath.Join(dir, "report.md"), func(w io.Writer) error { return sweepMD.Execute(w, v) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	v.CSS = htmltemplate.CSS(css)
	if err := writeTemplate(filepath.Join(dir, "report.html"), func(w io.Writer) error { return sweepHTML.Execute(w, v) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	return nil
}
