package reports

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	texttemplate "text/template"

	"gonum.org/v1/plot"

	"github.com/guardsim/guardsim/internal/atomicfile"
	"github.com/guardsim/guardsim/sim/sweep"
)

type rateCell struct{ Rate, CI string }

type fprRow struct {
	Policy, Alpha, Reps, Detections, Rate, CI, Bound, Verdict string
	Bad                                                       bool
}

type powerRow struct {
	Policy string
	Cells  []rateCell
}

type detectRow struct {
	Policy, Effect, Reps, Detections, Rate, Median, P90, NewContexts, SRM, Insufficient, Completed string
}

type sweepView struct {
	Title    string
	Info     []kv
	FPR      []fprRow
	Effects  []string
	Power    []powerRow
	Detect   []detectRow
	Notes    []string
	PowerPNG string
	FPRPNG   string
	PowerURI htmltemplate.HTMLAttr
	FPRURI   htmltemplate.HTMLAttr
	// FrontierPNG and FrontierURI: the exposure-cost frontier (sweep_frontier.go).
	FrontierPNG  string
	FrontierURI  htmltemplate.HTMLAttr
	CSV, Parquet string
	CSS          htmltemplate.CSS

	// MetricFPR: each metric's false-rollback rate (sweep_family.go);
	// JSON: the sweep.json file.
	MetricFPR []metricFPRRow
	JSON      string
	// The interactive charts (sweep_interactive.go): whether each has a
	// line, the embedded data and the script.
	PowerChart, FPRChart bool
	Data                 htmltemplate.JS
	JS                   htmltemplate.JS
}

func fmtCI(lo, hi float64) string { return "[" + fmtRate(lo) + ", " + fmtRate(hi) + "]" }

func buildSweepView(res *sweep.Result) sweepView {
	v := sweepView{Title: "Sweep report", CSV: SweepCSV, Parquet: SweepParquet, JSON: SweepJSON}
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
			Rate: fmtRate(c.Rate), CI: fmtCI(c.RateLo, c.RateHi), Bound: boundText(c)}
		bound := c.FamilyBound
		if !(bound > 0) {
			bound = c.Alpha
		}
		r.Verdict, r.Bad = rateVerdict(c.RateLo, c.RateHi, bound, familyName(c))
		v.FPR = append(v.FPR, r)
	}
	v.MetricFPR = metricFPRRows(res)
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
			SRM: shareText(c.SRMShare, c.SRMShareLo, c.SRMShareHi), Insufficient: shareText(c.InsufficientShare, c.InsufficientShareLo, c.InsufficientShareHi),
			Completed: shareText(c.CompletedShare, c.CompletedShareLo, c.CompletedShareHi),
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
Data: [{{.CSV}}]({{.CSV}}), [{{.Parquet}}]({{.Parquet}}), [{{.JSON}}]({{.JSON}}).
{{range .Notes}}
> {{.}}
{{end}}{{if .FPR}}
## False-positive rate (effect 0)

Rollouts rolled back (or halted) for a regression on any metric, against the family bound: M·α for M metrics each tested at α, or overall_alpha when it is set (Bonferroni).

| Policy | Alpha | Reps | False positives | Rate | Wilson 95% CI | Family bound | Verdict |
|---|---:|---:|---:|---:|---|---|---|
{{range .FPR}}| {{cell .Policy}} | {{.Alpha}} | {{.Reps}} | {{.Detections}} | {{.Rate}} | {{.CI}} | {{.Bound}} | {{if .Bad}}**{{.Verdict}}**{{else}}{{.Verdict}}{{end}} |
{{end}}{{if .MetricFPR}}
Per metric: the rollouts in which the metric flagged the regression that ended them, against α (several metrics can flag one rollout).

| Policy | Alpha | Metric | False positives | Rate | Wilson 95% CI | Verdict |
|---|---:|---|---:|---:|---|---|
{{range .MetricFPR}}| {{cell .Policy}} | {{.Alpha}} | {{cell .Metric}} | {{.Detections}} | {{.Rate}} | {{.CI}} | {{if .Bad}}**{{.Verdict}}**{{else}}{{.Verdict}}{{end}} |
{{end}}{{end}}{{if .FPRPNG}}
![false-positive rate vs alpha]({{.FPRPNG}})
{{end}}{{end}}{{if .Power}}
## Power (detection rate) by effect

