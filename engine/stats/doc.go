// Package stats is the statistics core of guardsim: anytime-valid
// normal-mixture confidence sequences (the GrowthBook / Waudby-Smith
// parameterisation, equal to the mSPRT and confseq normal mixtures), the
// step-stratified precision-weighted difference estimator, sequential
// (Dirichlet-multinomial) and classical χ² sample-ratio-mismatch tests,
// Wilson intervals, the fixed-horizon Welch t-test baseline, and
// Bonferroni/Holm/Benjamini–Hochberg adjustments, quantile statistics
// (GrowthBook's outer-interval variance, Howard–Ramdas anytime-valid
// quantile tests), ratio statistics (delta method with covariance),
// tolerance margins and the bounded-memory QuantileSample. Pure functions
// and small value types: no I/O.
package stats
