package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// ctxAgg is what FromEvents remembers of one context.
type ctxAgg struct {
	first     int64 // time of the first exposure
	exposures int
	treated   bool // first exposure served the new variation
	metrics   []metricAgg
}

type metricAgg struct {
	count int
	sum   float64
	first int64 // time of the first event
}

// FromEvents measures a traffic profile from an export: the exposures of
// policy p's context kind give the hourly arrival profile (exposures per
// hour by UTC hour of day, averaged over the export's span) and, from the
// ratio of distinct contexts to exposures, the population of returning
// contexts; the metric events give each metric's data rate, delay, and the
// mean and variance of the per-context value as the engine forms it. To
// keep an injected or real effect out of the baseline, the contexts first
// served the new variation are left out of the metric statistics when at
// least 30 others exist. start is the planned rollout's start (zero: the
// first event's time). src's context keys are kept, so it must not reuse
// their storage.
func FromEvents(ctx context.Context, src engine.Source, p engine.Policy, start time.Time) (*Profile, error) {
	p = p.WithDefaults()
	nm := len(p.MetricKeys()) // metrics, then ratio components
	ctxs := map[string]*ctxAgg{}
	buf := make([]engine.Event, 4096)
	var first, last int64
	var exposures int64
	hourly := map[int64]int64{} // absolute hour → exposures
	seenAny := false
	for {
		n, err := src.Read(ctx, buf)
		for i := range buf[:n] {
			ev := &buf[i]
			if !seenAny {
				first, seenAny = ev.Time, true
			}
			last = ev.Time
			switch ev.Kind {
			case engine.KindExposure:
				if ev.ContextKind != p.ContextKind && !(ev.ContextKind == "" && p.ContextKind == "user") {
					continue
				}
				exposures++
				hourly[floorDiv(ev.Time, int64(time.Hour))]++
				c := ctxs[ev.ContextKey]
				if c == nil {
					c = &ctxAgg{first: ev.Time, treated: ev.Variation == engine.New, metrics: make([]metricAgg, nm)}
					ctxs[strings.Clone(ev.ContextKey)] = c
				}
				c.exposures++
			case engine.KindMetric:
				m := int(ev.Metric)
				c := ctxs[ev.ContextKey]
				if c == nil || m < 0 || m >= nm || math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
					continue
				}
				a := &c.metrics[m]
				if a.count == 0 {
					a.first = ev.Time
				}
				a.count++
				a.sum += ev.Value
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("plan: read events: %w", err)
		}
	}
	if exposures == 0 {
		return nil, fmt.Errorf("plan: the events have no exposures of context kind %q", p.ContextKind)
	}
	span := time.Duration(last - first)
	if span < time.Hour {
		return nil, fmt.Errorf("plan: the exposures span %v; at least an hour is needed to measure a traffic profile", span)
	}
	if start.IsZero() {
		start = time.Unix(0, first).UTC()
	}
	prof := &Profile{
		Start:      start,
		Traffic:    hourlyProfile(hourly, first, last),
		Population: population(float64(len(ctxs)), float64(exposures)),
	}
	// Baseline contexts: not first served the new variation, if enough.
	var base []*ctxAgg
	for _, c := range ctxs {
		if !c.treated {
			base = append(base, c)
		}
	}
	if len(base) < 30 {
		base = base[:0]
		for _, c := range ctxs {
			base = append(base, c)
		}
	}
	var baseExposures float64
	for _, c := range base {
		baseExposures += float64(c.exposures)
	}
	keys := p.MetricKeys()
	for m, met := range p.Metrics {
		// A ratio metric's data are its numerator's and denominator's events.
		var feeds []int
		if met.Kind == engine.Ratio {
			for k, key := range keys {
				if key == met.Numerator || key == met.Denominator {
					feeds = append(feeds, k)
				}
			}
		}
		prof.Metrics = append(prof.Metrics, metricProfile(m, met, feeds, base, baseExposures))
	}
	return prof, prof.Validate()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// hourlyProfile averages the exposures of each UTC hour of day over the
// time the span [first, last] covers of that hour; hours of day it does not
// cover get the overall rate.
func hourlyProfile(counts map[int64]int64, first, last int64) Hourly {
	var cover, sum [24]float64
	h := int64(time.Hour)
	for k := floorDiv(first, h); k*h <= last; k++ {
		lo, hi := max(k*h, first), min((k+1)*h, last+1)
		hod := int(((k % 24) + 24) % 24)
		cover[hod] += float64(hi-lo) / float64(h)
		sum[hod] += float64(counts[k])
	}
	var tot, totCover float64
	for i := range sum {
		tot += sum[i]
		totCover += cover[i]
	}
	var out Hourly
	for i := range out.PerHour {
		if cover[i] >= 0.5 {
			out.PerHour[i] = sum[i] / cover[i]
		} else {
			out.PerHour[i] = tot / totCover
		}
	}
	return out
}

// population solves D = N·(1 − e^(−E/N)), the expected number of distinct
// contexts among E uniform draws from N, for N; 0 (every arrival a new
// context) when almost every exposure is a distinct context.
func population(d, e float64) int {
	if d >= 0.995*e {
		return 0
	}
	lo, hi := d, d
	f := func(n float64) float64 { return -n * math.Expm1(-e/n) }
	for f(hi) < d {
		hi *= 2
		if hi > 1e12 {
			return 0
		}
	}
	for i := 0; i < 100 && hi-lo > 0.5; i++ {
		mid := (lo + hi) / 2
		if f(mid) < d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int(math.Round(hi))
}

// metricProfile measures metric m over the baseline contexts.
func metricProfile(m int, met engine.Metric, feeds []int, base []*ctxAgg, exposures float64) MetricProfile {
	mp := MetricProfile{Key: met.Key, DelayShape: ExponentialDelay}
	var withData, delaySum float64
	var n, mean, m2 float64 // Welford over per-context values
	add := func(x float64) {
		n++
		d := x - mean
		mean += d / n
		m2 += d * (x - mean)
	}
	for _, c := range base {
		a := c.metrics[m]
		for _, k := range feeds {
			f := c.metrics[k]
			if f.count == 0 {
				continue
			}
			if a.count == 0 || f.first < a.first {
				a.first = f.first
			}
			a.count += f.count
		}
		if a.count > 0 {
			withData++
			delaySum += float64(max(0, a.first-c.first))
		}
		switch {
		case met.Kind == engine.Percentile || met.Kind == engine.Ratio:
			// The MDE is not modelled for these kinds (Var stays 0).
		case met.Kind == engine.Binary:
			add(b2f(a.count > 0))
		case met.Aggregation == engine.Sum:
			add(a.sum)
		case a.count > 0:
			add(a.sum / float64(a.count))
		}
	}
	ctxs := float64(len(base))
	if ctxs > 0 && exposures > 0 {
		// A context with k exposures has data with probability 1 − (1 − r)^k;
		// with k at its mean E/D this gives r from the share with data.
		share := withData / ctxs
		mp.DataRate = -math.Expm1(math.Log1p(-math.Min(share, 1-1e-12)) * ctxs / exposures)
		if share == 1 {
			mp.DataRate = 1
		}
	}
	if withData > 0 {
		mp.Delay = time.Duration(delaySum / withData)
	}
	mp.Mean = mean
	if n > 1 {
		mp.Var = m2 / (n - 1)
	}
	return mp
}
