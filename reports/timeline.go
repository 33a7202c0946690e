package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// TimelineColumns returns the CSV header of a result's timeline: the check
// columns, then ten columns per metric prefixed with the metric key.
func TimelineColumns(res *engine.Result) []string {
	cols := []string{"time", "elapsed_h", "step", "percent", "extended",
		"contexts_original", "contexts_new", "step_new_contexts",
		"srm_p", "srm_log_bf", "chi_square", "chi_square_p", "srm_mismatch",
		"decision", "reason", "metric", "note"}
	for _, m := range res.Policy.Metrics {
		for _, c := range []string{"n_original", "mean_original", "n_new", "mean_new", "ready", "estimate", "lower", "upper", "p_value", "regressed"} {
			cols = append(cols, m.Key+"_"+c)
		}
	}
	return cols
}

func ff(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func hours(d time.Duration) string { return ff(d.Hours()) }

// WriteTimelineCSV writes one row per check (see TimelineColumns).
func WriteTimelineCSV(w io.Writer, res *engine.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TimelineColumns(res)); err != nil {
		return fmt.Errorf("timeline csv: %w", err)
	}
	for _, c := range res.Timeline {
		row := []string{
			c.Time.UTC().Format(time.RFC3339Nano), hours(c.Elapsed), strconv.Itoa(c.Step), ff(c.Percent), strconv.FormatBool(c.Extended),
			strconv.Itoa(c.Contexts[engine.Original]), strconv.Itoa(c.Contexts[engine.New]), strconv.Itoa(c.StepNewContexts),
			ff(c.SRM.PValue), ff(c.SRM.LogBF), ff(c.SRM.ChiSquare), ff(c.SRM.ChiSquareP), strconv.FormatBool(c.SRM.Mismatch),
			string(c.Decision), string(c.Reason), c.Metric, c.Note,
		}
		for _, m := range c.Metrics {
			est, lo, hi := "", "", ""
			if m.Ready {
				est, lo, hi = ff(m.Estimate), ff(m.Lower), ff(m.Upper)
			}
			row = append(row, strconv.Itoa(m.Original.N), ff(m.Original.Mean), strconv.Itoa(m.New.N), ff(m.New.Mean),
				strconv.FormatBool(m.Ready), est, lo, hi, ff(m.PValue), strconv.FormatBool(m.Regressed))
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("timeline csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("timeline csv: %w", err)
	}
	return nil
}

// WriteTimelineJSON writes the whole result (policy, timeline, outcome) as
// indented JSON.
func WriteTimelineJSON(w io.Writer, res *engine.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("timeline json: %w", err)
	}
	return nil
}

// SummaryInfo is context for the text summary that is not in the result.
type SummaryInfo struct {
	// Title names what ran, e.g. the scenario or the replayed files.
	Title string
	// OutDir is where the outputs were written ("" to omit the line).
	OutDir string
	// Replay is the provenance of a replay (nil for a run).
	Replay *Provenance
	// Alerts says where alerts were sent, e.g. the in-process mock or a
	// PagerDuty endpoint ("" to omit the line).
	Alerts string
}

// WriteSummary writes a one-screen plain-text summary of a rollout.
func WriteSummary(w io.Writer, res *engine.Result, info SummaryInfo) error {
	var b strings.Builder
	o := res.Outcome
	p := res.Policy
	fmt.Fprintf(&b, "guardsim: %s\n", info.Title)
	fmt.Fprintf(&b, "flag %s (project %s, environment %s), context kind %s, bucketing seed %d\n",
		p.FlagKey, p.ProjectKey, p.EnvironmentKey, p.ContextKind, o.Seed)
	steps := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		steps[i] = fmt.Sprintf("%g%% %s", s.Percent, shortDur(s.Duration))
	}
	fmt.Fprintf(&b, "schedule: %s → 100%%; check every %s; alpha %g, N* %g; min %d new contexts per step\n",
		strings.Join(steps, " → "), shortDur(p.CheckInterval), p.MetricAlpha(), p.NStar, p.MinContexts)
	fmt.Fprintf(&b, "started %s\n", res.Start.UTC().Format(time.RFC3339))
	if pr := info.Replay; pr != nil {
		ov := "none"
		if len(pr.Overrides) > 0 {
			ov = strings.Join(pr.Overrides, ", ")
		}
		fmt.Fprintf(&b, "what-if overrides: %s\n", ov)
		for _, c := range pr.Caveats {
			fmt.Fprintf(&b, "CAVEAT: %s\n", c)
		}
	}
	b.WriteString("\n")

	switch o.Status {
	case engine.StatusCompleted:
		fmt.Fprintf(&b, "OUTCOME: COMPLETED — rolled forward to 100%% after %s\n", shortDur(o.Elapsed))
	case engine.StatusRolledBack:
		what := string(o.Reason)
		if o.Metric != "" {
			what += " on " + o.Metric
		}
		fmt.Fprintf(&b, "OUTCOME: ROLLED BACK (%s) after %s at step %d (%g%%)\n", what, shortDur(o.Elapsed), o.Step, o.Percent)
	case engine.StatusHalted:
		fmt.Fprintf(&b, "OUTCOME: HALTED (regression on %s, auto-rollback off) after %s at step %d (%g%%)\n", o.Metric, shortDur(o.Elapsed), o.Step, o.Percent)
	default:
		fmt.Fprintf(&b, "OUTCOME: STILL RUNNING when the events ended, after %s at step %d (%g%%)\n", shortDur(o.Elapsed), o.Step, o.Percent)
	}
	fmt.Fprintf(&b, "contexts exposed to the new variation: %d\n", o.NewContexts)
	c := o.Counters
	fmt.Fprintf(&b, "events: %d (%d exposures, %d metric); unattributed %d, outside the analysis %d+%d, after the end %d\n\n",
		c.Events, c.Exposures, c.MetricEvents, c.Unattributed, c.OutsideExposures, c.OutsideMetrics, c.AfterEnd)

	if n := len(res.Timeline); n > 0 {
		last := res.Timeline[n-1]
		fmt.Fprintf(&b, "%-22s %-17s %22s %22s %30s %9s\n", "metric", "direction", "original (n)", "new (n)", "difference [interval]", "p")
		for i, m := range last.Metrics {
			dir := p.Metrics[i].Direction.String()
			diff := "not enough data"
			if m.Ready {
				diff = fmt.Sprintf("%+.4g [%.4g, %.4g]", m.Estimate, m.Lower, m.Upper)
			}
			flag := ""
			if m.Regressed {
				flag = "  REGRESSED"
			}
			fmt.Fprintf(&b, "%-22s %-17s %22s %22s %30s %9.3g%s\n", m.Key, dir,
				fmt.Sprintf("%.4g (%d)", m.Original.Mean, m.Original.N), fmt.Sprintf("%.4g (%d)", m.New.Mean, m.New.N), diff, m.PValue, flag)
		}
		fmt.Fprintf(&b, "\nSRM: sequential p = %.3g (reject at %g), χ² = %.3g (p = %.3g)\n", last.SRM.PValue, p.SRMAlpha, last.SRM.ChiSquare, last.SRM.ChiSquareP)
	}
	if info.Alerts != "" {
		fmt.Fprintf(&b, "alerts: %s\n", info.Alerts)
	}
	for _, a := range o.Alerts {
		status := "delivered"
		if !a.Delivered {
			status = "NOT DELIVERED: " + a.Error
		}
		fmt.Fprintf(&b, "alert %s (%s): %s\n", a.Alert.Kind, a.Alert.DedupKey(), status)
	}
	var decisions []string
	for _, ch := range res.Timeline {
		if ch.Decision != engine.DecisionContinue {
			decisions = append(decisions, fmt.Sprintf("  %7sh  step %d (%g%%)  %-8s %s", hours(ch.Elapsed), ch.Step, ch.Percent, ch.Decision, ch.Note))
		}
	}
	fmt.Fprintf(&b, "\ndecisions:\n%s\n", strings.Join(decisions, "\n"))
	if info.OutDir != "" {
		fmt.Fprintf(&b, "\noutputs in %s\n", info.OutDir)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shortDur(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
