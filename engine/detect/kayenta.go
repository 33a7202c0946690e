package detect

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/guardsim/guardsim/engine"
)

// Kayenta is Spinnaker Kayenta's NetflixACAJudge on guardsim's data: each
// metric's time series is its per-arm value in each check interval since
// the start (experiment = new, control = original), classified by the
// Mann–Whitney classifier (tolerance 0.25, confidence 0.98 as the judge
// builds it); the metrics form one group whose score is 100·#Pass/#judged
// (WeightedSumScorer), forced to 0 when a critical metric fails or when 50%
// or more of the metrics have no data. As in standalone canary analysis the
// marginal threshold is a fail-fast bound checked at every check and the
// pass threshold is required at each step's end (ThresholdScoreClassifier;
// Spinnaker configs commonly use 95/75).
type Kayenta struct {
	Classifier      KayentaClassifier
	Pass, Marginal  float64
	EitherDirection bool // Kayenta's default "either"; else the metric's harmful direction
}

// Name implements engine.DetectorFactory.
func (Kayenta) Name() string { return "kayenta" }

// NewDetectors implements engine.DetectorFactory.
func (k Kayenta) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	c := k.Classifier
	if !(c.ConfLevel > 0 && c.ConfLevel < 1) || c.Tolerance < 0 || !(k.Marginal <= k.Pass) || k.Pass > 100 || k.Marginal < 0 {
		return nil, fmt.Errorf("kayenta: confidence %g must be in (0, 1), tolerance %g ≥ 0, 0 ≤ marginal %g ≤ pass %g ≤ 100", c.ConfLevel, c.Tolerance, k.Marginal, k.Pass)
	}
	return each(p, func(i int) engine.Detector {
		kc := c
		switch {
		case k.EitherDirection:
			kc.Direction = KayentaEither
		case p.Metrics[i].Direction == engine.HigherIsBetter:
			kc.Direction = KayentaDecrease
		default:
			kc.Direction = KayentaIncrease
		}
		// The noise Kayenta adds to constant samples comes from a
		// seeded source, so a rollout is reproducible.
		pcg := rand.NewPCG(uint64(p.Seed), uint64(i))
		return &kayentaDetector{c: kc, rng: rand.New(pcg), pcg: pcg}
	}), nil
}

// Score implements engine.Scorer: the group score and its thresholds.
func (k Kayenta) Score(vs []engine.Verdict, stepEnded bool) (bool, int, float64, string) {
	var pass, judged, nodata int
	blame, critical := -1, false
	for i, v := range vs {
		switch v.Kind {
		case engine.VerdictPass:
			pass++
			judged++
		case engine.VerdictRegression:
			judged++
			if blame < 0 || (v.Critical && !critical) {
				blame = i
			}
			critical = critical || v.Critical
		default:
			nodata++
			if v.Critical {
				critical = true
			}
		}
	}
	score := 100.0
	if judged > 0 {
		score = math.Round(100*float64(pass)/float64(judged)*100) / 100
	}
	why := ""
	switch {
	case critical:
		score, why = 0, " (a critical metric failed)"
	case len(vs) > 0 && 2*nodata >= len(vs):
		score, why = 0, " (50% or more of the metrics have no data)"
	}
	note := fmt.Sprintf("score %.2f%s", score, why)
	switch {
	case score < k.Marginal:
		return true, blame, score, note + fmt.Sprintf(" below the marginal threshold %g", k.Marginal)
	case stepEnded && score < k.Pass:
		return true, blame, score, note + fmt.Sprintf(" below the pass threshold %g at the step's end", k.Pass)
	}
	return false, -1, score, note
}

type kayentaDetector struct {
	c          KayentaClassifier
	rng        *rand.Rand
	pcg        *rand.PCG // rng's source, for snapshots
	iv         intervals
	ctl, exper []float64
}

func (d *kayentaDetector) Check(in *engine.DetectorInput) engine.Verdict {
	vals, _ := d.iv.next(in.Strata)
	d.ctl = append(d.ctl, vals[0])
	d.exper = append(d.exper, vals[1])
	r := d.c.Classify(d.ctl, d.exper, d.rng)
	v := engine.Verdict{Score: r.EffectSize, Critical: r.IsCritical}
	if r.MW != (MannWhitneyResult{}) {
		v.Estimated, v.Estimate, v.Lower, v.Upper = true, r.MW.Estimate, r.MW.Lower, r.MW.Upper
	}
	switch r.Class {
	case KayentaHigh, KayentaLow:
		v.Kind = engine.VerdictRegression
		v.Note = fmt.Sprintf("%s: shift %.4g, %g%% interval [%.4g, %.4g] beyond ±%g·|shift|, mean ratio %.4g over %d intervals",
			r.Class, r.MW.Estimate, 100*d.c.ConfLevel, r.MW.Lower, r.MW.Upper, d.c.Tolerance, r.EffectSize, len(d.ctl))
	case KayentaNodata:
		v.Note = "Nodata"
	default:
		v.Kind = engine.VerdictPass
		v.Note = fmt.Sprintf("Pass over %d intervals", len(d.ctl))
		if r.Note != "" {
			v.Note += " (" + r.Note + ")"
		}
	}
	if math.IsNaN(v.Score) {
		v.Score = 0
	}
	return v
}
