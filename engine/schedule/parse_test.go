package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	good := []struct {
		in   string
		want time.Duration
	}{
		{"90m", 90 * time.Minute},
		{"36h", 36 * time.Hour},
		{"2d", 48 * time.Hour},
		{" 1.5d ", 36 * time.Hour},
		{"1h30m", 90 * time.Minute},
	}
	for _, tc := range good {
		d, err := ParseDuration(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, d, tc.in)
	}
	for _, in := range []string{"", "d", "abc", "xd", "NaNd", "Infd", "1e300d", "5", "2 days"} {
		_, err := ParseDuration(in)
		assert.ErrorContains(t, err, "invalid duration", in)
	}
}

func TestParse(t *testing.T) {
	good := []struct {
		in   string
		want []Step
	}{
		{"1:12h,10:1d,50:2d", []Step{{Percent: 1, Duration: 12 * time.Hour}, {Percent: 10, Duration: 24 * time.Hour}, {Percent: 50, Duration: 48 * time.Hour}}},
		{" 5% : 90m ", []Step{{Percent: 5, Duration: 90 * time.Minute}}},
		{"5/20:1d,2.5:6h", []Step{{Percent: 5, ControlPercent: 20, Duration: 24 * time.Hour}, {Percent: 2.5, Duration: 6 * time.Hour}}},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			steps, err := Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, steps)
			again, err := Parse(Format(steps))
			require.NoError(t, err)
			assert.Equal(t, steps, again, "Format round-trips")
		})
	}
	bad := []struct{ in, mention string }{
		{"", "empty schedule"},
		{"5h", `step 1 "5h": want PERCENT:DURATION`},
		{"1:1d,x:1d", `step 2 "x:1d": percent "x" is not a number`},
		{"1/y:1d", `control percent "y"`},
		{"1:1d,5:soon", `step 2 "5:soon": invalid duration "soon"`},
		{"1:1d,", `step 2 "": want PERCENT:DURATION`},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			assert.ErrorContains(t, err, tc.mention)
		})
	}
}

func ExampleParse() {
	steps, err := Parse("1:12h,10:1d,50:2d")
	if err != nil {
		panic(err)
	}
	for _, s := range steps {
		fmt.Printf("%g%% for %v\n", s.Percent, s.Duration)
	}
	fmt.Println(Validate(steps) == nil)
	// Output:
	// 1% for 12h0m0s
	// 10% for 24h0m0s
	// 50% for 48h0m0s
	// true
}
