package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeUnits are the units a margin may be written in, and metric units.
var timeUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "m": time.Minute, "h": time.Hour,
}

// ParseMargin parses a metric margin: "1%" or "0.5%" (relative, returned
// as a share: 0.01), a plain number in the metric's units ("2", "0.003"),
// or a duration ("2ms", "1.5s"), converted to the metric's time unit unit
// (which must then be set). The margin must be finite and not negative.
func ParseMargin(s, unit string) (value float64, relative bool, err error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v >= 100 {
			return 0, false, fmt.Errorf("%q is not a percentage in [0%%, 100%%)", s)
		}
		return v / 100, true, nil
	}
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		if !(v >= 0) || v > 1e300 {
			return 0, false, fmt.Errorf("%q must be a finite non-negative number", s)
		}
		return v, false, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not a number, a percentage (1%%) or a duration (2ms)", s)
	}
	if d < 0 {
		return 0, false, fmt.Errorf("%q must not be negative", s)
	}
	u, ok := timeUnits[unit]
	if !ok {
		return 0, false, fmt.Errorf("%q is a duration but the metric has no time unit: set unit (ns, us, ms, s, m or h)", s)
	}
	return float64(d) / float64(u), false, nil
}

// metricUnit is the metric's time unit: its unit field, or the suffix of
// its key (_ms, _s, _us, _ns).
func metricUnit(m Metric) string {
	if m.Unit != "" {
		return m.Unit
	}
	for _, u := range []string{"ms", "us", "ns", "s"} {
		if strings.HasSuffix(m.Key, "_"+u) {
			return u
		}
	}
	return ""
}

func keyIndex(keys []string, k string) int32 {
	for i, x := range keys {
		if x == k {
			return int32(i)
		}
	}
	return -1
}
