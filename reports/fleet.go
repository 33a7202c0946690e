package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/guardsim/guardsim/internal/atomicfile"
	"github.com/guardsim/guardsim/sim/fleet"
)

// Fleet backtest output file names.
const (
	FleetCSV        = "fleet.csv"
	FleetSummaryCSV = "fleet-summary.csv"
	FleetJSON       = "fleet.json"
	FleetOutcomes   = "outcomes.png"
	FleetStopTimes  = "stop-times.png"
)

// fleetDecisionColumns are the per-policy columns of fleet.csv.
var fleetDecisionColumns = []string{"status", "reason", "metric", "stopped_h", "percent", "new_contexts", "alerts"}

// hoursG formats a duration in hours, shortest round-trip form.
func hoursG(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'g', -1, 64)
}

// EncodeFleetCSV writes one row per rollout: id, label, error, then each
// policy's decision columns prefixed by the policy name.
func EncodeFleetCSV(w io.Writer, rep *fleet.Report) error {
	cw := csv.NewWriter(w)
	head := []string{"id", "label", "error"}
	for _, p := range rep.Policies {
		for _, c := range fleetDecisionColumns {
			head = append(head, p+"."+c)
		}
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("encode fleet csv: %w", err)
	}
	for _, r := range rep.Rows {
		rec := []string{r.ID, string(r.Label), r.Err}
		for i := range rep.Policies {
			if i >= len(r.Decisions) {
				rec = append(rec, make([]string, len(fleetDecisionColumns))...)
				continue
			}
			d := r.Decisions[i]
			rec = append(rec, string(d.Status), string(d.Reason), d.Metric, hoursG(d.Elapsed),
				strconv.FormatFloat(d.Percent, 'g', -1, 64), strconv.Itoa(d.NewContexts), strconv.Itoa(d.Alerts))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("encode fleet csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("encode fleet csv: %w", err)
	}
	return nil
}

// EncodeFleetSummaryCSV writes one row per policy with its fleet totals.
func EncodeFleetSummaryCSV(w io.Writer, rep *fleet.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"policy", "changes", "replayed", "rolled_back", "halted", "detections",
		"labelled_regressions", "missed_regressions", "labelled_good", "false_rollbacks",
		"gain_pairs", "median_gain_h", "contexts_exposed", "alerts"}); err != nil {
		return fmt.Errorf("encode fleet summary: %w", err)
	}
	for _, s := range rep.Summaries {
		it := strconv.Itoa
		if err := cw.Write([]string{s.Policy, strings.Join(s.Changes, " "), it(s.Replayed), it(s.RolledBack), it(s.Halted), it(s.Detections),
			it(s.LabelledRegressions), it(s.Missed), it(s.LabelledGood), it(s.FalseRollbacks),
			it(s.GainPairs), hoursG(s.MedianGain), strconv.FormatInt(s.ContextsExposed, 10), it(s.Alerts)}); err != nil {
			return fmt.Errorf("encode fleet summary: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("encode fleet summary: %w", err)
	}
	return nil
}

// FleetOutcomesPlot is a grouped bar chart: per policy, rollbacks, missed
// labelled regressions and false rollbacks of labelled-good rollouts.
func FleetOutcomesPlot(rep *fleet.Report) (*plot.Plot, error) {
	p := newPlot()
	p.Title.Text = "Fleet backtest: decisions by policy"
	p.Y.Label.Text = "rollouts"
	groups := []struct {
		label string
		val   func(fleet.Summary) float64
	}{
		{"rolled back", func(s fleet.Summary) float64 { return float64(s.RolledBack) }},
		{"missed regressions", func(s fleet.Summary) float64 { return float64(s.Missed) }},
		{"false rollbacks", func(s fleet.Summary) float64 { return float64(s.FalseRollbacks) }},
	}
	w := vg.Points(22)
	for gi, g := range groups {
		vals := make(plotter.Values, len(rep.Summaries))
		for i, s := range rep.Summaries {
			vals[i] = g.val(s)
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("fleet outcomes plot: %w", err)
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(gi)
		bars.Offset = vg.Length(gi-1) * w
		p.Add(bars)
		p.Legend.Add(g.label, bars)
	}
	top := 1.0
	for _, s := range rep.Summaries {
		top = max(top, float64(s.RolledBack), float64(s.Missed), float64(s.FalseRollbacks))
	}
	p.Y.Min, p.Y.Max = 0, top*1.3 // room for the legend
	p.X.Min, p.X.Max = -0.6, float64(len(rep.Policies))-0.4
	p.Legend.Top = true
	p.NominalX(rep.Policies...)
	return p, nil
}

// FleetStopTimesPlot plots, for each candidate policy, the time to stop of
// every rollout stopped under both it and the recorded policy (recorded on
// x, candidate on y; below the diagonal is sooner). Nil when there is no
// such pair.
func FleetStopTimesPlot(rep *fleet.Report) (*plot.Plot, error) {
	if len(rep.Policies) < 2 {
		return nil, nil
	}
	p := newPlot()
	p.Title.Text = "Time to stop: candidate vs recorded policy"
	p.X.Label.Text = "recorded policy (h)"
	p.Y.Label.Text = "candidate (h)"
	maxH, any := 0.0, false
	for i := 1; i < len(rep.Policies); i++ {
		var pts plotter.XYs
		for _, r := range rep.Rows {
			if r.Err != "" || len(r.Decisions) != len(rep.Policies) {
				continue
			}
			rec, d := r.Decisions[0], r.Decisions[i]
			if rec.Stopped() && d.Stopped() {
				pts = append(pts, plotter.XY{X: rec.Elapsed.Hours(), Y: d.Elapsed.Hours()})
				maxH = max(maxH, rec.Elapsed.Hours(), d.Elapsed.Hours())
			}
		}
		if len(pts) == 0 {
			continue
		}
		any = true
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("fleet stop-times plot: %w", err)
		}
		sc.GlyphStyle.Color = plotutil.Color(i - 1)
		sc.GlyphStyle.Shape = plotutil.Shape(i - 1)
		sc.GlyphStyle.Radius = vg.Points(3)
		p.Add(sc)
		p.Legend.Add(rep.Policies[i], sc)
	}
	if !any {
		return nil, nil
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: maxH, Y: maxH}})
	if err != nil {
		return nil, fmt.Errorf("fleet stop-times plot: %w", err)
	}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(diag)
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}

