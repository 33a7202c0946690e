package schedule

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a Go duration ("90m", "36h") or a number of days
// ("2d", "1.5d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > float64(math.MaxInt64)/float64(24*time.Hour) {
			return 0, fmt.Errorf("invalid duration %q (use e.g. 90m, 36h or 2d)", s)
		}
		return time.Duration(v * float64(24*time.Hour)), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 90m, 36h or 2d)", s)
	}
	return v, nil
}

// Parse parses a schedule written as PERCENT:DURATION steps separated by
// commas, e.g. "1:12h,10:1d,50:2d"; a step may give a control share as
// PERCENT/CONTROL:DURATION ("5/20:1d"). Spaces are ignored. The result is
// syntactically valid; Validate checks the rules a schedule must satisfy.
func Parse(s string) ([]Step, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty schedule (want PERCENT:DURATION,… e.g. 1:12h,10:1d,50:2d)")
	}
	var steps []Step
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		pct, dur, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("step %d %q: want PERCENT:DURATION", i+1, part)
		}
		var st Step
		newPct, ctlPct, hasCtl := strings.Cut(pct, "/")
		var err error
		if st.Percent, err = parsePercent(newPct); err != nil {
			return nil, fmt.Errorf("step %d %q: percent %q is not a number", i+1, part, strings.TrimSpace(newPct))
		}
		if hasCtl {
			if st.ControlPercent, err = parsePercent(ctlPct); err != nil {
				return nil, fmt.Errorf("step %d %q: control percent %q is not a number", i+1, part, strings.TrimSpace(ctlPct))
			}
		}
		if st.Duration, err = ParseDuration(dur); err != nil {
			return nil, fmt.Errorf("step %d %q: %w", i+1, part, err)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

var errNotNumber = errors.New("not a number")

func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errNotNumber
	}
	return v, nil
}

// Format writes steps in the syntax Parse reads.
func Format(steps []Step) string {
	parts := make([]string, len(steps))
	for i, st := range steps {
		p := strconv.FormatFloat(st.Percent, 'g', -1, 64)
		if st.ControlPercent != 0 {
			p += "/" + strconv.FormatFloat(st.ControlPercent, 'g', -1, 64)
		}
		parts[i] = p + ":" + st.Duration.String()
	}
	return strings.Join(parts, ",")
}
