package eventlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

var testMeta = Meta{FlagKey: "checkout-v2", MetricKeys: []string{"latency", "conversion"}}

var testOpts = ReadOptions{FlagKey: "checkout-v2", MetricKeys: []string{"latency", "conversion"}}

const t0 = int64(1_750_000_000_000_000_000) // 2025-06-15, in ns

// genEvents makes n deterministic events in time order: exposures with every
// variation (Unassigned included) and metric events of both metrics.
func genEvents(n int, seed uint64, assigned bool) []engine.Event {
	rng := rand.New(rand.NewPCG(seed, 7))
	evs := make([]engine.Event, n)
	t := t0
	for i := range evs {
		t += int64(rng.IntN(1000)) // ties happen
		key := fmt.Sprintf("ctx-%d", rng.IntN(n/3+1))
		kind := "user"
		if rng.IntN(10) == 0 {
			kind = "device"
		}
		if rng.IntN(3) == 0 {
			v := engine.Variation(rng.IntN(4) - 1)
			if assigned && v == engine.Unassigned {
				v = engine.New
			}
			evs[i] = engine.Event{Time: t, Kind: engine.KindExposure, Variation: v, ContextKind: kind, ContextKey: key}
		} else {
			m := int32(rng.IntN(2))
			val := 1.0
			if m == 0 {
				val = rng.Float64() * 300
			}
			evs[i] = engine.Event{Time: t, Kind: engine.KindMetric, Variation: engine.Unassigned, Metric: m, Value: val, ContextKind: kind, ContextKey: key}
		}
	}
	return evs
}

func writeEvents(t testing.TB, path string, meta Meta, evs []engine.Event) {
	t.Helper()
	n, err := WriteFile(context.Background(), path, meta, &engine.SliceSource{Events: evs})
	require.NoError(t, err)
	require.EqualValues(t, len(evs), n)
}

// writeRows writes rows of any struct type with parquet-go's generic writer.
func writeRows[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := parquet.NewGenericWriter[T](f, opts...)
	_, err = w.Write(rows)
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

// readAll reads every event, in buffers of odd sizes to exercise the merge.
func readAll(t testing.TB, paths []string, opts ReadOptions) ([]engine.Event, Stats, error) {
	t.Helper()
	r, err := Open(context.Background(), paths, opts)
	if err != nil {
		return nil, Stats{}, err
	}
	defer r.Close()
	var out []engine.Event
	buf := make([]engine.Event, 777)
	ids := map[string]uint32{}
	for {
		n, err := r.Read(context.Background(), buf)
		// Every event carries its key's number: 1, 2, 3, … in order of the
		// keys' first appearance. The comparisons below are of the rest.
		for i := range buf[:n] {
			ev := &buf[i]
			want, ok := ids[ev.ContextKey]
			if !ok {
				want = uint32(len(ids) + 1)
				ids[ev.ContextKey] = want
			}
			require.Equal(t, want, ev.ContextID, "ContextID of key %q", ev.ContextKey)
			ev.ContextID = 0
		}
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, r.Stats(), nil
		}
		if err != nil {
			return out, r.Stats(), err
		}
	}
}

// normalise gives the events as the reader returns them.
func normalise(evs []engine.Event) []engine.Event {
	out := make([]engine.Event, len(evs))
	for i, ev := range evs {
		if ev.ContextKind == "" {
			ev.ContextKind = DefaultContextKind
		}
		if ev.Kind == engine.KindMetric {
			ev.Variation = engine.Unassigned
		} else {
			ev.Metric, ev.Value = 0, 0
		}
		out[i] = ev
	}
	return out
}

func tempPath(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name)
}

func nan() float64 { return math.NaN() }
