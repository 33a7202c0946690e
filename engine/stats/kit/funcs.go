package kit

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/guardsim/guardsim/engine/bucket"
	"github.com/guardsim/guardsim/engine/stats"
)

// errs collects the first argument error of a sequence of reads.
type errs struct{ err error }

func (e *errs) num(a Args, k string, def ...float64) float64 {
	v, err := a.num(k, def...)
	if e.err == nil {
		e.err = err
	}
	return v
}

func (e *errs) boolean(a Args, k string, def bool) bool {
	v, err := a.boolean(k, def)
	if e.err == nil {
		e.err = err
	}
	return v
}

func (e *errs) str(a Args, k, def string) string {
	v, err := a.str(k, def)
	if e.err == nil {
		e.err = err
	}
	return v
}

func (e *errs) vec(a Args, k string) []float64 {
	v, err := a.vec(k)
	if e.err == nil {
		e.err = err
	}
	return v
}

func (e *errs) matrix(a Args, k string) [][]float64 {
	v, err := a.matrix(k)
	if e.err == nil {
		e.err = err
	}
	return v
}

func (e *errs) set(err error) {
	if e.err == nil {
		e.err = err
	}
}

func alternative(e *errs, a Args) stats.Alternative {
	switch s := e.str(a, "alternative", "two-sided"); s {
	case "two-sided", "two_sided":
		return stats.TwoSided
	case "greater":
		return stats.Greater
	case "less":
		return stats.Less
	default:
		e.set(errArg("alternative", "%q is not two-sided, greater or less", s))
	}
	return stats.TwoSided
}

func scale(e *errs, a Args) stats.Scale {
	switch s := e.str(a, "scale", "absolute"); s {
	case "absolute":
		return stats.Absolute
	case "relative":
		return stats.Relative
	default:
		e.set(errArg("scale", "%q is not absolute or relative", s))
	}
	return stats.Absolute
}

// moments reads arm p's moments: p_n with p_sum and p_sumsq, or p_n with
// p_conversions (GrowthBook proportion variance p̂(1−p̂)).
func moments(e *errs, a Args, p string) stats.Moments {
	n := e.num(a, p+"_n")
	if _, ok := a[p+"_conversions"]; ok {
		return stats.ProportionMoments(e.num(a, p+"_conversions"), n)
	}
	return stats.Moments{N: n, Sum: e.num(a, p+"_sum"), SumSq: e.num(a, p+"_sumsq")}
}

func momentParams() []string {
	return []string{"a_n", "a_sum?", "a_sumsq?", "a_conversions?", "b_n", "b_sum?", "b_sumsq?", "b_conversions?"}
}

func result(r stats.Result) map[string]float64 {
	return map[string]float64{"estimate": r.Estimate, "se": r.SE, "lo": r.Lo, "hi": r.Hi, "p": r.P}
}

// interval is the fixed-horizon normal interval and p-value for an
// estimate and standard error.
func interval(est, se, alpha float64, alt stats.Alternative) stats.Result {
	r := stats.Result{Estimate: est, SE: se, Lo: math.Inf(-1), Hi: math.Inf(1), P: 1}
	if !(se > 0) || math.IsInf(se, 1) {
		return r
	}
	z := est / se
	switch alt {
	case stats.Greater:
		r.Lo = est - distuv.UnitNormal.Quantile(1-alpha)*se
		r.P = distuv.UnitNormal.Survival(z)
	case stats.Less:
		r.Hi = est + distuv.UnitNormal.Quantile(1-alpha)*se
		r.P = distuv.UnitNormal.CDF(z)
	default:
		w := distuv.UnitNormal.Quantile(1-alpha/2) * se
		r.Lo, r.Hi = est-w, est+w
		r.P = 2 * distuv.UnitNormal.Survival(math.Abs(z))
	}
	return r
}

