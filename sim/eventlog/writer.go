package eventlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// RowGroupRows is the number of rows the Writer puts in a row group.
const RowGroupRows = 128 * 1024

// writeBatch is how many rows the Writer buffers before handing them to
// parquet-go.
const writeBatch = 4096

// Meta describes the events a Writer writes.
type Meta struct {
	// FlagKey is written in the flag_key column of every row.
	FlagKey string
	// MetricKeys maps Event.Metric (an index) to the metric_key column.
	MetricKeys []string
	// Start, when set, is the rollout's start, recorded in the file's
	// key-value metadata under StartKey so a replay starts its clock there.
	Start time.Time
}

// StartKey is the Parquet key-value metadata key of the rollout start
// (RFC 3339 with nanoseconds, UTC).
const StartKey = "guardsim.rollout_start"

// Writer writes events as Parquet rows (zstd, row groups of RowGroupRows
// rows). The same events with the same Meta always give the same bytes.
type Writer struct {
	meta    Meta
	pw      *parquet.GenericWriter[row]
	rows    []row
	n       int64
	err     error
	closed  bool
	exp     string
	met     string
	metrics []string
}

// NewWriter starts a Parquet event file on w. Close must be called to write
// the footer; it does not close w.
func NewWriter(w io.Writer, meta Meta) (*Writer, error) {
	if w == nil {
		return nil, errors.New("eventlog: nil writer")
	}
	for i, k := range meta.MetricKeys {
		if k == "" {
			return nil, fmt.Errorf("eventlog: metric key %d is empty", i)
		}
	}
	wopts := []parquet.WriterOption{
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault, Concurrency: 1}),
		parquet.MaxRowsPerRowGroup(RowGroupRows),
		parquet.CreatedBy("guardsim", "1", ""),
	}
	if !meta.Start.IsZero() {
		wopts = append(wopts, parquet.KeyValueMetadata(StartKey, meta.Start.UTC().Format(time.RFC3339Nano)))
	}
	pw := parquet.NewGenericWriter[row](w, wopts...)
	metrics := make([]string, len(meta.MetricKeys))
	copy(metrics, meta.MetricKeys)
	return &Writer{
		meta:    Meta{FlagKey: meta.FlagKey, MetricKeys: metrics, Start: meta.Start},
		pw:      pw,
		rows:    make([]row, 0, writeBatch),
		exp:     KindExposure,
		met:     KindMetric,
		metrics: metrics,
	}, nil
}

// Write adds one event. Exposures keep their variation (Unassigned is
// written as null); metric events are written with a null variation and
// their metric key and value. Events are written in the order given.
func (w *Writer) Write(ev engine.Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("eventlog: write after Close")
	}
	if ev.ContextKey == "" {
		return fmt.Errorf("eventlog: event %d: empty context key", w.n)
	}
	ck := ev.ContextKind
	if ck == "" {
		ck = DefaultContextKind
	}
	w.rows = append(w.rows, row{Time: ev.Time, ContextKind: ck, ContextKey: ev.ContextKey, FlagKey: w.meta.FlagKey})
	r := &w.rows[len(w.rows)-1]
	switch ev.Kind {
	case engine.KindExposure:
		r.Kind = w.exp
		switch ev.Variation {
		case engine.Unassigned:
		case engine.Original, engine.New, engine.Outside:
			r.Variation = &variationNames[ev.Variation]
		default:
			w.rows = w.rows[:len(w.rows)-1]
			return fmt.Errorf("eventlog: event %d: invalid variation %v", w.n, ev.Variation)
		}
	case engine.KindMetric:
		r.Kind = w.met
		if ev.Metric < 0 || int(ev.Metric) >= len(w.metrics) {
			w.rows = w.rows[:len(w.rows)-1]
			return fmt.Errorf("eventlog: event %d: metric index %d out of range (%d metric keys)", w.n, ev.Metric, len(w.metrics))
		}
		if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
			w.rows = w.rows[:len(w.rows)-1]
			return fmt.Errorf("eventlog: event %d: metric value %v", w.n, ev.Value)
		}
		r.MetricKey = &w.metrics[ev.Metric]
		r.value = ev.Value
	default:
		w.rows = w.rows[:len(w.rows)-1]
		return fmt.Errorf("eventlog: event %d: invalid kind %v", w.n, ev.Kind)
	}
	w.n++
	if len(w.rows) == cap(w.rows) {
		return w.flush()
	}
	return nil
}

func (w *Writer) flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	for i := range w.rows {
		if w.rows[i].MetricKey != nil {
			w.rows[i].Value = &w.rows[i].value
		}
	}
	if _, err := w.pw.Write(w.rows); err != nil {
		w.err = fmt.Errorf("eventlog: write rows: %w", err)
		return w.err
	}
	clear(w.rows)
	w.rows = w.rows[:0]
	return nil
}

// Count returns the number of events written so far.
func (w *Writer) Count() int64 { return w.n }

// Close flushes the buffered rows and writes the Parquet footer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if err := w.flush(); err != nil {
		w.closed = true
		return err
	}
	w.closed = true
	if err := w.pw.Close(); err != nil {
		w.err = fmt.Errorf("eventlog: close: %w", err)
		return w.err
	}
	return nil
}

// WriteFile writes every event of src to path as a Parquet event file and
// returns how many it wrote. The file appears at path only if everything
// succeeded (it is written to a temporary file and renamed).
func WriteFile(ctx context.Context, path string, meta Meta, src engine.Source) (n int64, err error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Abort()
	w, err := NewWriter(f, meta)
	if err != nil {
		return 0, err
	}
	buf := make([]engine.Event, writeBatch)
	for {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("write %s: %w", path, err)
		}
		k, rerr := src.Read(ctx, buf)
		for i := range buf[:k] {
			if err := w.Write(buf[i]); err != nil {
				return 0, fmt.Errorf("write %s: %w", path, err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, fmt.Errorf("write %s: read events: %w", path, rerr)
		}
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return 0, err
	}
	return w.Count(), nil
}
