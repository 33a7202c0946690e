package eventlog

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// CSVHeader is the header of WriteCSV: the Parquet schema's columns.
var CSVHeader = []string{"time", "kind", "context_kind", "context_key", "flag_key", "variation", "metric_key", "value"}

// CSVWriter writes events as CSV rows with the Parquet schema's columns
// (time as RFC 3339 with nanoseconds, an empty variation when unassigned),
// for tools without a Parquet reader.
type CSVWriter struct {
	w    *csv.Writer
	meta Meta
	n    int64
}

// NewCSVWriter writes the header and returns the writer.
func NewCSVWriter(w io.Writer, meta Meta) (*CSVWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return nil, fmt.Errorf("eventlog csv: %w", err)
	}
	return &CSVWriter{w: cw, meta: meta}, nil
}

// Write adds one event.
func (c *CSVWriter) Write(ev engine.Event) error {
	kind, variation, metric, value := KindExposure, "", "", ""
	if ev.Kind == engine.KindMetric {
		kind = KindMetric
		if int(ev.Metric) >= len(c.meta.MetricKeys) || ev.Metric < 0 {
			return fmt.Errorf("eventlog csv: metric index %d has no key", ev.Metric)
		}
		metric = c.meta.MetricKeys[ev.Metric]
		value = strconv.FormatFloat(ev.Value, 'g', -1, 64)
	} else if ev.Variation != engine.Unassigned {
		variation = ev.Variation.String()
	}
	ck := ev.ContextKind
	if ck == "" {
		ck = "user"
	}
	c.n++
	return c.w.Write([]string{time.Unix(0, ev.Time).UTC().Format(time.RFC3339Nano), kind, ck, ev.ContextKey, c.meta.FlagKey, variation, metric, value})
}

// Count is the number of events written.
func (c *CSVWriter) Count() int64 { return c.n }

// Close flushes the rows.
func (c *CSVWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("eventlog csv: %w", err)
	}
	return nil
}