type fleetView struct {
	Policies  []string
	Summaries []fleetSummaryView
	Rows      []fleetRowView
	Failed    []fleet.Row
	Plots     []string
	Skipped   []string
}

type fleetSummaryView struct {
	fleet.Summary
	Changes, Gain string
}

type fleetRowView struct {
	ID, Label string
	Cells     []string
}

func decisionText(d fleet.Decision) string {
	s := string(d.Status)
	if d.Reason != "" {
		s += " (" + string(d.Reason)
		if d.Metric != "" {
			s += " " + d.Metric
		}
		s += ")"
	}
	return fmt.Sprintf("%s at %sh, %g%%", s, hoursG(d.Elapsed), d.Percent)
}

func buildFleetView(rep *fleet.Report) fleetView {
	v := fleetView{Policies: rep.Policies}
	for i, s := range rep.Summaries {
		sv := fleetSummaryView{Summary: s, Changes: orDash(strings.Join(s.Changes, " ")), Gain: "—"}
		if i > 0 && s.GainPairs > 0 {
			sv.Gain = hoursG(s.MedianGain) + " h over " + strconv.Itoa(s.GainPairs)
		}
		v.Summaries = append(v.Summaries, sv)
	}
	for _, r := range rep.Rows {
		if r.Err != "" {
			v.Failed = append(v.Failed, r)
			continue
		}
		rv := fleetRowView{ID: r.ID, Label: orDash(string(r.Label))}
		for _, d := range r.Decisions {
			rv.Cells = append(rv.Cells, decisionText(d))
		}
		v.Rows = append(v.Rows, rv)
	}
	return v
}

