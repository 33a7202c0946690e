// Package stats is the statistics core of guardsim: anytime-valid
// normal-mixture confidence sequences (the GrowthBook / Waudby-Smith
// parameterisation, equal to the mSPRT and confseq normal mixtures), the
// step-stratified precision-weighted difference estimator, sequential
// (Dirichlet-multinomial) and classical χ² sample-ratio-mismatch tests,
// Wilson intervals, the fixed-horizon Welch t-test baseline, and
// Bonferroni/Holm/Benjamini–Hochberg adjustments. Pure functions and small
// value types: no I/O.
package stats
