// Package eventlog reads and writes guardsim event streams stored as Parquet
// files: one row per engine.Event, with the columns described in
// docs/EVENTS.md.
//
// The Writer turns engine events into a zstd-compressed Parquet file
// (WriteFile does so atomically). The Reader opens one or more files or
// directories of files, validates their schema, decodes them a page at a time
// with bounded memory and merges them in time order; it implements
// engine.Source so a replay feeds it straight into the engine.
//
// Every problem with an input file is reported as a *RowError naming the
// file and, where it applies, the row group, row and column, for example
//
//	events.parquet: row group 2, row 1234: column value: NaN
package eventlog
