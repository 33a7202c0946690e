package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/guardsim/guardsim/compare"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// Comparison is what WriteComparison reports: several policies' runs on the
// same events.
type Comparison struct {
	// Events describes the events and how they were served (a line of the
	// report; not in compare.json, which depends only on the runs).
	Events string
	// Alerts says where the alerts went.
	Alerts string
	Runs   []compare.Run
}

// compareJSON is compare.json.
type compareJSON struct {
	Policies []compare.Summary `json:"policies"`
	Metrics  []string          `json:"metrics"`
}

type compareRow struct {
	Policy, Outcome, Detection, FirstVerdict, Ended, Where, NewContexts, Alerts, Note string
}

type compareAlert struct{ Policy, Time, Kind, Metric, Delivered string }

type compareChart struct {
	Metric, Path string
	Src          htmltemplate.URL
}

type compareView struct {
	Events, Alerts string
	Rows           []compareRow
	AlertRows      []compareAlert
	Charts         []compareChart
	CSS            htmltemplate.CSS
}

// WriteComparison writes into dir: compare.json, compare.md, compare.html,
// one small-multiples difference chart per metric in dir/charts/ (one
// panel per policy) and each policy's timeline in dir/timelines/.
func WriteComparison(dir string, c Comparison) error {
	if len(c.Runs) == 0 {
		return errors.New("write comparison: no runs")
	}
	var doc compareJSON
	var v compareView
	v.Events, v.Alerts = c.Events, c.Alerts
	for _, m := range c.Runs[0].Result.Policy.Metrics {
		doc.Metrics = append(doc.Metrics, m.Key)
	}
	if err := os.MkdirAll(filepath.Join(dir, "timelines"), 0o755); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	for _, r := range c.Runs {
		s := compare.Summarise(r)
		doc.Policies = append(doc.Policies, s)
		outcome := string(s.Status)
		if s.Reason != "" {
			outcome += " (" + string(s.Reason)
			if s.Metric != "" {
				outcome += " on " + s.Metric
			}
			outcome += ")"
		}
		row := compareRow{
			Policy: r.Label, Outcome: outcome, Detection: "–", FirstVerdict: "–",
			Ended: fmtDur(s.Elapsed), Where: fmt.Sprintf("step %d (%g%%)", s.Step, s.Percent),
			NewContexts: strconv.Itoa(s.NewContexts), Alerts: strconv.Itoa(len(s.Alerts)), Note: s.Note,
		}
		if s.Detection != nil {
			row.Detection = fmtDur(*s.Detection)
		}
		if s.FirstRegressionVerdict != nil {
			row.FirstVerdict = fmtDur(*s.FirstRegressionVerdict)
		}
		v.Rows = append(v.Rows, row)
		for _, a := range s.Alerts {
			d := "yes"
			if !a.Delivered {
				d = "no: " + a.Error
			}
			v.AlertRows = append(v.AlertRows, compareAlert{Policy: r.Label, Time: fmtDur(a.Alert.Time.Sub(r.Result.Start)), Kind: string(a.Alert.Kind), Metric: orDash(a.Alert.Metric), Delivered: d})
		}
		path := filepath.Join(dir, "timelines", SanitizeFileName(r.Label)+".csv")
		if err := atomicfile.Write(path, func(w io.Writer) error { return WriteTimelineCSV(w, r.Result) }); err != nil {
			return fmt.Errorf("write comparison: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ChartsDir), 0o755); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	for i, key := range doc.Metrics {
		var buf bytes.Buffer
		if err := smallMultiples(&buf, c.Runs, i); err != nil {
			return fmt.Errorf("write comparison chart %s: %w", key, err)
		}
		rel := filepath.ToSlash(filepath.Join(ChartsDir, SanitizeFileName(key)+".png"))
		if err := atomicfile.WriteFile(filepath.Join(dir, rel), buf.Bytes()); err != nil {
			return fmt.Errorf("write comparison chart %s: %w", key, err)
		}
		v.Charts = append(v.Charts, compareChart{Metric: key, Path: rel, Src: htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))})
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write compare.json: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "compare.json"), append(js, '\n')); err != nil {
		return err
	}
	if err := writeTemplate(filepath.Join(dir, "compare.md"), func(w io.Writer) error { return compareMD.Execute(w, v) }); err != nil {
		return err
	}
	v.CSS = htmltemplate.CSS(css)
	return writeTemplate(filepath.Join(dir, "compare.html"), func(w io.Writer) error { return compareHTML.Execute(w, v) })
}

