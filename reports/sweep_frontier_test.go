package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrontierPoints(t *testing.T) {
	res := fixtureSweep()
	pts := frontierPoints(res)
	fpr := map[string]float64{}
	n := 0
	for _, c := range res.Cells {
		if c.Effect == 0 {
			fpr[c.Policy] = c.Rate
		} else {
			n++
		}
	}
	require.Len(t, pts, n, "one point per policy cell with an effect")
	i := 0
	for _, c := range res.Cells {
		if c.Effect == 0 {
			continue
		}
		assert.Equal(t, fpr[c.Policy], pts[i].fpr, "x is the policy's effect-0 rate")
		assert.Equal(t, c.ExposureMedian, pts[i].exposure)
		assert.Contains(t, pts[i].label, c.Policy)
		i++
	}
	p, err := FrontierPlot(res)
	require.NoError(t, err)
	require.NotNil(t, p)
	// Without effect-0 cells there is no frontier.
	res.Cells = res.Cells[len(res.Cells)-1:]
	p, err = FrontierPlot(res)
	require.NoError(t, err)
	assert.Nil(t, p)
}
