package plan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// WriteJSON writes the plan as indented JSON (durations in nanoseconds, as
// every guardsim JSON output).
func WriteJSON(w io.Writer, pl *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(pl)
}

// WriteMarkdown writes the plan as a Markdown report.
func WriteMarkdown(w io.Writer, pl *Plan) error {
	bw := bufio.NewWriter(w)
	p := pl.Policy
	fmt.Fprintf(bw, "# Rollout plan: %s\n\n", p.FlagKey)
	fmt.Fprintf(bw, "Traffic: %s — %s; %s.\n\n", pl.Profile.Source, trafficText(pl.Profile.Traffic), populationText(pl.Profile.Population))
	fmt.Fprintf(bw, "Policy: %d steps, checks every %s, minimum %s per step, on insufficient sample: %s; α = %g per metric, N* = %g, %d contexts per arm before a regression may be declared.\n\n",
		len(p.Steps), dur(p.CheckInterval), minimumText(p), p.OnInsufficient, p.MetricAlpha(), p.NStar, p.MinPerArm)
	if len(pl.Warnings) > 0 {
		fmt.Fprintf(bw, "## Warnings\n\n")
		for _, s := range pl.Warnings {
			fmt.Fprintf(bw, "- %s\n", s)
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "## Steps\n\n")
	fmt.Fprintf(bw, "Probabilities are conditional on reaching the step; contexts are distinct contexts served each arm during the step.\n\n")
	hold := p.OnInsufficient == engine.HoldOnInsufficient
	last := "P(insufficient rollback)"
	if hold {
		last = "expected hold"
	}
	fmt.Fprintf(bw, "| step | new / control | duration + extension | P(reach) | new contexts | control contexts | new by end of extension | P(minimum met at end) | P(met after extension) | %s |\n", last)
	fmt.Fprintf(bw, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range pl.Steps {
		if s.ReachProbability == 0 {
			fmt.Fprintf(bw, "| %d | %g%% / %g%% | %s + %s | 0%% | — | — | — | — | — | — |\n", s.Step, s.Percent, s.ControlPercent, dur(s.Duration), dur(s.Extension))
			continue
		}
		tail := pct(s.InsufficientProbability)
		if hold {
			tail = dur(s.ExpectedHold)
		}
		fmt.Fprintf(bw, "| %d | %g%% / %g%% | %s + %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.Step, s.Percent, s.ControlPercent, dur(s.Duration), dur(s.Extension), pct(s.ReachProbability),
			num(s.ExpectedNew), num(s.ExpectedControl), num(s.ExpectedNewExtended),
			pct(s.MeetProbability), pct(s.MeetExtendedProbability), tail)
	}
	fmt.Fprintf(bw, "\n## Time to 100%%\n\n")
	fmt.Fprintf(bw, "- Without extensions: %s.\n", dur(pl.NominalDuration))
	if pl.CompleteProbability > 0 {
		fmt.Fprintf(bw, "- With extensions%s: expected %s (median %s, 90th percentile %s), over the %s of rollouts that reach 100%%.\n",
			map[bool]string{true: " and holds", false: ""}[hold], dur(pl.ExpectedDuration), dur(pl.MedianDuration), dur(pl.P90Duration), pct(pl.CompleteProbability))
	} else {
		fmt.Fprintf(bw, "- No rollout reaches 100%%: every one ends for insufficient sample.\n")
	}
	if pl.InsufficientProbability > 0 {
		fmt.Fprintf(bw, "- Probability of an insufficient-sample rollback: %s.\n", pct(pl.InsufficientProbability))
	}
	fmt.Fprintf(bw, "\nOnly the minimum contexts are modelled here: a regression or SRM rollback ends a rollout earlier.\n")
	fmt.Fprintf(bw, "\n## Minimum detectable effect (%.0f%% power)\n\n", 100*pl.Power)
	fmt.Fprintf(bw, "The smallest absolute effect on the harmful side, present from the start, that the policy's confidence sequence detects by the end of the step with %.0f%% probability, with the steps on time (relative to the metric's mean in parentheses). — : the metric cannot be tested by then.\n\n", 100*pl.Power)
	fmt.Fprintf(bw, "| metric |")
	for _, s := range pl.Steps {
		fmt.Fprintf(bw, " step %d (%g%%) |", s.Step, s.Percent)
	}
	fmt.Fprintf(bw, "\n|---|%s\n", strings.Repeat("---:|", len(pl.Steps)))
	for m, met := range p.Metrics {
		fmt.Fprintf(bw, "| %s |", met.Key)
		for _, s := range pl.Steps {
			d := s.MDE[m]
			if math.IsNaN(float64(d.Absolute)) {
				fmt.Fprintf(bw, " — |")
				continue
			}
			rel := ""
			if !math.IsNaN(float64(d.Relative)) {
				rel = " (" + pct(float64(d.Relative)) + ")"
			}
			fmt.Fprintf(bw, " %s%s |", num(float64(d.Absolute)), rel)
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "\nModel: Poisson arrivals, each a uniform draw from the population; the distinct new-variation contexts in a window are Binomial(N, p·(1 − e^(−Λ/N))). The MDE uses the group-sequential recursion on the Brownian approximation of the stratified estimate, with single-exposure per-context variances. See docs/PLAN.md.\n")
	return bw.Flush()
}

func trafficText(t Traffic) string {
	switch v := t.(type) {
	case Cosine:
		if v.DailyAmplitude == 0 {
			return fmt.Sprintf("%g exposures/h", v.RatePerHour)
		}
		return fmt.Sprintf("%g exposures/h on average, daily amplitude %g peaking at %g:00 UTC", v.RatePerHour, v.DailyAmplitude, v.PeakHour)
	case Hourly:
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, r := range v.PerHour {
			lo, hi, sum = math.Min(lo, r), math.Max(hi, r), sum+r
		}
		return fmt.Sprintf("measured hourly profile, %s exposures/h on average (%s to %s by hour of day)", num(sum/24), num(lo), num(hi))
	}
	return fmt.Sprintf("%T", t)
}

func populationText(n int) string {
	if n == 0 {
		return "every exposure a new context"
	}
	return fmt.Sprintf("%d returning contexts", n)
}

func pct(p float64) string {
	switch {
	case p >= 0.9995 && p < 1:
		return ">99.9%"
	case p > 0 && p < 0.0005:
		return "<0.1%"
	}
	return strconv.FormatFloat(100*p, 'f', 1, 64) + "%"
}

func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func dur(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	h := d.Hours()
	if h >= 48 && math.Mod(h, 24) == 0 {
		return fmt.Sprintf("%gd", h/24)
	}
	if h >= 1 {
		if h == math.Trunc(h) {
			return fmt.Sprintf("%gh", h)
		}
		return fmt.Sprintf("%.1fh", h)
	}
	return d.Round(time.Second).String()
}
