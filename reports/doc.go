// Package reports renders the results of guarded rollouts and policy sweeps
// for people and machines.
//
// For one rollout (an engine.Result) it draws a PNG difference chart per
// metric — the observed difference new − original over time with its
// anytime-valid interval as a shaded band, step boundaries and the
// regression or rollback moment — and writes a markdown report, a
// self-contained HTML report (charts embedded as data URIs, no external
// resources) and a machine-readable summary.json.
//
// For a sweep (a sweep.Result) it writes the cells as CSV and Parquet, a
// markdown and an HTML report with false-positive-rate, power and
// time-to-detection tables, and power and false-positive-rate plots.
//
// Every file is written atomically (temporary file + rename, see
// internal/atomicfile), and output is deterministic: the same input gives
// the same bytes (no wall-clock timestamps, times rendered in UTC).
package reports