var fleetMD = texttemplate.Must(texttemplate.New("fleet").Funcs(texttemplate.FuncMap{"cell": mdCell}).Parse(`# Fleet backtest

{{len .Rows}} rollouts replayed under {{len .Policies}} policies{{if .Failed}}; {{len .Failed}} could not be backtested (below){{end}}.
Stopped means rolled back or halted, for any reason. A missed regression is a
rollout labelled "regression" that was not stopped; a false rollback is a
rollout labelled "good" that was. The gain is the median (nearest rank), over
rollouts stopped under both, of the recorded policy's time to stop minus the
candidate's: positive is sooner. Alerts are recorded in process, never sent.

Replays see only the recorded events: where the recorded rollout stopped, so
do its events, and a policy that would have gone on runs short of data.

## Summary

| policy | changes | replayed | rolled back | halted | detections | labelled regressions | missed | labelled good | false rollbacks | median gain | contexts exposed | alerts |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{{range .Summaries}}| {{cell .Policy}} | {{cell .Changes}} | {{.Replayed}} | {{.RolledBack}} | {{.Halted}} | {{.Detections}} | {{.LabelledRegressions}} | {{.Missed}} | {{.LabelledGood}} | {{.FalseRollbacks}} | {{.Gain}} | {{.ContextsExposed}} | {{.Alerts}} |
{{end}}
{{range .Plots}}![{{.}}]({{.}})
{{end}}{{range .Skipped}}{{.}}
{{end}}
## Decisions by rollout

| rollout | label |{{range .Policies}} {{cell .}} |{{end}}
|---|---|{{range .Policies}}---|{{end}}
{{range .Rows}}| {{cell .ID}} | {{.Label}} |{{range .Cells}} {{cell .}} |{{end}}
{{end}}{{if .Failed}}
## Rollouts not backtested

| rollout | error |
|---|---|
{{range .Failed}}| {{cell .ID}} | {{cell .Err}} |
{{end}}{{end}}`))

// WriteFleet writes a fleet backtest's outputs into dir: fleet.csv (the
// decisions side by side), fleet-summary.csv, fleet.json (the whole
// report), outcomes.png and stop-times.png (when there are pairs to plot)
// and report.md. Each file is written atomically; the output depends only
// on the report.
func WriteFleet(dir string, rep *fleet.Report) error {
	if rep == nil {
		return errors.New("write fleet: nil report")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write fleet: %w", err)
	}
	for _, f := range []struct {
		name string
		enc  func(io.Writer, *fleet.Report) error
	}{
		{FleetCSV, EncodeFleetCSV},
		{FleetSummaryCSV, EncodeFleetSummaryCSV},
		{FleetJSON, func(w io.Writer, r *fleet.Report) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			return enc.Encode(r)
		}},
	} {
		if err := atomicfile.Write(filepath.Join(dir, f.name), func(w io.Writer) error { return f.enc(w, rep) }); err != nil {
			return fmt.Errorf("write fleet: %w", err)
		}
	}
	v := buildFleetView(rep)
	for _, pl := range []struct {
		name string
		mk   func(*fleet.Report) (*plot.Plot, error)
		skip string
	}{
		{FleetOutcomes, FleetOutcomesPlot, ""},
		{FleetStopTimes, FleetStopTimesPlot, "No stop-times plot: no rollout was stopped under both the recorded policy and a candidate."},
	} {
		p, err := pl.mk(rep)
		if err != nil {
			return fmt.Errorf("write fleet: %w", err)
		}
		path := filepath.Join(dir, pl.name)
		if p == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("write fleet: %w", err)
			}
			v.Skipped = append(v.Skipped, pl.skip)
			continue
		}
		var buf bytes.Buffer
		if err := writePNG(&buf, p.Draw); err != nil {
			return fmt.Errorf("write fleet %s: %w", pl.name, err)
		}
		if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
			return fmt.Errorf("write fleet: %w", err)
		}
		v.Plots = append(v.Plots, pl.name)
	}
	if err := writeTemplate(filepath.Join(dir, "report.md"), func(w io.Writer) error { return fleetMD.Execute(w, v) }); err != nil {
		return fmt.Errorf("write fleet: %w", err)
	}
	return nil
}
