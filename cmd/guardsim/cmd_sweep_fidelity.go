package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/sim/sweep"
)

// runCheckFidelity is `guardsim sweep --check-fidelity`: both fidelities on
// the user's scenario and grid, agreement per cell in fidelity.csv and on
// stdout, an error when a cell disagrees.
func runCheckFidelity(ctx context.Context, e *env, cfg sweep.Config, st *outdir.Staging, dir string, bar *progressBar) error {
	fc, err := sweep.CheckFidelity(ctx, cfg, cfg.Reps, 4*cfg.Reps)
	if err != nil {
		bar.abort()
		return err
	}
	bar.finish()
	f, err := os.Create(filepath.Join(st.Root(), "fidelity.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	_ = w.Write([]string{"policy", "effect", "event_reps", "event_rate", "event_rate_lo", "event_rate_hi", "event_detect_median_h",
		"aggregate_reps", "aggregate_rate", "aggregate_rate_lo", "aggregate_rate_hi", "aggregate_detect_median_h", "combined_se", "rate_agrees", "ttd_compared", "ttd_agrees"})
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "fidelity check of %s (%d event-level, %d aggregate rollouts per cell)\n\n", cfg.Name, cfg.Reps, 4*cfg.Reps)
	fmt.Fprintln(tw, "policy\teffect\tevent rate [95%]\taggregate rate [95%]\t3 SE\tevent TTD\taggregate TTD\tagrees")
	bad := 0
	for _, c := range fc.Cells {
		ev, ag := c.Event, c.Aggregate
		_ = w.Write([]string{ev.Policy, g(ev.Effect), strconv.Itoa(ev.Reps), g(ev.Rate), g(ev.RateLo), g(ev.RateHi), g(ev.DetectMedian.Hours()),
			strconv.Itoa(ag.Reps), g(ag.Rate), g(ag.RateLo), g(ag.RateHi), g(ag.DetectMedian.Hours()), g(c.SE),
			strconv.FormatBool(c.RateOK), strconv.FormatBool(c.TTDCompared), strconv.FormatBool(c.TTDOK)})
		verdict := "yes"
		if !c.OK() {
			verdict = "NO"
			bad++
		}
		fmt.Fprintf(tw, "%s\t%g\t%.4f [%.4f, %.4f]\t%.4f [%.4f, %.4f]\t%.4f\t%v\t%v\t%s\n", ev.Policy, ev.Effect,
			ev.Rate, ev.RateLo, ev.RateHi, ag.Rate, ag.RateLo, ag.RateHi, 3*c.SE, ev.DetectMedian, ag.DetectMedian, verdict)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := st.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(tw, "\nresults in %s\n", filepath.Join(dir, "fidelity.csv"))
	if err := tw.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("the fidelities disagree in %d of %d cells: use --fidelity event for this scenario", bad, len(fc.Cells))
	}
	return nil
}
