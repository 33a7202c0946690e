// Package ingest reads the event exports users have into guardsim's events:
// CSV, JSON lines and Parquet files with any column names (a column and
// variation-value mapping), and LaunchDarkly Data Export — the streaming
// schema (JSON feature and custom events) and the warehouse schema
// (evaluation_events and metric_events tables, e.g. as Parquet or CSV).
// Directories are read recursively, hive-style partitions included
// (date=2026-01-05/part-0.parquet).
//
// Files in guardsim's own Parquet schema with a timestamp-typed time column
// are read by the streaming sim/eventlog.Reader; everything else is decoded
// here into memory, checked row by row (errors name file, row and column)
// and merged in time order. Numeric times are never guessed silently: their
// unit is declared (Options.TimeUnit) or detected from the magnitude of the
// values, and a file whose times fit no unit's plausible range is an error.
package ingest