// sequential is the GrowthBook asymptotic confidence sequence for an
// estimate with standard error se over n units (s² = n·se²).
func sequential(est, se, n, alpha, nstar float64, alt stats.Alternative) stats.Result {
	r := stats.Result{Estimate: est, SE: se, Lo: math.Inf(-1), Hi: math.Inf(1), P: 1}
	if !(se > 0) || math.IsInf(se, 1) {
		return r
	}
	s2 := se * se * n
	switch alt {
	case stats.Greater, stats.Less:
		rho := stats.Rho(nstar, alpha, true)
		hw := stats.HalfWidthOneSided(s2, n, rho, alpha)
		if alt == stats.Greater {
			r.Lo, r.P = est-hw, stats.OneSidedPValue(est, s2, n, rho)
		} else {
			r.Hi, r.P = est+hw, stats.OneSidedPValue(-est, s2, n, rho)
		}
	default:
		rho := stats.Rho(nstar, alpha, false)
		hw := stats.HalfWidthTwoSided(s2, n, rho, alpha)
		r.Lo, r.Hi, r.P = est-hw, est+hw, stats.TwoSidedPValue(est, s2, n, rho)
	}
	return r
}

func init() {
	register(Func{
		Name:    "sequential_cs",
		Doc:     "GrowthBook sequential (asymptotic confidence-sequence) test of b − a or b/a − 1 on two arms' moments (n, sum, sum of squares, or conversions).",
		Params:  append(momentParams(), "alternative?", "scale?", "alpha?", "nstar?"),
		Outputs: []string{"estimate", "se", "lo", "hi", "p"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			ma, mb := moments(&e, a, "a"), moments(&e, a, "b")
			r := stats.SequentialCS(ma, mb, alternative(&e, a), e.num(a, "alpha", 0.05), e.num(a, "nstar", 5000), scale(&e, a))
			return result(r), e.err
		},
	})
	register(Func{
		Name:    "welch_t",
		Doc:     "GrowthBook fixed-horizon Welch t-test of b − a or b/a − 1 on two arms' moments.",
		Params:  append(momentParams(), "alternative?", "scale?", "alpha?"),
		Outputs: []string{"estimate", "se", "lo", "hi", "p", "df"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			ma, mb := moments(&e, a, "a"), moments(&e, a, "b")
			out := result(stats.WelchT(ma, mb, alternative(&e, a), e.num(a, "alpha", 0.05), scale(&e, a)))
			out["df"] = stats.WelchDF(ma, mb)
			return out, e.err
		},
	})
	register(Func{
		Name:    "growthbook_one_sided_p",
		Doc:     "GrowthBook's one-sided sequential p-value by bisection (and the closed form) for two arms' moments; the alternative is greater or less.",
		Params:  append(momentParams(), "alternative?", "scale?", "alpha?", "nstar?"),
		Outputs: []string{"p", "p_closed_form"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			ma, mb := moments(&e, a, "a"), moments(&e, a, "b")
			d, se := stats.Difference(ma, mb, scale(&e, a))
			if alternative(&e, a) == stats.Less {
				d = -d
			}
			n := ma.N + mb.N
			rho := stats.Rho(e.num(a, "nstar", 5000), e.num(a, "alpha", 0.05), true)
			s2 := se * se * n
			return map[string]float64{"p": stats.OneSidedPValueGrowthBook(d, s2, n, rho), "p_closed_form": stats.OneSidedPValue(d, s2, n, rho)}, e.err
		},
	})
	register(Func{
		Name:    "rho",
		Doc:     "GrowthBook sequential_rho: the normal-mixture parameter for tuning size nstar.",
		Params:  []string{"nstar", "alpha?", "one_sided?"},
		Outputs: []string{"rho"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			return map[string]float64{"rho": stats.Rho(e.num(a, "nstar"), e.num(a, "alpha", 0.05), e.boolean(a, "one_sided", false))}, e.err
		},
	})
	register(Func{
		Name:    "normal_log_mixture",
		Doc:     "confseq normal_log_mixture(s, v, v_opt, alpha_opt, one_sided) and best_rho.",
		Params:  []string{"s", "v", "v_opt", "alpha_opt?", "one_sided?"},
		Outputs: []string{"value", "rho"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			one := e.boolean(a, "one_sided", true)
			ao := e.num(a, "alpha_opt", 0.05)
			if one {
				ao *= 2
			}
			rho := stats.ConfseqBestRho(e.num(a, "v_opt"), ao)
			return map[string]float64{"value": stats.NormalLogMixture(e.num(a, "s"), e.num(a, "v"), rho, one), "rho": rho}, e.err
		},
	})
	register(Func{
		Name:    "normal_mixture_bound",
		Doc:     "confseq normal_mixture_bound(v, alpha, v_opt, alpha_opt, one_sided); growthbook_bound is GrowthBook's closed-form one-sided bound.",
		Params:  []string{"v", "alpha", "v_opt", "alpha_opt?", "one_sided?"},
		Outputs: []string{"bound", "growthbook_bound"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			one := e.boolean(a, "one_sided", true)
			ao := e.num(a, "alpha_opt", 0.05)
			if one {
				ao *= 2
			}
			v, al := e.num(a, "v"), e.num(a, "alpha")
			rho := stats.ConfseqBestRho(e.num(a, "v_opt"), ao)
			return map[string]float64{"bound": stats.NormalMixtureBound(v, al, rho, one), "growthbook_bound": stats.NormalMixtureBoundGrowthBook(v, al, rho)}, e.err
		},
	})
	register(Func{
		Name:    "beta_binomial_log_mixture",
		Doc:     "confseq beta_binomial_log_mixture(s, v, v_opt, g, h, alpha_opt, one_sided).",
		Params:  []string{"s", "v", "v_opt", "g", "h", "alpha_opt?", "one_sided?"},
		Outputs: []string{"value"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			m := betaBinomial(&e, a)
			return map[string]float64{"value": m.LogMixture(e.num(a, "s"), e.num(a, "v"))}, e.err
		},
	})
	register(Func{
		Name:    "beta_binomial_bound",
		Doc:     "confseq beta_binomial_mixture_bound(v, alpha, v_opt, g, h, alpha_opt, one_sided).",
		Params:  []string{"v", "alpha", "v_opt", "g", "h", "alpha_opt?", "one_sided?"},
		Outputs: []string{"bound"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			m := betaBinomial(&e, a)
			return map[string]float64{"bound": m.Bound(e.num(a, "v"), e.num(a, "alpha"))}, e.err
		},
	})
	register(Func{
		Name:    "bernoulli_cs",
		Doc:     "confseq bernoulli_confidence_interval(successes, trials, alpha, t_opt): anytime-valid interval for a proportion.",
		Params:  []string{"successes", "trials", "alpha?", "t_opt"},
		Outputs: []string{"lo", "hi"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			lo, hi := stats.BernoulliCS(e.num(a, "successes"), int(e.num(a, "trials")), e.num(a, "alpha", 0.05), e.num(a, "t_opt"))
			return map[string]float64{"lo": lo, "hi": hi}, e.err
		},
	})
	register(Func{
		Name:    "quantile_ab_test",
		Doc:     "Howard–Ramdas two-sided anytime-valid test of equal p-quantiles (confseq quantile_ab_p_value) on two samples a and b.",
		Params:  []string{"a", "b", "p", "t_opt", "alpha_opt?"},
		Outputs: []string{"p_value"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			x, y := sortedCopy(e.vec(a, "a")), sortedCopy(e.vec(a, "b"))
			if e.err != nil {
				return nil, e.err
			}
			return map[string]float64{"p_value": stats.QuantileABPValue(x, y, e.num(a, "p"), e.num(a, "t_opt"), e.num(a, "alpha_opt", 0.05))}, e.err
		},
	})
	register(Func{
		Name:    "quantile_greater_test",
		Doc:     "guardsim's one-sided Howard–Ramdas test: anytime-valid p-value against H0 q_b ≤ (1+m_rel)·q_a + m_abs for the p-quantiles of samples a and b.",
		Params:  []string{"a", "b", "p", "t_opt", "alpha_opt?", "margin?", "relative?"},
		Outputs: []string{"p_value", "log_e"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			x, y := sortedCopy(e.vec(a, "a")), sortedCopy(e.vec(a, "b"))
			m := stats.Margin{Value: e.num(a, "margin", 0), Relative: e.boolean(a, "relative", false)}
			if e.err != nil {
				return nil, e.err
			}
			s, d := m.Null(true)
			le := stats.QuantileGreaterLogE(x, y, e.num(a, "p"), e.num(a, "t_opt"), e.num(a, "alpha_opt", 0.05), stats.QuantileShift{Scale: s, Shift: d})
			return map[string]float64{"p_value": math.Min(1, math.Exp(-le)), "log_e": le}, e.err
		},
	})
	register(Func{
		Name: "quantile_ci",
		Doc: "GrowthBook quantile difference b − a (or relative) from each arm's n, quantile q and outer-interval bounds l and u at grid size nstar_grid (default n), " +
			"with a fixed-horizon normal interval (sequential=true: the asymptotic confidence sequence with tuning nstar).",
		Params:  []string{"nu", "a_n", "a_q", "a_l", "a_u", "a_nstar_grid?", "b_n", "b_q", "b_l", "b_u", "b_nstar_grid?", "scale?", "alternative?", "alpha?", "sequential?", "nstar?"},
		Outputs: []string{"estimate", "se", "lo", "hi", "p", "a_variance", "b_variance", "usable"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			nu := e.num(a, "nu")
			arm := func(p string) stats.QuantileStat {
				n := e.num(a, p+"_n")
				return stats.QuantileStat{Nu: nu, N: n, NStar: e.num(a, p+"_nstar_grid", n), Q: e.num(a, p+"_q"), L: e.num(a, p+"_l"), U: e.num(a, p+"_u")}
			}
			qa, qb := arm("a"), arm("b")
			est, se := stats.QuantileDiff(qa, qb, scale(&e, a))
			alt, alpha := alternative(&e, a), e.num(a, "alpha", 0.05)
			var r stats.Result
			if e.boolean(a, "sequential", false) {
				r = sequential(est, se, qa.N+qb.N, alpha, e.num(a, "nstar", 5000), alt)
			} else {
				r = interval(est, se, alpha, alt)
			}
			out := result(r)
			out["a_variance"], out["b_variance"] = qa.Variance(), qb.Variance()
			out["usable"] = b2f(qa.Usable() && qb.Usable())
			return out, e.err
		},
	})
	register(Func{
		Name:    "quantile_from_sample",
		Doc:     "The quantile summary guardsim computes from raw values: n, quantile, outer-interval bounds (n* = n), variance, and whether n passes the minimum-n rule.",
		Params:  []string{"x", "nu"},
		Outputs: []string{"n", "q", "l", "u", "variance", "min_n", "usable"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			x := sortedCopy(e.vec(a, "x"))
			nu := e.num(a, "nu")
			if e.err != nil {
				return nil, e.err
			}
			q := stats.QuantileFromSorted(x, nu)
			return map[string]float64{"n": q.N, "q": q.Q, "l": q.L, "u": q.U, "variance": q.Variance(), "min_n": stats.QuantileMinN(nu), "usable": b2f(q.Usable())}, nil
		},
	})
	register(Func{
		Name: "ratio_test",
		Doc: "gbstats ratio metric: difference of ratios Σm/Σd between arms with the delta-method variance including the numerator–denominator covariance. " +
			"test = welch (Student t, Welch df from the ratio variances), z, or sequential (asymptotic confidence sequence).",
		Params: []string{"a_n", "a_sum_m", "a_sumsq_m", "a_sum_d", "a_sumsq_d", "a_sum_md", "b_n", "b_sum_m", "b_sumsq_m", "b_sum_d", "b_sumsq_d", "b_sum_md",
			"scale?", "alternative?", "alpha?", "test?", "nstar?"},
		Outputs: []string{"estimate", "se", "lo", "hi", "p", "df", "a_ratio", "b_ratio", "a_unit_var", "b_unit_var"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			arm := func(p string) stats.RatioMoments {
				return stats.RatioMoments{N: e.num(a, p+"_n"), SumM: e.num(a, p+"_sum_m"), SumSqM: e.num(a, p+"_sumsq_m"),
					SumD: e.num(a, p+"_sum_d"), SumSqD: e.num(a, p+"_sumsq_d"), SumMD: e.num(a, p+"_sum_md")}
			}
			ra, rb := arm("a"), arm("b")
			est, se := stats.RatioDiff(ra, rb, scale(&e, a))
			alt, alpha := alternative(&e, a), e.num(a, "alpha", 0.05)
			df := stats.RatioWelchDF(ra, rb)
			var r stats.Result
			switch t := e.str(a, "test", "welch"); t {
			case "welch":
				r = tInterval(est, se, df, alpha, alt)
			case "z":
				r = interval(est, se, alpha, alt)
			case "sequential":
				r = sequential(est, se, ra.N+rb.N, alpha, e.num(a, "nstar", 5000), alt)
			default:
				e.set(errArg("test", "%q is not welch, z or sequential", t))
			}
			out := result(r)
			out["df"], out["a_ratio"], out["b_ratio"] = df, ra.Ratio(), rb.Ratio()
			out["a_unit_var"], out["b_unit_var"] = ra.UnitVar(), rb.UnitVar()
			return out, e.err
		},
	})
	register(Func{
		Name:    "covariance",
		Doc:     "Unbiased covariance of paired lists m and d (gbstats compute_covariance).",
		Params:  []string{"m", "d"},
		Outputs: []string{"cov"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			m, d := e.vec(a, "m"), e.vec(a, "d")
			if e.err == nil && len(m) != len(d) {
				e.set(errArg("d", "has %d values, m has %d", len(d), len(m)))
			}
			if e.err != nil {
				return nil, e.err
			}
			var r stats.RatioMoments
			for i := range m {
				r.Add(m[i], d[i])
			}
			return map[string]float64{"cov": r.Cov()}, nil
		},
	})
	register(Func{
		Name: "ssrm",
		Doc: "Optimizely ssrm sequential SRM test: rows of counts (one per batch; one-hot rows for unit-level data) against the null split theta, " +
			"prior Dirichlet concentration k (default 10000) or explicit prior a0. Outputs after the last row.",
		Params:  []string{"data", "theta", "k?", "a0?"},
		Outputs: []string{"log_bf", "p_value", "posterior", "log_m1", "log_m0"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			data, theta := e.matrix(a, "data"), e.vec(a, "theta")
			if e.err != nil {
				return nil, e.err
			}
			var s *stats.SequentialSRM
			if _, ok := a["a0"]; ok {
				s = stats.NewSequentialSRMWithPrior(e.vec(a, "a0"), theta)
			} else {
				s = stats.NewSequentialSRM(e.num(a, "k", 10000))
				s.TrackMarginals()
				s.StartStep(theta)
			}
			for i, row := range data {
				if len(row) != len(theta) {
					e.set(errArg("data", "row %d has %d counts, theta has %d", i+1, len(row), len(theta)))
					break
				}
				s.Observe(row)
			}
			return map[string]float64{"log_bf": s.LogBF(), "p_value": s.PValue(), "posterior": s.Posterior(), "log_m1": s.LogM1(), "log_m0": s.LogM0()}, e.err
		},
	})
	register(Func{
		Name:    "chi_square_srm",
		Doc:     "Classical χ² goodness-of-fit SRM test (GrowthBook check_srm) of counts against weights.",
		Params:  []string{"counts", "weights"},
		Outputs: []string{"x2", "p"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			c, w := e.vec(a, "counts"), e.vec(a, "weights")
			if e.err == nil && len(c) != len(w) {
				e.set(errArg("weights", "has %d values, counts has %d", len(w), len(c)))
			}
			if e.err != nil {
				return nil, e.err
			}
			x2, p := stats.ChiSquareGOF(c, w)
			return map[string]float64{"x2": x2, "p": p}, nil
		},
	})
	register(Func{
		Name:    "msprt_tau2",
		Doc:     "mixtureSPRT calcTau (unrounded τ²) for alpha, per-pair sigma and truncation m.",
		Params:  []string{"alpha", "sigma", "m"},
		Outputs: []string{"tau2"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			return map[string]float64{"tau2": stats.CalcTau2(e.num(a, "alpha"), e.num(a, "sigma"), e.num(a, "m"))}, e.err
		},
	})
	register(Func{
		Name:    "msprt_vform",
		Doc:     "mSPRT in estimator form: likelihood ratio, p-value and interval for estimate d with variance v and mixing variance tau2.",
		Params:  []string{"d", "v", "tau2", "alpha"},
		Outputs: []string{"lo", "hi", "p", "lambda"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			lo, hi, p, l := stats.MSPRTVForm(e.num(a, "d"), e.num(a, "v"), e.num(a, "tau2"), e.num(a, "alpha"))
			return map[string]float64{"lo": lo, "hi": hi, "p": p, "lambda": l}, e.err
		},
	})
	register(Func{
		Name:    "msprt_paired",
		Doc:     "mixtureSPRT paired-stream mSPRT on x − y: likelihood ratio and running-minimum p-value after the pair at index n (1-based; default the last).",
		Params:  []string{"x", "y", "sigma", "tau2", "theta0?", "n?"},
		Outputs: []string{"lambda", "p"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			x, y := e.vec(a, "x"), e.vec(a, "y")
			if e.err == nil && len(x) != len(y) {
				e.set(errArg("y", "has %d values, x has %d", len(y), len(x)))
			}
			if e.err != nil {
				return nil, e.err
			}
			l := stats.MSPRTPaired(x, y, e.num(a, "sigma"), e.num(a, "tau2"), e.num(a, "theta0", 0))
			p := stats.RunningMinP(l)
			n := int(e.num(a, "n", float64(len(l))))
			if e.err == nil && (n < 1 || n > len(l)) {
				e.set(errArg("n", "%d is outside 1…%d", n, len(l)))
			}
			if e.err != nil {
				return nil, e.err
			}
			return map[string]float64{"lambda": l[n-1], "p": p[n-1]}, nil
		},
	})
	register(Func{
		Name:    "bucket",
		Doc:     "LaunchDarkly bucketing: the float32 bucket value and the integer bucket (0…99999, exact integer arithmetic) of a context key for a flag key and salt, or a seed.",
		Params:  []string{"key", "flag_key?", "salt?", "seed?"},
		Outputs: []string{"bucket", "bucket_int"},
		Eval: func(a Args) (map[string]float64, error) {
			var e errs
			key := e.str(a, "key", "")
			if v, ok := a["key"].(float64); ok { // numeric keys from a CSV cell
				key = trimFloat(v)
				e.err = nil
			}
			var h bucket.Hasher
			if _, ok := a["seed"]; ok {
				h = bucket.ForSeed(int64(e.num(a, "seed")))
			} else {
				h = bucket.ForFlag(e.str(a, "flag_key", ""), e.str(a, "salt", ""))
			}
			return map[string]float64{"bucket": float64(h.Value(key)), "bucket_int": float64(h.IntBucket(key))}, e.err
		},
	})
}

