package reports

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
)

// fixtureOpts tunes the fabricated rollout.
type fixtureOpts struct {
	// Effect is the latency shift (ms) of the new variation from step
	// EffectStep on (0: no regression; the rollout completes).
	Effect     float64
	EffectStep int
	// StepHours is the duration of each of the 5 steps.
	StepHours int
	// PerPercent is the contexts per hour per arm per percent of traffic.
	PerPercent float64
	Seed       uint64
}

var fixtureStart = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// fixtureResult fabricates a plausible rollout: 1→5→10→25→50% steps with
// hourly checks, a latency regression appearing at step 4 that is detected
// a few hours in and rolled back, plus a conversion metric without effect.
func fixtureResult() *engine.Result {
	return makeFixture(fixtureOpts{Effect: 20, EffectStep: 4, StepHours: 24, PerPercent: 40, Seed: 7})
}

// arm accumulates per-context values of one metric in one arm.
type arm struct{ n, sum, sumsq float64 }

func (a *arm) add(n, mean, sd float64) {
	// n values with the given mean and (population) sd.
	a.n += n
	a.sum += n * mean
	a.sumsq += n * (sd*sd + mean*mean)
}

func (a arm) stats() engine.ArmStats {
	if a.n == 0 {
		return engine.ArmStats{}
	}
	m := a.sum / a.n
	v := 0.0
	if a.n > 1 {
		v = (a.sumsq - a.n*m*m) / (a.n - 1)
	}
	return engine.ArmStats{N: int(a.n), Mean: m, Var: v}
}

