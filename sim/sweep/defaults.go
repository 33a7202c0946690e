package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/guardsim/guardsim/engine"
)

// defaultEffectMultiples are the default effects in units of the standard
// error of the final stratified difference.
var defaultEffectMultiples = []float64{0, 1, 2, 3, 4, 6}

// DefaultGrid is a grid suited to cfg's policy and model (cfg.Grid is
// ignored): alpha 0.01 and 0.05, and effects on the swept metric
// (cfg.Metric, "" for the first) from 0 to about six standard errors of the
// difference the full schedule would estimate, on the harmful side of the
// metric's direction.
func DefaultGrid(cfg Config) (string, error) {
	p, m := cfg.Policy, cfg.Model
	idx := 0
	if cfg.Metric != "" {
		i, ok := p.MetricIndex(cfg.Metric)
		if !ok {
			return "", fmt.Errorf("metric %q is not in scenario %s", cfg.Metric, cfg.Name)
		}
		idx = i
	}
	if len(p.Metrics) == 0 || len(m.Metrics) <= idx {
		return "", fmt.Errorf("scenario %s has no metrics", cfg.Name)
	}
	// Contexts per arm over the whole schedule (mean rate).
	var n float64
	for _, st := range p.Steps {
		w := st.Weights()
		n += m.Traffic.RatePerHour * st.Duration.Hours() * float64(min(w[0], w[2])) / 100000
	}
	mm := m.Metrics[idx]
	var sd float64
	if mm.Binary {
		sd = math.Sqrt(mm.Rate * (1 - mm.Rate))
	} else {
		e := float64(max(mm.EventsPerExposure, 1))
		sd = math.Sqrt(mm.SD*mm.SD/e + mm.ContextSD*mm.ContextSD)
		if p.Metrics[idx].Aggregation == engine.Sum {
			sd = math.Sqrt(e*mm.SD*mm.SD + e*e*mm.ContextSD*mm.ContextSD)
		}
	}
	se := sd * math.Sqrt(2/math.Max(n, 1))
	sign := 1.0
	if p.Metrics[idx].Direction == engine.HigherIsBetter {
		sign = -1
	}
	var effs []string
	for _, k := range defaultEffectMultiples {
		v := sign * round2(k*se)
		if v == 0 {
			v = 0 // not -0
		}
		if mm.Binary && (mm.Rate+v < 0 || mm.Rate+v > 1) {
			continue
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if len(effs) > 0 && effs[len(effs)-1] == s {
			continue
		}
		effs = append(effs, s)
	}
	return "alpha=0.01,0.05;effect=" + strings.Join(effs, ","), nil
}

// round2 rounds to two significant digits.
func round2(x float64) float64 {
	if x == 0 {
		return 0
	}
	e := math.Floor(math.Log10(math.Abs(x))) - 1
	f := math.Pow(10, e)
	v, _ := strconv.ParseFloat(strconv.FormatFloat(math.Round(x/f)*f, 'g', 2, 64), 64)
	return v
}