| Policy |{{range .Effects}} effect {{.}} |{{end}}
|---|{{range .Effects}}---:|{{end}}
{{range .Power}}| {{cell .Policy}} |{{range .Cells}} {{.Rate}}{{if .CI}} {{.CI}}{{end}} |{{end}}
{{end}}{{if .PowerPNG}}
![power vs effect]({{.PowerPNG}})
{{end}}{{end}}{{if .FrontierPNG}}
## Exposure-cost frontier

One point per policy and effect: x is the policy's false-rollback rate (its effect-0 cell), y the median number of contexts exposed to the regressing variation by the end of the rollout. Down and left is better.

![exposure-cost frontier]({{.FrontierPNG}})
{{end}}
## Time to detection and how rollouts ended

Times are hours from the effect's onset (the rollout's start for effect 0) over detected rollouts; new contexts is the mean number of contexts served the new variation before rollback; shares carry their Wilson 95% intervals.

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
<p class="note">Data: <a href="{{.CSV}}">{{.CSV}}</a>, <a href="{{.Parquet}}">{{.Parquet}}</a>, <a href="{{.JSON}}">{{.JSON}}</a> (next to this report).</p>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{if .FPR}}
<h2>False-positive rate (effect 0)</h2>
<p class="note">Rollouts rolled back (or halted) for a regression on any metric, against the family bound: M·α for M metrics each tested at α, or overall_alpha when it is set (Bonferroni).</p>
<table>
<tr><th>Policy</th><th>Alpha</th><th>Reps</th><th>False positives</th><th>Rate</th><th>Wilson 95% CI</th><th>Family bound</th><th>Verdict</th></tr>
{{range .FPR}}<tr{{if .Bad}} class="alert"{{end}}><td>{{.Policy}}</td><td class="num">{{.Alpha}}</td><td class="num">{{.Reps}}</td><td class="num">{{.Detections}}</td><td class="num">{{.Rate}}</td><td>{{.CI}}</td><td>{{.Bound}}</td><td{{if .Bad}} class="bad"{{end}}>{{.Verdict}}</td></tr>
{{end}}</table>
{{if .MetricFPR}}<p class="note">Per metric: the rollouts in which the metric flagged the regression that ended them, against α (several metrics can flag one rollout).</p>
<table>
<tr><th>Policy</th><th>Alpha</th><th>Metric</th><th>False positives</th><th>Rate</th><th>Wilson 95% CI</th><th>Verdict</th></tr>
{{range .MetricFPR}}<tr{{if .Bad}} class="alert"{{end}}><td>{{.Policy}}</td><td class="num">{{.Alpha}}</td><td>{{.Metric}}</td><td class="num">{{.Detections}}</td><td class="num">{{.Rate}}</td><td>{{.CI}}</td><td{{if .Bad}} class="bad"{{end}}>{{.Verdict}}</td></tr>
{{end}}</table>
{{end}}
{{if .FPRChart}}<div class="ichart" data-chart="fpr"><div class="legend"></div><svg viewBox="0 0 800 300" role="img" aria-label="false-positive rate against alpha with Wilson 95% bands and the line rate = alpha"></svg><div class="tip" hidden></div></div>
<p class="note">Hover the chart for each line's rate, Wilson 95% interval and detections at that alpha.</p>{{end}}
{{if .FPRURI}}<details><summary>Static chart (PNG)</summary><figure><img {{.FPRURI}} width="1080" alt="false-positive rate vs alpha"></figure></details>{{end}}
{{end}}{{if .Power}}
<h2>Power (detection rate) by effect</h2>
<table>
<tr><th>Policy</th>{{range .Effects}}<th>effect {{.}}</th>{{end}}</tr>
{{range .Power}}<tr><td>{{.Policy}}</td>{{range .Cells}}<td class="num">{{.Rate}}{{if .CI}} {{.CI}}{{end}}</td>{{end}}</tr>
{{end}}</table>
{{if .PowerChart}}<div class="ichart" data-chart="power"><div class="legend"></div><svg viewBox="0 0 800 300" role="img" aria-label="power curves: detection rate against effect per policy with Wilson 95% bands"></svg><div class="tip" hidden></div></div>
<p class="note">Hover a power curve for each policy's detection rate, Wilson 95% interval, detections and median time to detection at that effect.</p>{{end}}
{{if .PowerURI}}<details><summary>Static chart (PNG)</summary><figure><img {{.PowerURI}} width="1080" alt="power vs effect"></figure></details>{{end}}
{{if .FrontierURI}}<h2>Exposure-cost frontier</h2><p class="note">One point per policy and effect: x is the policy's false-rollback rate (its effect-0 cell), y the median number of contexts exposed to the regressing variation by the end of the rollout. Down and left is better.</p><figure><img {{.FrontierURI}} width="1080" alt="exposure-cost frontier"></figure>{{end}}
{{end}}
<h2>Time to detection and how rollouts ended</h2>
<p class="note">Times are hours from the effect's onset (the rollout's start for effect 0) over detected rollouts; new contexts is the mean number of contexts served the new variation before rollback; shares carry their Wilson 95% intervals.</p>
<table>
<tr><th>Policy</th><th>Effect</th><th>Reps</th><th>Detections</th><th>Rate</th><th>Median (h)</th><th>P90 (h)</th><th>New contexts</th><th>SRM</th><th>Insufficient</th><th>Completed</th></tr>
{{range .Detect}}<tr><td>{{.Policy}}</td><td class="num">{{.Effect}}</td><td class="num">{{.Reps}}</td><td class="num">{{.Detections}}</td><td class="num">{{.Rate}}</td><td class="num">{{.Median}}</td><td class="num">{{.P90}}</td><td class="num">{{.NewContexts}}</td><td class="num">{{.SRM}}</td><td class="num">{{.Insufficient}}</td><td class="num">{{.Completed}}</td></tr>
{{end}}</table>
<script type="application/json" id="guardsim-sweep">{{.Data}}</script>
<script>{{.JS}}</script>
</body>
</html>
`))

// WriteSweep writes the sweep outputs into dir: sweep.csv, sweep.parquet,
// sweep.json,
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
	if err := atomicfile.Write(filepath.Join(dir, SweepJSON), func(w io.Writer) error { return EncodeSweepJSON(w, res) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	v := buildSweepView(res)
	plots := []struct {
		name string
		mk   func(*sweep.Result) (*plot.Plot, error)
		png  *string
		uri  *htmltemplate.HTMLAttr
	}{
		{PowerPNG, PowerPlot, &v.PowerPNG, &v.PowerURI},
		{FPRPNG, FPRPlot, &v.FPRPNG, &v.FPRURI},
		{FrontierPNG, FrontierPlot, &v.FrontierPNG, &v.FrontierURI},
	}
	// The plots are made and encoded concurrently (they are independent,
	// and drawing them is most of what a sweep spends after its
	// rollouts), then written in order.
	type drawn struct {
		png []byte // nil: the grid does not support the plot
		err error
	}
	out := make([]drawn, len(plots))
	var wg sync.WaitGroup
	for i, pl := range plots {
		wg.Go(func() {
			p, err := pl.mk(res)
			if err != nil || p == nil {
				out[i] = drawn{err: err}
				return
			}
			var buf bytes.Buffer
			if err := writePNG(&buf, p.Draw); err != nil {
				out[i] = drawn{err: fmt.Errorf("%s: %w", pl.name, err)}
				return
			}
			out[i] = drawn{png: buf.Bytes()}
		})
	}
	wg.Wait()
	for i, pl := range plots {
		if err := out[i].err; err != nil {
			return fmt.Errorf("write sweep: %w", err)
		}
		path := filepath.Join(dir, pl.name)
		if out[i].png == nil {
			// Do not leave a stale plot from an earlier sweep next to a
			// report that says it was skipped.
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("write sweep: %w", err)
			}
			continue
		}
		if err := atomicfile.WriteFile(path, out[i].png); err != nil {
			return fmt.Errorf("write sweep: %w", err)
		}
		*pl.png = pl.name
		*pl.uri = imgSrc(out[i].png)
	}
	if err := writeTemplate(filepath.Join(dir, "report.md"), func(w io.Writer) error { return sweepMD.Execute(w, v) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	v.CSS = htmltemplate.CSS(css + sweepInteractiveCSS)
	switch data, err := sweepData(res); {
	case errors.Is(err, errNonFinite):
		v.Notes = append(v.Notes, "No interactive charts: "+err.Error()+" (see sweep.csv).")
		v.Data = "{}"
	case err != nil:
		return fmt.Errorf("write sweep: %w", err)
	default:
		v.Data, v.JS = data, htmltemplate.JS(sweepInteractiveJS)
		v.PowerChart, v.FPRChart = len(interactivePowerSeries(res)) > 0, len(interactiveFPRSeries(res)) > 0
	}
	if err := writeTemplate(filepath.Join(dir, "report.html"), func(w io.Writer) error { return sweepHTML.Execute(w, v) }); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	return nil
}