// smallMultiples draws metric m's difference chart for every run, one
// panel each, in a grid of up to three columns.
func smallMultiples(w io.Writer, runs []compare.Run, m int) error {
	cols := min(len(runs), 3)
	rows := (len(runs) + cols - 1) / cols
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(cols)*ChartWidth, vg.Length(rows)*ChartHeight), vgimg.UseDPI(ChartDPI/2))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(4), PadY: vg.Points(4)}
	for i, r := range runs {
		ch, err := DifferenceChart(r.Result, m)
		if err != nil {
			return err
		}
		ch.Plot.Title.Text = r.Label + " — " + ch.Plot.Title.Text
		ch.Draw(tiles.At(dc, i%cols, i/cols))
	}
	_, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w)
	return err
}

var compareFuncs = texttemplate.FuncMap{"md": mdCell}

var compareMD = texttemplate.Must(texttemplate.New("compare.md").Funcs(compareFuncs).Parse(strings.TrimLeft(`
# Policy comparison

Events: {{md .Events}}

Alerts: {{md .Alerts}}

| policy | outcome | detected at | first regression verdict | ended at | where | new-variation contexts | alerts |
|---|---|---|---|---|---|---|---|
{{range .Rows}}| {{md .Policy}} | {{md .Outcome}} | {{.Detection}} | {{.FirstVerdict}} | {{.Ended}} | {{.Where}} | {{.NewContexts}} | {{.Alerts}} |
{{end}}
Times are from the rollout's start. "New-variation contexts" are the distinct
contexts exposed to the new variation (and analysed) before the rollout
ended: the exposure cost of a late or missed detection.

## Last decision per policy

{{range .Rows}}- **{{md .Policy}}**: {{md .Note}}
{{end}}
## PagerDuty alert timeline

{{if .AlertRows}}| policy | time | alert | metric | delivered |
|---|---|---|---|---|
{{range .AlertRows}}| {{md .Policy}} | {{.Time}} | {{.Kind}} | {{md .Metric}} | {{md .Delivered}} |
{{end}}{{else}}No policy sent an alert.
{{end}}
## Difference charts (one panel per policy)

{{range .Charts}}### {{md .Metric}}

![{{md .Metric}}]({{.Path}})

{{end}}`, "\n")))

var compareHTML = htmltemplate.Must(htmltemplate.New("compare.html").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>guardsim policy comparison</title>
<style>{{.CSS}}</style></head><body>
<h1>Policy comparison</h1>
<p>Events: {{.Events}}</p>
<p>Alerts: {{.Alerts}}</p>
<table><thead><tr><th>policy</th><th>outcome</th><th>detected at</th><th>first regression verdict</th><th>ended at</th><th>where</th><th>new-variation contexts</th><th>alerts</th></tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Policy}}</td><td>{{.Outcome}}</td><td>{{.Detection}}</td><td>{{.FirstVerdict}}</td><td>{{.Ended}}</td><td>{{.Where}}</td><td>{{.NewContexts}}</td><td>{{.Alerts}}</td></tr>
{{end}}</tbody></table>
<p>Times are from the rollout's start. New-variation contexts are the distinct contexts exposed to the new variation (and analysed) before the rollout ended.</p>
<h2>Last decision per policy</h2><ul>
{{range .Rows}}<li><b>{{.Policy}}</b>: {{.Note}}</li>
{{end}}</ul>
<h2>PagerDuty alert timeline</h2>
{{if .AlertRows}}<table><thead><tr><th>policy</th><th>time</th><th>alert</th><th>metric</th><th>delivered</th></tr></thead><tbody>
{{range .AlertRows}}<tr><td>{{.Policy}}</td><td>{{.Time}}</td><td>{{.Kind}}</td><td>{{.Metric}}</td><td>{{.Delivered}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No policy sent an alert.</p>{{end}}
<h2>Difference charts (one panel per policy)</h2>
{{range .Charts}}<h3>{{.Metric}}</h3><img alt="{{.Metric}}" src="{{.Src}}" style="max-width:100%">
{{end}}</body></html>
`))
