package scenarios

import (
	"errors"
	"fmt"
	"time"

	"github.com/guardsim/guardsim/sim"
)

// Baseline moves a metric's untreated level over time (metrics[].baseline):
// its values or conversion probability are multiplied by
// 1 + daily_amplitude·cos(2π(hour − peak_hour)/24) + trend_per_day·days.
type Baseline struct {
	DailyAmplitude float64 `yaml:"daily_amplitude"`
	PeakHour       float64 `yaml:"peak_hour"`
	TrendPerDay    float64 `yaml:"trend_per_day"`
}

// validateRealism checks the realism fields that the simulation model
// cannot check itself (fields that must come together).
func (s *Scenario) validateRealism() error {
	var errs []error
	for i, m := range s.Metrics {
		r := m.Regression
		if r == nil {
			continue
		}
		if (r.Novelty != nil) != (r.NoveltyHalfLife != 0) {
			errs = append(errs, fmt.Errorf("metrics[%d] (%s).regression: novelty and novelty_half_life go together (the effect starts at novelty × effect and tends to effect with that half-life)", i, m.Key))
		}
		switch r.NoveltyClock {
		case "", "onset", "context":
			if r.NoveltyClock != "" && r.Novelty == nil {
				errs = append(errs, fmt.Errorf("metrics[%d] (%s).regression.novelty_clock needs novelty and novelty_half_life", i, m.Key))
			}
		default:
			errs = append(errs, fmt.Errorf("metrics[%d] (%s).regression.novelty_clock %q must be onset or context", i, m.Key, r.NoveltyClock))
		}
	}
	return errors.Join(errs...)
}

// realismModel sets the model's realism fields of metric mt.
func realismModel(mt Metric, mm *sim.MetricModel) {
	if b := mt.Baseline; b != nil {
		mm.Baseline = &sim.Baseline{DailyAmplitude: b.DailyAmplitude, PeakHour: b.PeakHour, TrendPerDay: b.TrendPerDay}
	}
	if r := mt.Regression; r != nil && r.Novelty != nil {
		mm.Novelty = &sim.Novelty{Factor: *r.Novelty, HalfLife: time.Duration(r.NoveltyHalfLife), PerContext: r.NoveltyClock == "context"}
	}
}
