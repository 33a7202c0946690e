package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefault(t *testing.T) {
	s := Default(0)
	require.Len(t, s, 5)
	for i, p := range []float64{1, 5, 10, 25, 50} {
		assert.Equal(t, p, s[i].Percent)
		assert.Equal(t, p, s[i].Control(), "equal control share")
		assert.Equal(t, DefaultStepDuration, s[i].Duration)
	}
	assert.Equal(t, 5*24*time.Hour, Total(s))
	assert.Equal(t, 6*time.Hour, Default(6 * time.Hour)[2].Duration)
	require.NoError(t, Validate(s))
}

func TestWeightsAndShares(t *testing.T) {
	tests := []struct {
		step  Step
		want  [3]int
		share float64
	}{
		{Step{Percent: 1}, [3]int{1000, 98000, 1000}, 0.5},
		{Step{Percent: 50}, [3]int{50000, 0, 50000}, 0.5},
		{Step{Percent: 2.5}, [3]int{2500, 95000, 2500}, 0.5},
		{Step{Percent: 10, ControlPercent: 30}, [3]int{10000, 60000, 30000}, 0.25},
	}
	for _, tc := range tests {
		w := tc.step.Weights()
		assert.Equal(t, tc.want, w)
		assert.Equal(t, 100000, w[0]+w[1]+w[2])
		assert.InDelta(t, tc.share, tc.step.ExpectedNewShare(), 1e-15)
	}
}

func TestValidate(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name  string
		steps []Step
		want  string
	}{
		{"empty", nil, "no steps"},
		{"zero percent", []Step{{Percent: 0, Duration: h}}, "step 1: percent 0"},
		{"over 50", []Step{{Percent: 5, Duration: h}, {Percent: 51, Duration: h}}, "step 2: percent 51"},
		{"decreasing", []Step{{Percent: 10, Duration: h}, {Percent: 5, Duration: h}}, "lower than the previous"},
		{"no duration", []Step{{Percent: 10}}, "step 1: duration"},
		{"bad control", []Step{{Percent: 10, ControlPercent: -1, Duration: h}}, "control_percent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.steps)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.NoError(t, Validate([]Step{{Percent: 5, Duration: h}, {Percent: 5, Duration: h}}), "equal percents are allowed")
}