func tInterval(est, se, df, alpha float64, alt stats.Alternative) stats.Result {
	r := stats.Result{Estimate: est, SE: se, Lo: math.Inf(-1), Hi: math.Inf(1), P: 1}
	if !(se > 0) || math.IsInf(se, 1) || !(df > 0) {
		return r
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	z := est / se
	switch alt {
	case stats.Greater:
		r.Lo, r.P = est-t.Quantile(1-alpha)*se, t.Survival(z)
	case stats.Less:
		r.Hi, r.P = est+t.Quantile(1-alpha)*se, t.CDF(z)
	default:
		w := t.Quantile(1-alpha/2) * se
		r.Lo, r.Hi, r.P = est-w, est+w, 2*t.Survival(math.Abs(z))
	}
	return r
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedCopy(x []float64) []float64 {
	out := append([]float64(nil), x...)
	sortFloats(out)
	return out
}

// betaBinomial builds the confseq beta-binomial mixture from the arguments
// shared by beta_binomial_log_mixture and beta_binomial_bound.
func betaBinomial(e *errs, a Args) stats.BetaBinomialMixture {
	return stats.NewBetaBinomialMixture(e.num(a, "v_opt"), e.num(a, "alpha_opt", 0.05), e.num(a, "g"), e.num(a, "h"), e.boolean(a, "one_sided", true))
}
