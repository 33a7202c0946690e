package eventlog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/guardsim/guardsim/engine"
)

// smallFile returns a small valid event file.
func smallFile(t testing.TB, n int, opts ...parquet.WriterOption) []byte {
	var buf bytes.Buffer
	if len(opts) > 0 {
		rows := goodRows(n)
		w := parquet.NewGenericWriter[looseRow](&buf, opts...)
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	w, err := NewWriter(&buf, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range genEvents(n, 12, false) {
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReader feeds arbitrary bytes to the Reader as a file: it must return
// an error or valid, time-ordered events, and never panic or hang.
func FuzzReader(f *testing.F) {
	valid := smallFile(f, 20)
	f.Add(valid)
	f.Add(smallFile(f, 20, parquet.DataPageVersion(1)))
	f.Add(smallFile(f, 30, parquet.Compression(&parquet.Uncompressed), parquet.MaxRowsPerRowGroup(8)))
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:len(valid)-1])
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte{})
	for _, at := range []int{4, 10, len(valid) / 3, len(valid) / 2, len(valid) - 20, len(valid) - 9} {
		b := bytes.Clone(valid)
		b[at] ^= 0xff
		f.Add(b)
	}
	// Fuzz inputs are small: lower the page limits so that headers claiming
	// huge pages are rejected before parquet-go allocates them.
	defer func(b, v int32) { maxPageBytes, maxPageValues = b, v }(maxPageBytes, maxPageValues)
	maxPageBytes, maxPageValues = 1<<20, 1<<16
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		opts := testOpts
		opts.OutOfOrderTolerance = time.Second
		r, err := Open(ctx, []string{p}, opts)
		if err != nil {
			checkFuzzError(t, err, p)
			return
		}
		defer r.Close()
		buf := make([]engine.Event, 64)
		last := int64(math.MinInt64)
		for total := 0; ; {
			n, err := r.Read(ctx, buf)
			for _, ev := range buf[:n] {
				if ev.Time < last {
					t.Fatalf("events out of order: %d after %d", ev.Time, last)
				}
				last = ev.Time
				if ev.ContextKey == "" || ev.ContextKind == "" {
					t.Fatalf("event without context: %+v", ev)
				}
				switch ev.Kind {
				case engine.KindExposure:
					if ev.Variation < engine.Unassigned || ev.Variation > engine.Outside {
						t.Fatalf("bad variation: %+v", ev)
					}
				case engine.KindMetric:
					if ev.Metric < 0 || int(ev.Metric) >= len(testOpts.MetricKeys) || math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
						t.Fatalf("bad metric event: %+v", ev)
					}
				default:
					t.Fatalf("bad kind: %+v", ev)
				}
			}
			total += n
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				checkFuzzError(t, err, p)
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("reader hangs (%d events)", total)
			}
		}
	})
}

func checkFuzzError(t *testing.T, err error, p string) {
	var re *RowError
	if !errors.As(err, &re) || re.File != p {
		t.Fatalf("error is not a *RowError naming the file: %v", err)
	}
}
