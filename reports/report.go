package reports

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// kv is a labelled value.
type kv struct{ Key, Value string }

type decisionView struct {
	Time, Elapsed, Step, Percent, Decision, Reason, Metric, Note string
	Alert                                                        bool
}

type stepView struct {
	Step, Percent, Start, End, Duration, Checks, NOriginal, NNew, NewInStep, Extended, LastDecision string
}

type stepMetricView struct {
	Step, Percent, Metric, MeanOriginal, MeanNew, Estimate, Interval, PValue, Status string
}

type metricView struct {
	Key, Direction, Estimate, Interval, PValue, Status, MeanOriginal, MeanNew, NOriginal, NNew, RegressedAt string
	Regressed                                                                                               bool
}

type alertView struct {
	Kind, Time, Subject, Summary, Status, Error string
	Failed                                      bool
}

type scheduleView struct{ Step, Percent, Control, Duration string }

type chartView struct {
	Metric string
	// Src is the relative path (markdown) to the chart.
	Src string
	// DataURI is the src attribute embedding the PNG (HTML).
	DataURI htmltemplate.HTMLAttr
}

type reportView struct {
	Title       string
	Flag        string
	Status      string
	Alert       bool
	Headline    string
	Outcome     []kv
	Decisions   []decisionView
	Steps       []stepView
	StepMetrics []stepMetricView
	Metrics     []metricView
	SRM         []kv
	SRMMismatch bool
	// SRMChart is the sample-ratio chart (SRMChartName among the charts).
	SRMChart   *chartView
	Alerts     []alertView
	Policy     []kv
	Schedule   []scheduleView
	PolicyMets []kv
	Counters   []kv
	Charts     []chartView
	Replay     []kv
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func buildReportView(dir string, res *engine.Result, charts []string) (reportView, error) {
	pol, out := res.Policy, res.Outcome
	v := reportView{
		Title: "Guarded rollout report",
		Flag:  strings.Join([]string{orDash(pol.ProjectKey), orDash(pol.EnvironmentKey), orDash(pol.FlagKey)}, " / "),
	}
	v.Status = string(out.Status)
	v.Alert = out.Status == engine.StatusRolledBack || out.Status == engine.StatusHalted
	switch out.Status {
	case engine.StatusRolledBack:
		v.Headline = "Rolled back"
	case engine.StatusHalted:
		v.Headline = "Halted"
	case engine.StatusCompleted:
		v.Headline = "Completed: rolled forward to 100%"
	case engine.StatusRunning:
		v.Headline = "Running"
	default:
		v.Headline = orDash(string(out.Status))
	}
	if out.Reason != "" {
		v.Headline += " — " + string(out.Reason)
		if out.Metric != "" {
			v.Headline += " on " + out.Metric
		}
	}
	v.Outcome = []kv{
		{"Status", orDash(string(out.Status))},
		{"Reason", orDash(string(out.Reason))},
		{"Metric", orDash(out.Metric)},
		{"Started", fmtTime(res.Start)},
		{"Ended", fmtTime(out.Time)},
		{"Duration", fmtDur(out.Elapsed)},
		{"Step", stepText(out.Step, len(pol.Steps), out.Percent)},
		{"Contexts exposed to the new variation", fmtInt(out.NewContexts)},
		{"Bucketing seed", strconv.FormatInt(out.Seed, 10)},
	}

	// Decisions: first, last, every check that is not "continue", and the
	// checks where a health check starts failing (they carry a note).
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if c.Decision == engine.DecisionContinue && i != 0 && i != len(res.Timeline)-1 && (len(c.Health) == 0 || c.Note == "") {
			continue
		}
		v.Decisions = append(v.Decisions, decisionView{
			Time: fmtTime(c.Time), Elapsed: fmtDur(c.Elapsed), Step: strconv.Itoa(c.Step), Percent: fmtPct(c.Percent),
			Decision: string(c.Decision), Reason: orDash(string(c.Reason)), Metric: orDash(c.Metric), Note: orDash(c.Note),
			Alert: c.Decision == engine.DecisionRollback || c.Decision == engine.DecisionHalt,
		})
	}

	for _, r := range StepTable(res) {
		ext := "no"
		if r.Extended {
			ext = "yes"
		}
		v.Steps = append(v.Steps, stepView{
			Step: strconv.Itoa(r.Step), Percent: fmtPct(r.Percent), Start: fmtTime(r.Start), End: fmtTime(r.End),
			Duration: fmtDur(r.EndElapsed - r.StartElapsed), Checks: strconv.Itoa(r.Checks),
			NOriginal: fmtInt(r.Contexts[engine.Original]), NNew: fmtInt(r.Contexts[engine.New]),
			NewInStep: fmtInt(r.StepNewContexts), Extended: ext, LastDecision: string(r.LastDecision),
		})
		for _, m := range r.Metrics {
			sm := stepMetricView{Step: strconv.Itoa(r.Step), Percent: fmtPct(r.Percent), Metric: m.Key,
				MeanOriginal: meanN(m.Original), MeanNew: meanN(m.New), Estimate: "—", Interval: "—", PValue: "—", Status: "not ready"}
			if m.Ready {
				sm.Estimate, sm.Interval, sm.PValue, sm.Status = fmtSigned(m.Estimate), fmtInterval(m.Lower, m.Upper), fmtNum(m.PValue), "ok"
				if m.Regressed {
					sm.Status = "regressed"
				}
			}
			v.StepMetrics = append(v.StepMetrics, sm)
		}
	}

	for _, ms := range BuildSummary(res).Metrics {
		mv := metricView{Key: ms.Key, Direction: strings.ReplaceAll(ms.Direction, "_", " "), Estimate: "—", Interval: "—", PValue: "—", Status: "not ready",
			MeanOriginal: fmtNum(ms.Original.Mean), MeanNew: fmtNum(ms.New.Mean), NOriginal: fmtInt(ms.Original.N), NNew: fmtInt(ms.New.N), RegressedAt: "—"}
		if ms.Ready {
			mv.Estimate, mv.Interval, mv.PValue, mv.Status = fmtSigned(ms.Estimate), fmtInterval(ms.Lower, ms.Upper), fmtNum(ms.PValue), "no regression"
		}
		if ms.RegressedAt != nil {
			mv.Status, mv.Regressed, mv.RegressedAt = "regressed", true, fmtDur(*ms.RegressedAt)
		}
		v.Metrics = append(v.Metrics, mv)
	}

	if n := len(res.Timeline); n > 0 {
		s := res.Timeline[n-1].SRM
		mis := "no"
		if s.Mismatch {
			mis = "yes"
		}
		v.SRMMismatch = s.Mismatch
		v.SRM = []kv{
			{"Sequential p-value", fmtNum(s.PValue)},
			{"SRM alpha", fmtNum(pol.SRMAlpha)},
			{"Log Bayes factor", fmtNum(s.LogBF)},
			{"χ² (1 df)", fmtNum(s.ChiSquare)},
			{"χ² p-value", fmtNum(s.ChiSquareP)},
			{"Mismatch", mis},
			{"Contexts (original / new)", fmtInt(res.Timeline[n-1].Contexts[engine.Original]) + " / " + fmtInt(res.Timeline[n-1].Contexts[engine.New])},
		}
	}

	for _, a := range out.Alerts {
		av := alertView{Kind: string(a.Alert.Kind), Time: fmtTime(a.Alert.Time), Summary: orDash(a.Alert.Summary), Status: "delivered", Error: "—"}
		switch {
		case a.Alert.Metric != "":
			av.Subject = a.Alert.Metric
		case a.Alert.Reason != "":
			av.Subject = string(a.Alert.Reason)
		default:
			av.Subject = "—"
		}
		if !a.Delivered {
			av.Status, av.Failed = "failed", true
			av.Error = orDash(a.Error)
		}
		v.Alerts = append(v.Alerts, av)
	}

	ext := "the step's own duration"
	if pol.Extension > 0 {
		ext = fmtDur(pol.Extension)
	}
	alpha := fmtNum(pol.Alpha)
	if pol.OverallAlpha > 0 {
		alpha = fmt.Sprintf("%s overall (Bonferroni: %s per metric)", fmtNum(pol.OverallAlpha), fmtNum(pol.MetricAlpha()))
	}
	v.Policy = []kv{
		{"Flag", v.Flag},
		{"Context kind", orDash(pol.ContextKind)},
		{"Schedule", scheduleText(pol)},
		{"Alpha (one-sided, per metric)", alpha},
		{"N* (confidence-sequence tuning)", fmtNum(pol.NStar)},
		{"Min contexts per step (new variation)", minCtx(pol.MinContexts)},
		{"Min contexts per arm before testing", fmtInt(pol.MinPerArm)},
		{"Extension", ext},
		{"On insufficient sample", pol.OnInsufficient.String()},
		{"Check interval", fmtDur(pol.CheckInterval)},
		{"SRM alpha / concentration", fmtNum(pol.SRMAlpha) + " / " + fmtNum(pol.SRMConcentration)},
		{"Rollback on SRM", yesNo(!pol.NoSRMRollback)},
		{"Seed", strconv.FormatInt(pol.Seed, 10)},
	}
	for i, s := range pol.Steps {
		v.Schedule = append(v.Schedule, scheduleView{Step: strconv.Itoa(i + 1), Percent: fmtPct(s.Percent), Control: fmtPct(s.Control()), Duration: fmtDur(s.Duration)})
	}
	for _, m := range pol.Metrics {
		desc := fmt.Sprintf("%s, %s", m.Kind, directionText(m.Direction))
		switch m.Kind {
		case engine.Numeric:
			desc = fmt.Sprintf("%s (%s), %s", m.Kind, m.Aggregation, directionText(m.Direction))
		case engine.Percentile:
			method := m.Method
			if method == "" {
				method = engine.MethodGrowthBook
			}
			desc = fmt.Sprintf("percentile p%s of the event values (%s; the mean columns show the arms' p%s, n counts values), %s",
				fmtNum(100*m.Quantile), method, fmtNum(100*m.Quantile), directionText(m.Direction))
		case engine.Ratio:
			desc = fmt.Sprintf("ratio %s / %s summed per context (the mean columns show the arms' ratios), %s", m.Numerator, m.Denominator, directionText(m.Direction))
		}
		if m.Margin > 0 {
			if m.MarginRelative {
				desc += ", margin " + fmtNum(100*m.Margin) + "%"
			} else {
				desc += ", margin " + fmtNum(m.Margin)
			}
		}
		if m.NoAutoRollback {
			desc += ", halt instead of rollback"
		}
		if m.MinContexts > 0 {
			desc += ", min contexts " + fmtInt(m.MinContexts)
		}
		v.PolicyMets = append(v.PolicyMets, kv{m.Key, desc})
	}
	c := out.Counters
	v.Counters = []kv{
		{"Events", fmtInt(int(c.Events))}, {"Exposures", fmtInt(int(c.Exposures))}, {"Metric events", fmtInt(int(c.MetricEvents))},
		{"Unattributed metric events", fmtInt(int(c.Unattributed))}, {"Exposures outside the analysis", fmtInt(int(c.OutsideExposures))},
		{"Wrong context kind", fmtInt(int(c.WrongKind))}, {"Switched arm", fmtInt(int(c.Switched))},
		{"Metric events outside the analysis", fmtInt(int(c.OutsideMetrics))}, {"After the end", fmtInt(int(c.AfterEnd))},
	}

	for i, path := range charts {
		data, err := os.ReadFile(path)
		if err != nil {
			return v, fmt.Errorf("read chart: %w", err)
		}
		if filepath.Base(path) == SRMChartName {
			src := filepath.ToSlash(path)
			if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
				src = filepath.ToSlash(rel)
			}
			v.SRMChart = &chartView{Metric: "sample ratio", Src: src, DataURI: imgSrc(data)}
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if i < len(pol.Metrics) {
			// A difference chart's name is the key sanitised, maybe with a
			// suffix making it unique (WriteDifferenceCharts).
			if n := SanitizeFileName(pol.Metrics[i].Key); name == n || strings.HasPrefix(name, n+"-") {
				name = pol.Metrics[i].Key
			}
		}
		src := filepath.ToSlash(path)
		if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
			src = filepath.ToSlash(rel)
		}
		v.Charts = append(v.Charts, chartView{
			Metric:  name,
			Src:     src,
			DataURI: imgSrc(data),
		})
	}
	return v, nil
}

