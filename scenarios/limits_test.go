package scenarios

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manySteps is a scenario with n one-minute steps.
func manySteps(n int) string {
	var b strings.Builder
	b.WriteString("name: x\ntraffic: {rate_per_hour: 10}\nmetrics:\n  - {key: c, kind: binary, direction: higher_is_better, rate: 0.1}\nrollout:\n  steps:\n")
	for range n {
		b.WriteString("    - {percent: 10, duration: 1m}\n")
	}
	return b.String()
}

// TestSafeLimits: durations whose sums overflow int64 nanoseconds, more
// steps than the engine can index and a negative step_duration are errors
// naming the field, never a wrapped-around clock, a panic or a default.
func TestSafeLimits(t *testing.T) {
	base := "name: x\ntraffic: {rate_per_hour: 10}\nmetrics:\n  - {key: c, kind: binary, direction: higher_is_better, rate: 0.1}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"negative step_duration", base + "rollout:\n  step_duration: -5h\n", "rollout.step_duration -5h0m0s must be positive"},
		{"days beyond int64", base + "rollout:\n  step_duration: 200000d\n", `line 6: rollout.step_duration: invalid duration "200000d"`},
		{"hours beyond int64", base + "rollout:\n  check_interval: 9000000000h\n", "line 6: rollout.check_interval: invalid duration"},
		{"steps sum overflows", base + "rollout:\n  extension: 1h\n  steps:\n    - {percent: 10, duration: 60000d}\n    - {percent: 20, duration: 60000d}\n", "longest time the engine's int64-nanosecond clock can count"},
		{"default steps overflow", base + "rollout:\n  step_duration: 20000d\n", "longest time the engine's int64-nanosecond clock can count"},
		{"start + horizon overflows", base + "start: 2262-01-01T00:00:00Z\nhorizon: 200d\n", "start 2262-01-01 00:00:00 +0000 UTC + horizon 4800h0m0s is after"},
		{"start out of range", base + "start: 2300-01-01T00:00:00Z\n", "start 2300-01-01 00:00:00 +0000 UTC must be between"},
		{"too many steps", manySteps(32768), "schedule has 32768 steps; at most 32767 are supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "test.yaml")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// The limits themselves are accepted.
	for _, ok := range []string{manySteps(32767), base + "rollout:\n  step_duration: 1000d\n", base + "start: 2262-01-01T00:00:00Z\nhorizon: 30d\n"} {
		_, err := Parse([]byte(ok), "ok.yaml")
		require.NoError(t, err, fmt.Sprintf("%.80s", ok))
	}
}
