package eventlog

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// genSource generates n events lazily (pre-assigned variations), so large
// files can be written without holding the events in memory.
type genSource struct {
	n, i int
	keys int // distinct context keys drawn from
	rng  *rand.Rand
	t    int64
	key  []byte
}

func newGenSource(n int) *genSource { return newGenSourceKeys(n, n/4+1) }

// newGenSourceKeys is newGenSource with contexts drawn from keys keys.
func newGenSourceKeys(n, keys int) *genSource {
	return &genSource{n: n, keys: keys, rng: rand.New(rand.NewPCG(99, 1)), t: t0}
}

func (g *genSource) Read(_ context.Context, buf []engine.Event) (int, error) {
	k := 0
	for ; k < len(buf) && g.i < g.n; k++ {
		g.i++
		g.t += int64(g.rng.IntN(2000))
		g.key = strconv.AppendInt(append(g.key[:0], "user-"...), int64(g.rng.IntN(g.keys)), 10)
		ev := engine.Event{Time: g.t, ContextKind: "user", ContextKey: string(g.key)}
		if g.rng.IntN(2) == 0 {
			ev.Kind, ev.Variation = engine.KindExposure, engine.Variation(g.rng.IntN(3))
		} else {
			ev.Kind, ev.Variation, ev.Metric, ev.Value = engine.KindMetric, engine.Unassigned, int32(g.rng.IntN(2)), float64(g.rng.IntN(500))
		}
		buf[k] = ev
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

const benchEvents = 2_000_000

var (
	benchOnce sync.Once
	benchDir  string
	benchPath string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		_ = os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchFile writes (once) a file of benchEvents events.
func benchFile(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "eventlog-bench-")
		if benchErr != nil {
			return
		}
		benchPath = filepath.Join(benchDir, "events.parquet")
		_, benchErr = WriteFile(context.Background(), benchPath, testMeta, newGenSource(benchEvents))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	fi, err := os.Stat(benchPath)
	if err != nil {
		b.Fatal(err)
	}
	return benchPath, fi.Size()
}

// BenchmarkDecode reads every event of a 2M-event file through the Reader
// (schema checks, validation, filtering, the merge) into a reused buffer.
func BenchmarkDecode(b *testing.B) {
	b.Run("keys=own", func(b *testing.B) { benchDecode(b, testOpts) })
	o := testOpts
	o.SharedKeyStorage = true
	b.Run("keys=shared", func(b *testing.B) { benchDecode(b, o) })
}

func benchDecode(b *testing.B, opts ReadOptions) {
	path, size := benchFile(b)
	decodeLoop(b, path, size, opts)
}

// decodeLoop reads every event of path through the Reader into a reused
// buffer, b.N times, and reports events/s and MB/s.
func decodeLoop(b *testing.B, path string, size int64, opts ReadOptions) {
	b.SetBytes(size)
	b.ReportAllocs()
	buf := make([]engine.Event, 4096)
	var events int64
	start := time.Now()
	for b.Loop() {
		r, err := Open(context.Background(), []string{path}, opts)
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := r.Read(context.Background(), buf)
			events += int64(n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		_ = r.Close()
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkDecodeRawColumns only decompresses and decodes the pages of the
// eight columns with parquet-go, touching their values: the limit for
// BenchmarkDecode.
func BenchmarkDecodeRawColumns(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	var events int64
	start := time.Now()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		pf, err := parquet.OpenFile(f, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(readBufferSize))
		if err != nil {
			b.Fatal(err)
		}
		var sink int
		for _, rg := range pf.RowGroups() {
			events += rg.NumRows()
			for _, cc := range rg.ColumnChunks() {
				pages := cc.Pages()
				for {
					p, err := pages.ReadPage()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					v := p.Data()
					d, o := v.Data()
					sink += len(d) + len(o) + len(p.DefinitionLevels())
					parquet.Release(p)
				}
				_ = pages.Close()
			}
		}
		_ = f.Close()
		if sink == 0 {
			b.Fatal("no data")
		}
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWrite measures the Writer (to io.Discard).
func BenchmarkWrite(b *testing.B) {
	const n = 500_000
	evs := make([]engine.Event, n)
	k, _ := newGenSource(n).Read(context.Background(), evs)
	evs = evs[:k]
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		w, err := NewWriter(io.Discard, testMeta)
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			if err := w.Write(ev); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// TestReadMemoryBounded checks that the Reader's heap grows with the
// contexts, not with the file: it holds a page per column, its batches and
// its table of context keys. Two files of 1M contexts, one of 2.5M events
// and one of 5M, are read; the live heap (measured after a collection,
// every 64 reads) may be no more than 16 MB larger for the file twice as
// long, and stays under 200 MB for either.
func TestReadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2.5M- and 5M-event files")
	}
	const keys = 1_000_000
	peak := func(n int) uint64 {
		p := filepath.Join(t.TempDir(), "big.parquet")
		written, err := WriteFile(t.Context(), p, testMeta, newGenSourceKeys(n, keys))
		require.NoError(t, err)
		require.EqualValues(t, n, written)
		fi, err := os.Stat(p)
		require.NoError(t, err)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		var top uint64
		r, err := Open(t.Context(), []string{p}, testOpts)
		require.NoError(t, err)
		defer r.Close()
		buf := make([]engine.Event, 4096)
		var total, reads int
		last := int64(0)
		for {
			k, err := r.Read(t.Context(), buf)
			for _, ev := range buf[:k] {
				require.GreaterOrEqual(t, ev.Time, last)
				last = ev.Time
			}
			total += k
			if reads++; reads%64 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				top = max(top, ms.HeapInuse)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
		}
		require.Equal(t, n, total)
		t.Logf("%d events, file %d MB; heap in use: %d MB before, peak %d MB while reading", n, fi.Size()>>20, base>>20, top>>20)
		require.Less(t, top, uint64(200<<20))
		return top - min(top, base)
	}
	short, long := peak(2_500_000), peak(5_000_000)
	require.Less(t, long, short+16<<20, "reader heap should not grow with the file: %d MB for 2.5M events, %d MB for 5M", short>>20, long>>20)
}
