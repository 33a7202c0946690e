package detect

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
)

// ZTest is the teaching baseline: a fixed-horizon one-sided z-test of the
// step-stratified difference at level Alpha, either at every check
// (EveryCheck, "naive peeking", whose false-positive rate grows with the
// number of looks — Armitage, McPherson and Rowe 1969) or only when a step
// ends ("fixed horizon", one look per step).
type ZTest struct {
	Alpha      float64
	MinPerArm  int
	EveryCheck bool
}

// Name implements engine.DetectorFactory.
func (z ZTest) Name() string {
	if z.EveryCheck {
		return "naive-peeking"
	}
	return "fixed-horizon"
}

// NewDetectors implements engine.DetectorFactory.
func (z ZTest) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	if !(z.Alpha > 0 && z.Alpha < 0.5) {
		return nil, fmt.Errorf("alpha %g must be in (0, 0.5)", z.Alpha)
	}
	crit := normQuantile(1 - z.Alpha)
	return each(p, func(int) engine.Detector { return &zDetector{z: z, crit: crit} }), nil
}

type zDetector struct {
	z    ZTest
	crit float64
}

func (d *zDetector) Check(in *engine.DetectorInput) engine.Verdict {
	diff, ok := stats.Stratify(in.Strata)
	if !ok {
		return engine.Verdict{Score: 1, Note: "no step has two contexts with varying values in each arm"}
	}
	se := math.Sqrt(diff.V)
	zv := harmSign(in.Metric) * diff.Estimate / se
	v := engine.Verdict{
		Estimated: true, Estimate: diff.Estimate, StdErr: se,
		Lower: diff.Estimate - d.crit*se, Upper: diff.Estimate + d.crit*se,
		Score: normSurvival(zv),
	}
	switch {
	case diff.NA < float64(d.z.MinPerArm) || diff.NB < float64(d.z.MinPerArm):
		v.Note = "fewer than min_per_arm contexts in an arm"
	case !d.z.EveryCheck && !in.StepEnded:
		v.Kind = engine.VerdictPass
		v.Note = "tests only at the step's end"
	case v.Score < d.z.Alpha:
		v.Kind = engine.VerdictRegression
		v.Note = fmt.Sprintf("z = %.3f, one-sided p = %.3g < %g", zv, v.Score, d.z.Alpha)
	default:
		v.Kind = engine.VerdictPass
		v.Note = fmt.Sprintf("z = %.3f, one-sided p = %.3g", zv, v.Score)
	}
	return v
}
