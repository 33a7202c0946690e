package reports

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/guardsim/guardsim/engine"
)

// fmtNum formats v with about four significant digits, without an exponent
// for ordinary magnitudes.
func fmtNum(v float64) string { return fmtSig(v, 4) }

// fmtSig formats v with about sig significant digits (at least all integer
// digits), without an exponent for ordinary magnitudes.
func fmtSig(v float64, sig int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e6 || a < 1e-4 {
		return strconv.FormatFloat(v, 'e', sig-1, 64)
	}
	dec := sig - 1 - int(math.Floor(math.Log10(a)))
	if dec < 0 {
		dec = 0
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fmtSigned is fmtNum with an explicit sign for positive values.
func fmtSigned(v float64) string {
	s := fmtNum(v)
	if v > 0 {
		return "+" + s
	}
	return s
}

// fmtInterval formats [lo, hi].
func fmtInterval(lo, hi float64) string {
	return "[" + fmtSigned(lo) + ", " + fmtSigned(hi) + "]"
}

// fmtPct formats a percent value such as 5 or 2.5 as "5%" or "2.5%".
func fmtPct(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

// fmtRate formats a proportion in [0, 1] with three decimals.
func fmtRate(r float64) string {
	return strconv.FormatFloat(r, 'f', 3, 64)
}

// fmtInt formats n with thousands separators.
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtTime formats t in UTC, to the minute (seconds when present).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// fmtDur formats a duration compactly: "36h", "2d 4h", "45m".
func fmtDur(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	if d < time.Hour || d%time.Hour != 0 && d < 24*time.Hour {
		return d.Round(time.Second).String()
	}
	h := d.Hours()
	if h >= 72 {
		days := int(h) / 24
		rest := h - float64(days*24)
		if rest == 0 {
			return strconv.Itoa(days) + "d"
		}
		return strconv.Itoa(days) + "d " + strconv.FormatFloat(rest, 'f', -1, 64) + "h"
	}
	return strconv.FormatFloat(h, 'f', -1, 64) + "h"
}

// fmtHours formats a duration in hours with one decimal ("—" for zero).
func fmtHours(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return strconv.FormatFloat(d.Hours(), 'f', 1, 64)
}

// directionText is a human-readable metric direction.
func directionText(d engine.Direction) string {
	if d == engine.HigherIsBetter {
		return "higher is better"
	}
	return "lower is better"
}

// SanitizeFileName turns a metric key into a safe file base name: letters,
// digits, '-', '_' and '.' are kept, everything else becomes '_'; an empty
// or dot-only result becomes "metric".
func SanitizeFileName(key string) string {
	var b strings.Builder
	for _, r := range key {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if strings.HasPrefix(s, ".") {
		s = "_" + s[1:]
	}
	if strings.Trim(s, "._") == "" {
		return "metric"
	}
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
