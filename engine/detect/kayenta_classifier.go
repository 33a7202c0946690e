package detect

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Kayenta's metric classifier (kayenta-judge MannWhitneyClassifier.scala),
// as described in docs/ reference §4(a): Mann–Whitney interval of the shift
// experiment − control, bounds ±tolerance·|estimate|, an effect-size gate
// (mean ratio by default) and critical thresholds.

// KayentaClass is a metric classification.
type KayentaClass uint8

const (
	KayentaPass KayentaClass = iota
	KayentaHigh
	KayentaLow
	KayentaNodata
)

func (c KayentaClass) String() string {
	switch c {
	case KayentaHigh:
		return "High"
	case KayentaLow:
		return "Low"
	case KayentaNodata:
		return "Nodata"
	}
	return "Pass"
}

// KayentaDirection is the direction of change that fails a metric.
type KayentaDirection uint8

const (
	KayentaEither KayentaDirection = iota // Kayenta's default
	KayentaIncrease
	KayentaDecrease
)

// KayentaClassifier holds the classifier's settings.
type KayentaClassifier struct {
	Tolerance float64 // 0.25 in NetflixACAJudge
	ConfLevel float64 // 0.98 in NetflixACAJudge (class default 0.95)
	Direction KayentaDirection
	// AllowedIncrease/AllowedDecrease gate High/Low on the effect size
	// (mean ratio experiment/control); both default 1.
	AllowedIncrease, AllowedDecrease float64
	// Critical metrics fail the whole canary; CriticalIncrease/Decrease
	// are their effect-size thresholds (default 1).
	Critical                           bool
	CriticalIncrease, CriticalDecrease float64
	// RemoveNaN drops NaN values (nanStrategy "remove"); otherwise they
	// are replaced by 0 (Kayenta's "replace", its default).
	RemoveNaN bool
}

// KayentaResult is one classification.
type KayentaResult struct {
	Class KayentaClass
	// IsCritical: a critical metric failed (or had no data).
	IsCritical bool
	MW         MannWhitneyResult
	EffectSize float64
	Note       string
}

// DefaultKayentaClassifier is the classifier NetflixACAJudge builds.
func DefaultKayentaClassifier() KayentaClassifier {
	return KayentaClassifier{Tolerance: 0.25, ConfLevel: 0.98, AllowedIncrease: 1, AllowedDecrease: 1, CriticalIncrease: 1, CriticalDecrease: 1}
}

// Classify classifies experiment against control. rng supplies the tiny
// noise Kayenta adds when both samples are constant.
func (k KayentaClassifier) Classify(control, experiment []float64, rng *rand.Rand) KayentaResult {
	clean := func(v []float64) []float64 {
		out := make([]float64, 0, len(v))
		for _, x := range v {
			if math.IsNaN(x) {
				if k.RemoveNaN {
					continue
				}
				x = 0
			}
			out = append(out, x)
		}
		return out
	}
	c, e := clean(control), clean(experiment)
	if len(c) == 0 || len(e) == 0 {
		if k.RemoveNaN {
			return KayentaResult{Class: KayentaNodata, IsCritical: k.Critical, Note: "no data"}
		}
		return KayentaResult{Class: KayentaPass, Note: "no data (pass, as Kayenta does without nanStrategy remove)"}
	}
	sc, se := slices.Sorted(slices.Values(c)), slices.Sorted(slices.Values(e))
	if slices.Equal(sc, se) {
		return KayentaResult{Class: KayentaPass, Note: "identical samples"}
	}
	if sc[0] == sc[len(sc)-1] && se[0] == se[len(se)-1] {
		if sc[0] == se[0] {
			return KayentaResult{Class: KayentaPass, Note: "one distinct value"}
		}
		c = jitter(c, rng)
		e = jitter(e, rng)
	}
	mw, err := MannWhitney(e, c, k.ConfLevel)
	if err != nil {
		return KayentaResult{Class: KayentaPass, Note: err.Error()}
	}
	effect := meanOf(e) / meanOf(c)
	if meanOf(c) == 0 || meanOf(e) == 0 {
		effect = math.NaN()
	}
	critical := k.Tolerance * math.Abs(mw.Estimate)
	lower, upper := -critical, critical
	r := KayentaResult{MW: mw, EffectSize: effect}
	switch {
	case k.Direction != KayentaDecrease && mw.Lower > upper && (math.IsNaN(effect) || effect >= k.AllowedIncrease):
		r.Class = KayentaHigh
		r.IsCritical = k.Critical && (math.IsNaN(effect) || effect >= k.CriticalIncrease)
	case k.Direction != KayentaIncrease && mw.Upper < lower && (math.IsNaN(effect) || effect <= k.AllowedDecrease):
		r.Class = KayentaLow
		r.IsCritical = k.Critical && (math.IsNaN(effect) || effect <= k.CriticalDecrease)
	}
	return r
}

func jitter(v []float64, rng *rand.Rand) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x + rng.NormFloat64()*x*1e-5
	}
	return out
}

func meanOf(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
