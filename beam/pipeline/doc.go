// Package pipeline builds guardsim's Apache Beam pipelines: Monte Carlo
// sweeps and fleet backtests that run on any Beam runner (prism in process,
// Flink, Spark, Google Dataflow) and write the same outputs, with
// guardsim's own writers, as `guardsim sweep` and `guardsim backtest`.
//
// Sweep: one compact element per grid cell (the sweep's description plus
// the cell index); a splittable DoFn generates the cell's replications
// from its offset-range restriction, so runners split and rebalance cells
// without ever materialising a replication, and emits one partial Tally
// per processed restriction. A final DoFn merges the partials (the merge is
// exact and order-independent) and writes the reports once, atomically.
//
// Backtest: one element per rollout of the fleet; a DoFn replays it under
// every policy with guardsim's Parquet reader; a final DoFn summarises the
// rows and writes the fleet report.
package pipeline
