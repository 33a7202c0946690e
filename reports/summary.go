package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// Summary is the machine-readable summary of a rollout (summary.json).
type Summary struct {
	Outcome engine.Outcome `json:"outcome"`
	Policy  engine.Policy  `json:"policy"`
	Start   time.Time      `json:"start"`
	Checks  int            `json:"checks"`
	// Metrics are the final state of each policy metric, in policy order.
	Metrics []MetricSummary `json:"metrics"`
	// SRM is the SRM state at the last check.
	SRM   engine.SRMCheck `json:"srm"`
	Steps []StepRow       `json:"steps"`
	// Replay says where a replay's events came from (absent for a run).
	Replay *Provenance `json:"replay,omitempty"`
}

// MetricSummary is a metric's final state: the last ready estimate and
// interval, and the latest per-arm statistics.
type MetricSummary struct {
	Key       string  `json:"key"`
	Direction string  `json:"direction"`
	Alpha     float64 `json:"alpha"`
	Ready     bool    `json:"ready"`
	Estimate  float64 `json:"estimate"`
	StdErr    float64 `json:"std_err"`
	Lower     float64 `json:"lower"`
	Upper     float64 `json:"upper"`
	PValue    float64 `json:"p_value"`
	Regressed bool    `json:"regressed"`
	// RegressedAt is the time since the start of the first regressed check
	// (nil when the metric never regressed).
	RegressedAt *time.Duration  `json:"regressed_at,omitempty"`
	Original    engine.ArmStats `json:"original"`
	New         engine.ArmStats `json:"new"`
}

// BuildSummary computes the summary of res.
func BuildSummary(res *engine.Result) Summary {
	s := Summary{
		Outcome: res.Outcome,
		Policy:  res.Policy,
		Start:   res.Start,
		Checks:  len(res.Timeline),
		Steps:   StepTable(res),
		Metrics: []MetricSummary{},
	}
	if n := len(res.Timeline); n > 0 {
		s.SRM = res.Timeline[n-1].SRM
	}
	for _, pm := range res.Policy.Metrics {
		ms := MetricSummary{Key: pm.Key, Direction: pm.Direction.String(), Alpha: res.Policy.MetricAlpha()}
		if m, ok := lastReady(res, pm.Key); ok {
			ms.Ready, ms.Estimate, ms.StdErr, ms.Lower, ms.Upper = true, m.Estimate, m.StdErr, m.Lower, m.Upper
			ms.PValue, ms.Regressed = m.PValue, m.Regressed
		}
		if m, ok := lastMetric(res, pm.Key); ok {
			ms.Original, ms.New = m.Original, m.New
		}
		if c, ok := firstRegressed(res, pm.Key); ok {
			d := c.Elapsed
			ms.RegressedAt = &d
			ms.Regressed = true
		}
		s.Metrics = append(s.Metrics, ms)
	}
	if s.Steps == nil {
		s.Steps = []StepRow{}
	}
	return s
}

// EncodeSummary writes the summary of res as indented JSON.
func EncodeSummary(w io.Writer, res *engine.Result) error {
	return encodeSummary(w, res, nil)
}

func encodeSummary(w io.Writer, res *engine.Result, prov *Provenance) error {
	if res == nil {
		return errors.New("encode summary: nil result")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	s := BuildSummary(res)
	s.Replay = prov
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	return nil
}

// WriteSummaryJSON writes the summary of res to path (atomically).
func WriteSummaryJSON(path string, res *engine.Result) error {
	return writeSummaryJSON(path, res, nil)
}

func writeSummaryJSON(path string, res *engine.Result, prov *Provenance) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return encodeSummary(w, res, prov) }); err != nil {
		return fmt.Errorf("write summary %s: %w", path, err)
	}
	return nil
}

// MarshalJSON writes the summary row with RegressedAt in seconds.
func (m MetricSummary) MarshalJSON() ([]byte, error) {
	type plain MetricSummary
	var at *schedule.Seconds
	if m.RegressedAt != nil {
		v := schedule.Seconds(*m.RegressedAt)
		at = &v
	}
	return json.Marshal(struct {
		plain
		RegressedAt *schedule.Seconds `json:"regressed_at,omitempty"`
	}{plain(m), at})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *MetricSummary) UnmarshalJSON(b []byte) error {
	type plain MetricSummary
	aux := struct {
		*plain
		RegressedAt *schedule.Seconds `json:"regressed_at,omitempty"`
	}{plain: (*plain)(m)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	m.RegressedAt = nil
	if aux.RegressedAt != nil {
		d := time.Duration(*aux.RegressedAt)
		m.RegressedAt = &d
	}
	return nil
}

// MarshalJSON writes the step row with its elapsed times in seconds.
func (r StepRow) MarshalJSON() ([]byte, error) {
	type plain StepRow
	return json.Marshal(struct {
		plain
		StartElapsed schedule.Seconds `json:"start_elapsed"`
		EndElapsed   schedule.Seconds `json:"end_elapsed"`
	}{plain(r), schedule.Seconds(r.StartElapsed), schedule.Seconds(r.EndElapsed)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *StepRow) UnmarshalJSON(b []byte) error {
	type plain StepRow
	aux := struct {
		*plain
		StartElapsed schedule.Seconds `json:"start_elapsed"`
		EndElapsed   schedule.Seconds `json:"end_elapsed"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	r.StartElapsed, r.EndElapsed = time.Duration(aux.StartElapsed), time.Duration(aux.EndElapsed)
	return nil
}
