package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// confseq test/uniform_boundaries_unittest.cpp (reference §7.3), tolerance
// 1e-5 as in confseq.
func TestConfseqVectors(t *testing.T) {
	const vOpt, alpha = 100.0, 0.05
	rho2 := ConfseqBestRho(vOpt, alpha)
	assert.InDelta(t, 12.60056, rho2, 1e-5)
	assert.InDelta(t, 12.60056097925634, rho2, 1e-12)
	assert.InDelta(t, -0.6510052, NormalLogMixture(10, 100, rho2, false), 1e-5)
	assert.InDelta(t, 30.35209, NormalMixtureBound(100, alpha, rho2, false), 1e-5)

	rho1 := ConfseqBestRho(vOpt, 2*alpha)
	assert.InDelta(t, 15.800634906850535, rho1, 1e-12)
	assert.InDelta(t, -0.06502391, NormalLogMixture(10, 100, rho1, true), 1e-5)
	b := NormalMixtureBound(100, alpha, rho1, true)
	assert.InDelta(t, 27.66071, b, 1e-5)
	assert.InDelta(t, 27.6607088306729, b, 1e-9)
	// The bound is the root: the log mixture there is ln(1/α).
	assert.InDelta(t, math.Log(1/alpha), NormalLogMixture(b, 100, rho1, true), 1e-12)
	gb := NormalMixtureBoundGrowthBook(100, alpha, rho1)
	assert.InDelta(t, 27.790942353135218, gb, 1e-9)
	assert.Greater(t, gb, b) // GrowthBook's closed form is conservative
}

// The lower-tail ln Φ stays finite and continuous across the switch to the
// asymptotic expansion.
func TestLogNormCDF(t *testing.T) {
	assert.InDelta(t, math.Log(0.5), logNormCDF(0), 1e-15)
	a, b := logNormCDF(-30-1e-9), logNormCDF(-30+1e-9)
	assert.InEpsilon(t, a, b, 1e-9)
	assert.InDelta(t, -454.3212439, logNormCDF(-30), 1e-6) // ln Φ(−30) = −454.32124395…
	assert.False(t, math.IsInf(logNormCDF(-1000), -1))
}

// mixtureSPRT calcTau vectors: testdata/vectors/msprt.json (msprt_tau2).

func TestMSPRTPaired(t *testing.T) {
	xNo := []float64{1.2, 0.8, 1.5, 0.9, 1.1, 1.3, 0.7, 1.4, 1.0, 1.6}
	y := []float64{0.9, 1.0, 0.8, 1.1, 0.7, 1.0, 0.9, 0.8, 1.1, 0.7}
	xLg := []float64{3.1, 2.8, 3.3, 2.9, 3.0, 3.2, 2.7, 3.4, 3.1, 2.8}
	tau2 := 4.913684766737757
	wantNo := []float64{0.546518777, 0.4116441845, 0.3622587076, 0.3101756158, 0.2873506607, 0.2692290203, 0.244188842, 0.2397802555, 0.2226548029, 0.2298013299}
	wantLg := []float64{1.270984497, 2.166616699, 7.674109411, 15.13371756, 49.49164333, 150.6327984, 312.2696048, 1455.974288, 3739.716806, 10699.65873}
	gotNo := MSPRTPaired(xNo, y, 1, tau2, 0)
	gotLg := MSPRTPaired(xLg, y, 1, tau2, 0)
	for i := range wantNo {
		assert.InEpsilon(t, wantNo[i], gotNo[i], 1e-8, "no effect n=%d", i+1)
		assert.InEpsilon(t, wantLg[i], gotLg[i], 1e-8, "large effect n=%d", i+1)
	}
	first := -1
	for i, l := range gotLg {
		if l >= 20 {
			first = i + 1
			break
		}
	}
	assert.Equal(t, 5, first)
	p := RunningMinP(gotLg)
	assert.InDelta(t, 0.786792, p[0], 5e-7)
	assert.InEpsilon(t, 9.34609e-05, p[9], 1e-5)
	for i := 1; i < len(p); i++ {
		assert.LessOrEqual(t, p[i], p[i-1])
	}
	// No effect: Λ < 1 throughout, so the p-value stays 1.
	for _, q := range RunningMinP(gotNo) {
		assert.Equal(t, 1.0, q)
	}
}

func TestMSPRTVForm(t *testing.T) {
	cases := []struct{ d, v, tau2, lo, hi, p, lambda float64 }{
		{0.5, 0.04, 0.01, -0.6148639467147721, 1.614863946714772, 0.5984404699510534, 1.671009983803051},
		{0.1, 0.0004, 0.0001, -0.011486394671477204, 0.21148639467147723, 0.0917738184280072, 10.896353852645447},
	}
	for _, c := range cases {
		lo, hi, p, l := MSPRTVForm(c.d, c.v, c.tau2, 0.05)
		assert.InDelta(t, c.lo, lo, 1e-12)
		assert.InDelta(t, c.hi, hi, 1e-12)
		assert.InDelta(t, c.p, p, 1e-12)
		assert.InEpsilon(t, c.lambda, l, 1e-12)
	}
	// V form with V = 2σ²/n equals the paired form.
	x := []float64{0.3, -0.1, 0.7, 0.2}
	y := []float64{0, 0, 0, 0}
	paired := MSPRTPaired(x, y, 1.5, 0.4, 0)
	var sum float64
	for i := range x {
		sum += x[i]
		n := float64(i + 1)
		_, _, _, l := MSPRTVForm(sum/n, 2*1.5*1.5/n, 0.4, 0.05)
		assert.InEpsilon(t, paired[i], l, 1e-12)
	}
}
