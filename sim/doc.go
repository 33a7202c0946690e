// Package sim generates synthetic guarded-rollout event streams: traffic
// with a daily cycle over a population of returning contexts, binary and
// numeric (normal or log-normal) metrics, injected regressions of a given
// absolute size from a given time or step, and sample-ratio-mismatch faults
// (lost or mis-assigned exposures). Serving follows the rollout's live
// allocation (engine.Rollout.Allocation), as a real flag would, so a stream
// written to Parquet and replayed reproduces the run exactly.
//
// All randomness comes from a seed; the same model and seed give the same
// events, byte for byte.
package sim
