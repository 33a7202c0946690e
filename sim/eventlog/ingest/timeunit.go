package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTimeUnit parses a --time-unit value: s, ms, us (or µs) or ns;
// "" or auto means detect.
func ParseTimeUnit(s string) (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return 0, nil
	case "s", "sec", "seconds":
		return time.Second, nil
	case "ms", "millis", "milliseconds":
		return time.Millisecond, nil
	case "us", "µs", "micros", "microseconds":
		return time.Microsecond, nil
	case "ns", "nanos", "nanoseconds":
		return time.Nanosecond, nil
	}
	return 0, fmt.Errorf("time unit %q: want s, ms, us, ns or auto", s)
}

// Plausible epoch times for unit detection: 2000-01-01 to 2100-01-01.
var (
	plausibleLo = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	plausibleHi = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// detectUnit chooses the unit under which v (a number of units since the
// epoch) falls between 2000 and 2100; the ranges of s, ms, µs and ns do not
// overlap, so at most one fits. ok is false when none does.
func detectUnit(v float64) (time.Duration, bool) {
	for _, u := range []time.Duration{time.Second, time.Millisecond, time.Microsecond, time.Nanosecond} {
		per := float64(time.Second / u)
		if v >= float64(plausibleLo)*per && v < float64(plausibleHi)*per {
			return u, true
		}
	}
	return 0, false
}

// numericTime converts v units since the epoch to Unix nanoseconds.
func numericTime(v float64, unit time.Duration) (int64, error) {
	ns := v * float64(unit)
	if math.IsNaN(ns) || ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, fmt.Errorf("time %v %v overflows", v, unit)
	}
	return int64(math.Round(ns)), nil
}

// textTimeLayouts are the textual times accepted besides numbers.
var textTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
}

// parseTextTime parses an RFC 3339 or SQL-style time ("2026-01-05
// 10:00:00.123 UTC"); a time without a zone is UTC. ok is false when s is
// not a textual time (it may be a number).
func parseTextTime(s string) (int64, bool) {
	for _, l := range textTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

// timeParser turns a file's time values into Unix nanoseconds, fixing the
// unit of numeric times once per file (declared, or detected from the
// first numeric value and then required of every value).
type timeParser struct {
	unit     time.Duration
	declared bool
}

func newTimeParser(unit time.Duration) *timeParser {
	return &timeParser{unit: unit, declared: unit != 0}
}

func (p *timeParser) number(v float64) (int64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("time %v is not a finite number", v)
	}
	if p.unit == 0 {
		u, ok := detectUnit(v)
		if !ok {
			return 0, fmt.Errorf("numeric time %v is not a date between 2000 and 2100 in seconds, milliseconds, microseconds or nanoseconds since the epoch; declare its unit (--time-unit s|ms|us|ns)", v)
		}
		p.unit = u
	} else if !p.declared {
		if u, ok := detectUnit(v); !ok || u != p.unit {
			return 0, fmt.Errorf("numeric time %v does not fit the unit %v detected from the file's first time; declare the unit (--time-unit)", v, p.unit)
		}
	}
	return numericTime(v, p.unit)
}

func (p *timeParser) text(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty time")
	}
	if t, ok := parseTextTime(s); ok {
		return t, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("time %q is neither RFC 3339 (2026-01-05T10:00:00Z), SQL style (2026-01-05 10:00:00) nor a number", s)
	}
	ns, err := p.number(v)
	if err != nil {
		return 0, err
	}
	if exact, ok := exactDecimal(s, p.unit); ok {
		return exact, nil
	}
	return ns, nil
}

// exactDecimal converts a plain decimal ("1767571377.490") of unit to
// nanoseconds without the rounding of a float64 (which cannot hold
// nanoseconds since the epoch exactly). ok is false for other forms.
func exactDecimal(s string, unit time.Duration) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if intPart == "" || strings.ContainsAny(intPart+frac, "eE+-") {
		return 0, false
	}
	i, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || i > math.MaxInt64/int64(unit) {
		return 0, false
	}
	ns := i * int64(unit)
	digits := 0
	for u := int64(unit); u > 1; u /= 10 {
		digits++
	}
	if len(frac) > digits {
		frac = frac[:digits] // below a nanosecond
	}
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, false
		}
		for k := len(frac); k < digits; k++ {
			f *= 10
		}
		ns += f
	}
	if neg {
		ns = -ns
	}
	return ns, true
}

// Unit is the unit numeric times were read in (0 when none was numeric).
func (p *timeParser) Unit() time.Duration { return p.unit }
