package sweep

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Agreement criteria of CheckFidelity.
const (
	// AgreeSE is how many combined standard errors the two fidelities'
	// detection rates may differ by.
	AgreeSE = 3
	// AgreeTTD is the relative difference allowed between their median
	// times to detection.
	AgreeTTD = 0.10
	// minTTDDetections is the fewest detections per fidelity for the median
	// times to detection to be compared (fewer: too noisy to judge).
	minTTDDetections = 100
)

// CellAgreement compares one grid cell's event-level and aggregate results.
type CellAgreement struct {
	Event, Aggregate Cell
	// SE is the combined standard error of the difference of the rates,
	// from their pooled rate: sqrt(p(1−p)(1/n₁ + 1/n₂)).
	SE float64
	// RateOK: |rate difference| ≤ AgreeSE·SE.
	RateOK bool
	// TTDCompared: both fidelities had enough detections to compare their
	// median times to detection; TTDOK: within AgreeTTD of each other
	// (relative to the event-level median), or not compared.
	TTDCompared, TTDOK bool
}

// OK reports whether the cell agrees.
func (c CellAgreement) OK() bool { return c.RateOK && c.TTDOK }

// FidelityCheck is the result of CheckFidelity.
type FidelityCheck struct {
	Cells []CellAgreement
}

// OK reports whether every cell agrees.
func (f FidelityCheck) OK() bool {
	for _, c := range f.Cells {
		if !c.OK() {
			return false
		}
	}
	return true
}

// CheckFidelity runs cfg's grid in both fidelities, eventReps event-level
// and aggReps aggregate rollouts per cell, and compares every cell: the
// detection rates within AgreeSE combined standard errors, the median times
// to detection within AgreeTTD. It tells a user whether the fast aggregate
// fidelity can be trusted on their own scenario and metrics. An error from
// the aggregate plan (a metric shape it refuses) is returned as is.
func CheckFidelity(ctx context.Context, cfg Config, eventReps, aggReps int) (FidelityCheck, error) {
	ag := cfg
	ag.Fidelity, ag.Reps, ag.Progress = Aggregate, aggReps, nil // progress: the slow event-level run
	ra, err := Run(ctx, ag)
	if err != nil {
		return FidelityCheck{}, fmt.Errorf("aggregate fidelity: %w", err)
	}
	ev := cfg
	ev.Fidelity, ev.Reps = EventLevel, eventReps
	re, err := Run(ctx, ev)
	if err != nil {
		return FidelityCheck{}, fmt.Errorf("event-level fidelity: %w", err)
	}
	var fc FidelityCheck
	for i := range re.Cells {
		fc.Cells = append(fc.Cells, compareCells(re.Cells[i], ra.Cells[i]))
	}
	return fc, nil
}

func compareCells(e, a Cell) CellAgreement {
	c := CellAgreement{Event: e, Aggregate: a, TTDOK: true}
	p := float64(e.Detections+a.Detections) / float64(e.Reps+a.Reps)
	c.SE = math.Sqrt(p * (1 - p) * (1/float64(e.Reps) + 1/float64(a.Reps)))
	c.RateOK = math.Abs(e.Rate-a.Rate) <= AgreeSE*c.SE
	if e.Detections >= minTTDDetections && a.Detections >= minTTDDetections {
		c.TTDCompared = true
		c.TTDOK = ttdClose(e.DetectMedian, a.DetectMedian)
	}
	return c
}

// ttdClose: b within AgreeTTD of a, relative to a.
func ttdClose(a, b time.Duration) bool {
	return math.Abs(float64(b-a)) <= AgreeTTD*float64(a)
}
