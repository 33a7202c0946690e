package reports

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/guardsim/guardsim/sim/sweep"
)

// SweepJSON is the sweep's JSON output: every cell with every rate and its
// Wilson 95% interval, durations in seconds.
const SweepJSON = "sweep.json"

type sweepJSONDoc struct {
	Scenario string          `json:"scenario"`
	Fidelity sweep.Fidelity  `json:"fidelity"`
	Seed     uint64          `json:"seed"`
	Reps     int             `json:"reps"`
	Grid     string          `json:"grid"`
	Cells    []sweepJSONCell `json:"cells"`
}

type sweepJSONCell struct {
	Params              []sweep.Param      `json:"params"`
	Policy              string             `json:"policy"`
	Alpha               float64            `json:"alpha"`
	Effect              float64            `json:"effect"`
	Reps                int                `json:"reps"`
	Detections          int                `json:"detections"`
	Rate                float64            `json:"rate"`
	RateLo              float64            `json:"rate_lo"`
	RateHi              float64            `json:"rate_hi"`
	FamilyBound         float64            `json:"family_bound"`
	FamilyRule          string             `json:"family_rule"`
	Metrics             []sweep.MetricRate `json:"metrics"`
	DetectMedianS       float64            `json:"detect_median_s"`
	DetectP90S          float64            `json:"detect_p90_s"`
	NewContextsMean     float64            `json:"new_contexts_mean"`
	ExposureMedian      float64            `json:"exposure_median"`
	SRMShare            float64            `json:"srm_share"`
	SRMShareLo          float64            `json:"srm_share_lo"`
	SRMShareHi          float64            `json:"srm_share_hi"`
	InsufficientShare   float64            `json:"insufficient_share"`
	InsufficientShareLo float64            `json:"insufficient_share_lo"`
	InsufficientShareHi float64            `json:"insufficient_share_hi"`
	CompletedShare      float64            `json:"completed_share"`
	CompletedShareLo    float64            `json:"completed_share_lo"`
	CompletedShareHi    float64            `json:"completed_share_hi"`
}

// EncodeSweepJSON writes res as indented JSON (docs/OUTPUTS.md): the
// any-metric rate with the family bound in force, the per-metric rates,
// and every share, each with its Wilson 95% interval.
func EncodeSweepJSON(w io.Writer, res *sweep.Result) error {
	doc := sweepJSONDoc{Scenario: res.Scenario, Fidelity: res.Fidelity, Seed: res.Seed, Reps: res.Reps, Grid: res.Grid, Cells: []sweepJSONCell{}}
	for _, c := range res.Cells {
		metrics := c.Metrics
		if metrics == nil {
			metrics = []sweep.MetricRate{}
		}
		params := c.Params
		if params == nil {
			params = []sweep.Param{}
		}
		doc.Cells = append(doc.Cells, sweepJSONCell{
			Params: params, Policy: c.Policy, Alpha: c.Alpha, Effect: c.Effect, Reps: c.Reps, Detections: c.Detections,
			Rate: c.Rate, RateLo: c.RateLo, RateHi: c.RateHi, FamilyBound: c.FamilyBound, FamilyRule: c.FamilyRule, Metrics: metrics,
			DetectMedianS: c.DetectMedian.Seconds(), DetectP90S: c.DetectP90.Seconds(),
			NewContextsMean: c.NewContextsMean, ExposureMedian: c.ExposureMedian,
			SRMShare: c.SRMShare, SRMShareLo: c.SRMShareLo, SRMShareHi: c.SRMShareHi,
			InsufficientShare: c.InsufficientShare, InsufficientShareLo: c.InsufficientShareLo, InsufficientShareHi: c.InsufficientShareHi,
			CompletedShare: c.CompletedShare, CompletedShareLo: c.CompletedShareLo, CompletedShareHi: c.CompletedShareHi,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode sweep json: %w", err)
	}
	return nil
}
