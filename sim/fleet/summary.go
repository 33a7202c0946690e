package fleet

import (
	"math"
	"slices"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Summary is one policy's totals over the fleet.
type Summary struct {
	Policy string `json:"policy"`
	// Changes lists the policy's overrides ("alpha=0.01", …); empty for
	// the recorded policy.
	Changes []string `json:"changes"`
	// Replayed counts the rollouts replayed (those that failed are not).
	Replayed int `json:"replayed"`
	// RolledBack and Halted count how the replays ended; Detections
	// counts those stopped for a regression.
	RolledBack int `json:"rolled_back"`
	Halted     int `json:"halted"`
	Detections int `json:"detections"`
	// LabelledRegressions are rollouts labelled as real regressions;
	// Missed of them were not stopped (rolled back or halted).
	LabelledRegressions int `json:"labelled_regressions"`
	Missed              int `json:"missed_regressions"`
	// LabelledGood are rollouts labelled good; FalseRollbacks of them were
	// stopped.
	LabelledGood   int `json:"labelled_good"`
	FalseRollbacks int `json:"false_rollbacks"`
	// GainPairs counts rollouts stopped under both the recorded policy and
	// this one; MedianGain is the median (nearest rank) over them of the
	// recorded time to stop minus this policy's: positive is sooner.
	GainPairs  int           `json:"gain_pairs"`
	MedianGain time.Duration `json:"median_gain"`
	// ContextsExposed sums the contexts exposed to the new variation.
	ContextsExposed int64 `json:"contexts_exposed"`
	// Alerts sums the alerts raised (recorded, never sent).
	Alerts int `json:"alerts"`
}

// Report is a whole fleet backtest.
type Report struct {
	// Policies are the backtested policies' names, in column order.
	Policies []string `json:"policies"`
	// Rows are the rollouts, sorted by ID.
	Rows []Row `json:"rows"`
	// Summaries are per policy, in Policies order.
	Summaries []Summary `json:"summaries"`
	// Failed counts rollouts that could not be backtested.
	Failed int `json:"failed"`
}

// Summarise builds the report of rows replayed under policies (policies[0]
// the recorded one, against which gains are measured). Rows are sorted by
// ID, so the report does not depend on the order rows arrive in.
func Summarise(policies []Policy, rows []Row) *Report {
	rep := &Report{Rows: slices.Clone(rows)}
	slices.SortStableFunc(rep.Rows, func(a, b Row) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for _, p := range policies {
		rep.Policies = append(rep.Policies, p.Name)
		rep.Summaries = append(rep.Summaries, Summary{Policy: p.Name, Changes: p.Changes()})
	}
	gains := make([][]int64, len(policies))
	for _, r := range rep.Rows {
		if r.Err != "" || len(r.Decisions) != len(policies) {
			rep.Failed++
			continue
		}
		for i, d := range r.Decisions {
			s := &rep.Summaries[i]
			s.Replayed++
			switch d.Status {
			case engine.StatusRolledBack:
				s.RolledBack++
			case engine.StatusHalted:
				s.Halted++
			}
			if d.Detected() {
				s.Detections++
			}
			switch r.Label {
			case Regression:
				s.LabelledRegressions++
				if !d.Stopped() {
					s.Missed++
				}
			case Good:
				s.LabelledGood++
				if d.Stopped() {
					s.FalseRollbacks++
				}
			}
			s.ContextsExposed += int64(d.NewContexts)
			s.Alerts += d.Alerts
			if rec := r.Decisions[0]; rec.Stopped() && d.Stopped() {
				gains[i] = append(gains[i], int64(rec.Elapsed-d.Elapsed))
			}
		}
	}
	for i, g := range gains {
		s := &rep.Summaries[i]
		s.GainPairs = len(g)
		if len(g) > 0 {
			slices.Sort(g)
			k := max(0, int(math.Ceil(0.5*float64(len(g))))-1)
			s.MedianGain = time.Duration(g[k])
		}
	}
	return rep
}