func stepText(step, n int, pct float64) string {
	if step > n {
		return "rolled forward (" + fmtPct(pct) + ")"
	}
	return fmt.Sprintf("%d of %d (%s)", step, n, fmtPct(pct))
}

// imgSrc is the src attribute embedding a PNG as a data URI. Base64 has no
// character that needs escaping inside a quoted attribute.
func imgSrc(png []byte) htmltemplate.HTMLAttr {
	return htmltemplate.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `"`)
}

func meanN(a engine.ArmStats) string {
	if a.N == 0 {
		return "—"
	}
	return fmtNum(a.Mean) + " (n=" + fmtInt(a.N) + ")"
}

func minCtx(n int) string {
	if n <= 0 {
		return "none"
	}
	return fmtInt(n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func scheduleText(p engine.Policy) string {
	parts := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		parts[i] = fmtPct(s.Percent) + " for " + fmtDur(s.Duration)
	}
	return strings.Join(parts, " → ") + " → 100%"
}

// mdCell escapes a markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

var mdFuncs = texttemplate.FuncMap{"cell": mdCell}

var reportMD = texttemplate.Must(texttemplate.New("report.md").Funcs(mdFuncs).Parse(`# {{.Title}}: {{.Flag}}

**{{.Headline}}**

## Outcome

| | |
|---|---|
{{range .Outcome}}| {{cell .Key}} | {{cell .Value}} |
{{end}}{{if .Replay}}
## Replay

| | |
|---|---|
{{range .Replay}}| {{cell .Key}} | {{cell .Value}} |
{{end}}{{end}}
## Metrics

| Metric | Direction | Estimate (new − original) | Interval | p-value | Status | First regressed at | Mean original | Mean new | n original | n new |
|---|---|---:|---|---:|---|---:|---:|---:|---:|---:|
{{range .Metrics}}| {{cell .Key}} | {{.Direction}} | {{.Estimate}} | {{.Interval}} | {{.PValue}} | {{.Status}} | {{.RegressedAt}} | {{.MeanOriginal}} | {{.MeanNew}} | {{.NOriginal}} | {{.NNew}} |
{{end}}{{if .Charts}}
{{range .Charts}}![{{.Metric}}]({{.Src}})

{{end}}{{end}}
## Timeline of decisions

| Time | Since start | Step | Percent | Decision | Reason | Metric | Note |
|---|---:|---:|---:|---|---|---|---|
{{range .Decisions}}| {{.Time}} | {{.Elapsed}} | {{.Step}} | {{.Percent}} | {{if .Alert}}**{{.Decision}}**{{else}}{{.Decision}}{{end}} | {{cell .Reason}} | {{cell .Metric}} | {{cell .Note}} |
{{end}}
## Steps

| Step | Percent | Start | End | Duration | Checks | n original | n new | New contexts in step | Extended | Last decision |
|---:|---:|---|---|---:|---:|---:|---:|---:|---|---|
{{range .Steps}}| {{.Step}} | {{.Percent}} | {{.Start}} | {{.End}} | {{.Duration}} | {{.Checks}} | {{.NOriginal}} | {{.NNew}} | {{.NewInStep}} | {{.Extended}} | {{.LastDecision}} |
{{end}}
### Metrics at the end of each step

| Step | Percent | Metric | Mean original | Mean new | Estimate | Interval | p-value | Status |
|---:|---:|---|---:|---:|---:|---|---:|---|
{{range .StepMetrics}}| {{.Step}} | {{.Percent}} | {{cell .Metric}} | {{.MeanOriginal}} | {{.MeanNew}} | {{.Estimate}} | {{.Interval}} | {{.PValue}} | {{.Status}} |
{{end}}
## Sample ratio mismatch

{{if .SRM}}| | |
|---|---|
{{range .SRM}}| {{.Key}} | {{.Value}} |
{{end}}{{else}}No checks were recorded.
{{end}}{{with .SRMChart}}
![sample ratio]({{.Src}})
{{end}}
## Alerts

{{if .Alerts}}| Kind | Time | Subject | Summary | Status | Error |
|---|---|---|---|---|---|
{{range .Alerts}}| {{.Kind}} | {{.Time}} | {{cell .Subject}} | {{cell .Summary}} | {{if .Failed}}**failed**{{else}}delivered{{end}} | {{cell .Error}} |
{{end}}{{else}}No alerts were sent.
{{end}}
## Policy

| | |
|---|---|
{{range .Policy}}| {{cell .Key}} | {{cell .Value}} |
{{end}}
| Step | Percent | Control | Duration |
|---:|---:|---:|---:|
{{range .Schedule}}| {{.Step}} | {{.Percent}} | {{.Control}} | {{.Duration}} |
{{end}}
| Metric | Definition |
|---|---|
{{range .PolicyMets}}| {{cell .Key}} | {{cell .Value}} |
{{end}}
## Event counters

| | |
|---|---|
{{range .Counters}}| {{.Key}} | {{.Value}} |
{{end}}`))

// css is the report's style sheet, shared with the sweep report.
const css = `
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2330;max-width:1140px;margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #e3e5e8;padding-bottom:.2em}h3{font-size:1.05em}
.sub{color:#5b6270;margin-top:0}
.banner{padding:.7em 1em;border-radius:6px;font-weight:600;margin:1em 0;background:#e8f3ea;color:#1e5b2c;border:1px solid #b9dcc1}
.banner.alert{background:#fbeaea;color:#8f1d1a;border-color:#efbdbb}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #e3e5e8;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f6f8;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.alert td{background:#fdf1f1}
.bad{color:#b3261e;font-weight:600}
img{max-width:100%;height:auto;border:1px solid #e3e5e8;border-radius:4px;margin:.4em 0}
figure{margin:0 0 1em}figcaption{color:#5b6270;font-size:.85em}
.note{color:#5b6270;font-style:italic}
`

var reportHTML = htmltemplate.Must(htmltemplate.New("report.html").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}: {{.Flag}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="sub">{{.Flag}}</p>
<div class="banner{{if .Alert}} alert{{end}}">{{.Headline}}</div>

<h2>Outcome</h2>
<table>
{{range .Outcome}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{if .Replay}}
<h2>Replay</h2>
<table class="replay">
{{range .Replay}}<tr><th>{{.Key}}</th><td{{if eq .Key "Caveat"}} class="bad"{{end}}>{{.Value}}</td></tr>
{{end}}</table>
{{end}}

<h2>Metrics</h2>
<div class="tiles">
{{range .Tiles}}<section class="tile{{if .Regressed}} alert{{end}}" data-index="{{.Index}}" data-metric="{{.Key}}" data-ylo="{{.YLo}}" data-yhi="{{.YHi}}">
<header><h3>{{.Key}}</h3><div><span class="est">{{.Estimate}}</span> <span class="iv">{{.Interval}}</span></div></header>
<div class="chart"><svg viewBox="0 0 400 220" role="img" aria-label="difference new − original for {{.Key}} with its anytime-valid interval"></svg><div class="tip" hidden></div></div>
<footer><span>original: {{.MeanOriginal}} (n={{.NOriginal}})</span><span>new: {{.MeanNew}} (n={{.NNew}})</span><span{{if .Regressed}} class="bad"{{end}}>{{.Status}}</span></footer>
</section>
{{end}}</div>
<p class="note">Each tile shows the observed difference new − original at each check with its shaded anytime-valid interval; hover a chart for both variations' means, the interval and the contexts served at the nearest check.</p>
<div class="tablewrap">
<table class="metrics">
<tr><th>Metric</th><th>Direction</th><th>Estimate (new − original)</th><th>Interval</th><th>p-value</th><th>Status</th><th>First regressed at</th><th>Mean original</th><th>Mean new</th><th>n original</th><th>n new</th></tr>
{{range .Metrics}}<tr{{if .Regressed}} class="alert"{{end}}><td>{{.Key}}</td><td>{{.Direction}}</td><td class="num">{{.Estimate}}</td><td>{{.Interval}}</td><td class="num">{{.PValue}}</td><td{{if .Regressed}} class="bad"{{end}}>{{.Status}}</td><td class="num">{{.RegressedAt}}</td><td class="num">{{.MeanOriginal}}</td><td class="num">{{.MeanNew}}</td><td class="num">{{.NOriginal}}</td><td class="num">{{.NNew}}</td></tr>
{{end}}</table>
</div>
{{if .Charts}}<details><summary>Static charts (PNG)</summary>
{{range .Charts}}<figure><img {{.DataURI}} width="1080" alt="difference chart for {{.Metric}}"><figcaption>{{.Metric}}: difference new − original with its anytime-valid interval</figcaption></figure>
{{end}}</details>{{end}}
<h2>Timeline of decisions</h2>
<table>
<tr><th>Time</th><th>Since start</th><th>Step</th><th>Percent</th><th>Decision</th><th>Reason</th><th>Metric</th><th>Note</th></tr>
{{range .Decisions}}<tr{{if .Alert}} class="alert"{{end}}><td>{{.Time}}</td><td class="num">{{.Elapsed}}</td><td class="num">{{.Step}}</td><td class="num">{{.Percent}}</td><td{{if .Alert}} class="bad"{{end}}>{{.Decision}}</td><td>{{.Reason}}</td><td>{{.Metric}}</td><td>{{.Note}}</td></tr>
{{end}}</table>

<h2>Steps</h2>
<table>
<tr><th>Step</th><th>Percent</th><th>Start</th><th>End</th><th>Duration</th><th>Checks</th><th>n original</th><th>n new</th><th>New contexts in step</th><th>Extended</th><th>Last decision</th></tr>
{{range .Steps}}<tr><td class="num">{{.Step}}</td><td class="num">{{.Percent}}</td><td>{{.Start}}</td><td>{{.End}}</td><td class="num">{{.Duration}}</td><td class="num">{{.Checks}}</td><td class="num">{{.NOriginal}}</td><td class="num">{{.NNew}}</td><td class="num">{{.NewInStep}}</td><td>{{.Extended}}</td><td>{{.LastDecision}}</td></tr>
{{end}}</table>
<h3>Metrics at the end of each step</h3>
<table>
<tr><th>Step</th><th>Percent</th><th>Metric</th><th>Mean original</th><th>Mean new</th><th>Estimate</th><th>Interval</th><th>p-value</th><th>Status</th></tr>
{{range .StepMetrics}}<tr><td class="num">{{.Step}}</td><td class="num">{{.Percent}}</td><td>{{.Metric}}</td><td class="num">{{.MeanOriginal}}</td><td class="num">{{.MeanNew}}</td><td class="num">{{.Estimate}}</td><td>{{.Interval}}</td><td class="num">{{.PValue}}</td><td>{{.Status}}</td></tr>
{{end}}</table>

<h2>Sample ratio mismatch</h2>
{{with .SRMPanel}}<section class="srm{{if .Mismatch}} alert{{end}}" id="srm-panel">
<h3>Split at the last check: observed vs expected</h3>
<div class="split"><span>observed</span><div class="bar" title="new {{.ObservedNew}} / original {{.ObservedOriginal}}"><span style="width:{{.ObservedPct}}"></span></div>
<span>expected</span><div class="bar" title="new {{.ExpectedNew}} / original {{.ExpectedOriginal}}"><span style="width:{{.ExpectedPct}}"></span></div></div>
<p>New variation: observed <b data-k="observed_new">{{.ObservedNew}}</b>, expected <b data-k="expected_new">{{.ExpectedNew}}</b> of the analysed contexts (original: {{.ObservedOriginal}} observed, {{.ExpectedOriginal}} expected).</p>
<h3>Sequential p-value over time</h3>
<div class="chart"><svg viewBox="0 0 800 220" role="img" aria-label="sequential SRM p-value per check, log scale, with the SRM alpha"></svg></div>
<p class="note">Log scale; a mismatch is declared when the p-value falls below α = {{.Alpha}} (last: {{.PValue}}).</p>
</section>
{{end}}{{if .SRM}}<table{{if .SRMMismatch}} class="alert"{{end}}>
{{range .SRM}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{end}}</table>{{else}}<p class="note">No checks were recorded.</p>{{end}}
{{with .SRMChart}}<details{{if $.SRMMismatch}} open{{end}}><summary>Static sample-ratio chart (PNG)</summary><figure><img {{.DataURI}} width="1080" alt="sample ratio chart: new-arm share observed vs expected, sequential SRM p-value"><figcaption>Sample ratio: the new arm's share of the contexts analysed since each step began vs the step's expected share, and the sequential SRM p-value with α</figcaption></figure></details>{{end}}

<h2>Alerts</h2>
{{if .Alerts}}<table>
<tr><th>Kind</th><th>Time</th><th>Subject</th><th>Summary</th><th>Status</th><th>Error</th></tr>
{{range .Alerts}}<tr{{if .Failed}} class="alert"{{end}}><td>{{.Kind}}</td><td>{{.Time}}</td><td>{{.Subject}}</td><td>{{.Summary}}</td><td{{if .Failed}} class="bad"{{end}}>{{.Status}}</td><td>{{.Error}}</td></tr>
{{end}}</table>{{else}}<p class="note">No alerts were sent.</p>{{end}}

<h2>Policy</h2>
<table>
{{range .Policy}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
<table>
<tr><th>Step</th><th>Percent</th><th>Control</th><th>Duration</th></tr>
{{range .Schedule}}<tr><td class="num">{{.Step}}</td><td class="num">{{.Percent}}</td><td class="num">{{.Control}}</td><td class="num">{{.Duration}}</td></tr>
{{end}}</table>
<table>
<tr><th>Metric</th><th>Definition</th></tr>
{{range .PolicyMets}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>
{{end}}</table>

<h2>Event counters</h2>
<table>
{{range .Counters}}<tr><th>{{.Key}}</th><td class="num">{{.Value}}</td></tr>
{{end}}</table>
<script type="application/json" id="guardsim-data">{{.Data}}</script>
<script>{{.JS}}</script>
</body>
</html>
`))

type htmlView struct {
	reportView
	CSS      htmltemplate.CSS
	Tiles    []tileView
	SRMPanel *srmPanelView
	Data     htmltemplate.JS
	JS       htmltemplate.JS
}

// WriteReport writes dir/report.md and a self-contained dir/report.html for
// res. charts are PNG files (usually from WriteDifferenceCharts): the
// markdown links them relative to dir, the HTML embeds them as data URIs.
func WriteReport(dir string, res *engine.Result, charts []string) error {
	return writeReport(dir, res, charts, nil)
}

func writeReport(dir string, res *engine.Result, charts []string, prov *Provenance) error {
	if res == nil {
		return errors.New("write report: nil result")
	}
	v, err := buildReportView(dir, res, charts)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	v.Replay = prov.lines()
	if err := writeTemplate(filepath.Join(dir, "report.md"), func(w io.Writer) error { return reportMD.Execute(w, v) }); err != nil {
		return err
	}
	data, err := timelineData(res)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	hv := htmlView{reportView: v, CSS: htmltemplate.CSS(css + interactiveCSS), Tiles: buildTiles(v, res),
		SRMPanel: buildSRMPanel(res), Data: data, JS: htmltemplate.JS(interactiveJS)}
	return writeTemplate(filepath.Join(dir, "report.html"), func(w io.Writer) error {
		return reportHTML.Execute(w, hv)
	})
}

// writeTemplate renders into memory first so a template error leaves no
// file, then writes atomically.
func writeTemplate(path string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return fmt.Errorf("render %s: %w", filepath.Base(path), err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ChartsDir is the folder of dir where WriteRollout puts the charts.
const ChartsDir = "charts"

// WriteRollout writes everything for one rollout into dir: a difference
// chart per metric and the sample-ratio chart (SRMChartName) in
// dir/charts/, report.md, report.html and summary.json.
// It returns the chart paths.
func WriteRollout(dir string, res *engine.Result) ([]string, error) {
	return WriteRolloutWith(dir, res, nil)
}

// WriteRolloutWith is WriteRollout for a replay: prov (when not nil) goes
// into report.md, report.html and summary.json.
func WriteRolloutWith(dir string, res *engine.Result, prov *Provenance) ([]string, error) {
	// The sample-ratio chart is drawn while the difference charts are.
	var srm string
	var srmErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		srm, srmErr = WriteSRMChart(filepath.Join(dir, ChartsDir), res)
	}()
	charts, err := WriteDifferenceCharts(filepath.Join(dir, ChartsDir), res)
	<-done
	if err != nil {
		return charts, err
	}
	if srmErr != nil {
		return charts, srmErr
	}
	charts = append(charts, srm)
	if err := writeReport(dir, res, charts, prov); err != nil {
		return charts, err
	}
	return charts, writeSummaryJSON(filepath.Join(dir, "summary.json"), res, prov)
}