func makeFixture(o fixtureOpts) *engine.Result {
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	steps := schedule.Default(time.Duration(o.StepHours) * time.Hour)
	pol := engine.Policy{
		ProjectKey: "shop", EnvironmentKey: "production", FlagKey: "new-checkout",
		ContextKind: "user", Seed: 424242, Steps: steps,
		Metrics: []engine.Metric{
			{Key: "latency_ms", Kind: engine.Numeric, Aggregation: engine.Mean, Direction: engine.LowerIsBetter, Unit: "ms"},
			{Key: "checkout/conversion", Kind: engine.Binary, Direction: engine.HigherIsBetter, NoAutoRollback: true},
		},
	}.WithDefaults()
	alpha := pol.MetricAlpha()
	res := &engine.Result{Policy: pol, Start: fixtureStart}

	type metricSim struct {
		mean, sd float64
		effect   float64
		arms     [2]arm
		minP     float64
	}
	ms := []*metricSim{{mean: 250, sd: 80, effect: o.Effect, minP: 1}, {mean: 0.12, sd: math.Sqrt(0.12 * 0.88), minP: 1}}
	var ctx [2]int
	total := len(steps) * o.StepHours
	out := engine.Outcome{Status: engine.StatusCompleted, Seed: pol.Seed}
	stepNew := 0
	for h := 0; h <= total; h++ {
		// As the engine does, a check carries the step it evaluated: the
		// check that advances is the last of its step.
		step := 1
		if h > 0 {
			step = (h-1)/o.StepHours + 1
		}
		dec := engine.DecisionContinue
		switch {
		case h == 0:
			dec = engine.DecisionStart
		case h == total:
			dec = engine.DecisionComplete
		case h%o.StepHours == 0:
			dec = engine.DecisionAdvance
		}
		if h > 0 && (h-1)%o.StepHours == 0 {
			stepNew = 0
		}
		pct := steps[step-1].Percent
		// Traffic of the past hour, served at the previous hour's step.
		if h > 0 {
			prev := steps[(h-1)/o.StepHours]
			for a := 0; a < 2; a++ {
				n := math.Round(o.PerPercent * prev.Percent * (1 + 0.05*rng.NormFloat64()))
				ctx[a] += int(n)
				if a == 1 {
					stepNew += int(n)
				}
				for _, m := range ms {
					mu := m.mean
					if a == 1 && (h-1)/o.StepHours+1 >= o.EffectStep && m.effect != 0 {
						mu += m.effect
					}
					hourMean := mu + m.sd/math.Sqrt(n)*rng.NormFloat64()
					m.arms[a].add(n, hourMean, m.sd)
				}
			}
		}
		c := engine.Check{
			Time: fixtureStart.Add(time.Duration(h) * time.Hour), Elapsed: time.Duration(h) * time.Hour,
			Step: step, Percent: pct, Contexts: ctx, StepNewContexts: stepNew, Decision: dec,
		}
		regressed := ""
		for i, m := range ms {
			mc := engine.MetricCheck{Key: pol.Metrics[i].Key, Original: m.arms[0].stats(), New: m.arms[1].stats()}
			if mc.Original.N >= pol.MinPerArm && mc.New.N >= pol.MinPerArm {
				mc.Ready = true
				mc.Estimate = mc.New.Mean - mc.Original.Mean
				mc.StdErr = math.Sqrt(mc.New.Var/float64(mc.New.N) + mc.Original.Var/float64(mc.Original.N))
				n := math.Min(float64(mc.New.N), float64(mc.Original.N))
				rho := pol.NStar
				hw := mc.StdErr * math.Sqrt((n+rho)/n*math.Log((n+rho)/(rho*alpha*alpha)))
				mc.Lower, mc.Upper = mc.Estimate-hw, mc.Estimate+hw
				harm := mc.Estimate / hw
				if pol.Metrics[i].Direction == engine.HigherIsBetter {
					harm = -harm
				}
				p := 1.0
				if harm > 0 {
					p = math.Pow(alpha, harm)
				}
				m.minP = math.Min(m.minP, p)
				mc.PValue = m.minP
				mc.Regressed = harm > 1
				if mc.Regressed && regressed == "" {
					regressed = mc.Key
				}
			}
			c.Metrics = append(c.Metrics, mc)
		}
		n0, n1 := float64(ctx[0]), float64(ctx[1])
		if n0+n1 > 0 {
			e := (n0 + n1) / 2
			chi := ((n0-e)*(n0-e) + (n1-e)*(n1-e)) / e
			c.SRM = engine.SRMCheck{ChiSquare: chi, ChiSquareP: math.Erfc(math.Sqrt(chi / 2)), LogBF: -0.5 * math.Log1p((n0+n1)/pol.SRMConcentration), PValue: 1}
		}
		if regressed != "" {
			c.Decision, c.Reason, c.Metric = engine.DecisionRollback, engine.ReasonRegression, regressed
			c.Note = "interval for " + regressed + " lies entirely on the harmful side"
			out.Status, out.Reason, out.Metric = engine.StatusRolledBack, engine.ReasonRegression, regressed
		}
		res.Timeline = append(res.Timeline, c)
		if regressed != "" || h == total {
			out.Time, out.Elapsed, out.Step, out.Percent = c.Time, c.Elapsed, c.Step, c.Percent
			if regressed == "" {
				out.Step, out.Percent = len(steps)+1, 100
			}
			out.NewContexts = ctx[1]
			if regressed != "" {
				mc := c.Metrics[0]
				base := engine.Alert{Time: c.Time, ProjectKey: pol.ProjectKey, EnvironmentKey: pol.EnvironmentKey, FlagKey: pol.FlagKey, Step: c.Step, Percent: c.Percent, Estimate: mc.Estimate, Lower: mc.Lower, Upper: mc.Upper}
				trig, rev := base, base
				trig.Kind, trig.Metric, trig.Summary = engine.AlertRegression, regressed, "Regression detected on "+regressed
				rev.Kind, rev.Reason, rev.Summary = engine.AlertReverted, engine.ReasonRegression, "Rollout of new-checkout reverted"
				out.Alerts = []engine.AlertRecord{
					{Alert: trig, Delivered: true},
					{Alert: rev, Delivered: false, Error: "pagerduty: 503 Service Unavailable after 3 attempts"},
				}
			}
			out.Counters = engine.Counters{Events: int64(3 * (ctx[0] + ctx[1])), Exposures: int64(ctx[0] + ctx[1]), MetricEvents: int64(2 * (ctx[0] + ctx[1])), Unattributed: 17, OutsideExposures: 123456}
			break
		}
	}
	res.Outcome = out
	return res
}
