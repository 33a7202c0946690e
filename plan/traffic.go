package plan

import (
	"math"
	"time"
)

// Traffic is an arrival-rate profile: the expected number of exposures
// (all traffic of the flag, analysed or not) in a time window.
type Traffic interface {
	// Arrivals is the expected number of exposures in [from, to).
	Arrivals(from, to time.Time) float64
}

// Cosine is the generator's daily cycle: rate·(1 + A·cos(2π(hour − peak)/24))
// exposures per hour, hour the UTC hour of day.
type Cosine struct {
	RatePerHour    float64 `json:"rate_per_hour"`
	DailyAmplitude float64 `json:"daily_amplitude"`
	PeakHour       float64 `json:"peak_hour"`
}

// Arrivals implements Traffic with the closed-form integral of the rate.
func (c Cosine) Arrivals(from, to time.Time) float64 {
	if !to.After(from) {
		return 0
	}
	h0 := float64(from.UnixNano()) / 3.6e12
	h1 := float64(to.UnixNano()) / 3.6e12
	a := c.RatePerHour * (h1 - h0)
	if c.DailyAmplitude != 0 {
		w := 2 * math.Pi / 24
		a += c.RatePerHour * c.DailyAmplitude / w * (math.Sin(w*(h1-c.PeakHour)) - math.Sin(w*(h0-c.PeakHour)))
	}
	return a
}

// Hourly is a measured profile: PerHour[h] exposures per hour during UTC
// hour h of every day.
type Hourly struct {
	PerHour [24]float64 `json:"per_hour"`
}

// Arrivals implements Traffic by integrating the piecewise-constant rate.
func (p Hourly) Arrivals(from, to time.Time) float64 {
	if !to.After(from) {
		return 0
	}
	var a float64
	t := from.UTC()
	for t.Before(to) {
		next := t.Truncate(time.Hour).Add(time.Hour)
		if next.After(to) {
			next = to
		}
		a += p.PerHour[t.Hour()] * next.Sub(t).Hours()
		t = next
	}
	return a
}
