package eventlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// readEvery reads r to its end (or first error) in buffers of n events.
func readEvery(t *testing.T, r *Reader, n int) ([]engine.Event, error) {
	t.Helper()
	var out []engine.Event
	buf := make([]engine.Event, n)
	for {
		k, err := r.Read(context.Background(), buf)
		out = append(out, buf[:k]...)
		if err != nil {
			return out, err
		}
	}
}

// TestPrefetchMatchesSequential checks that decoding ahead on a goroutine
// gives exactly the events (ContextIDs included), statistics and error of
// decoding on the caller's goroutine (GOMAXPROCS 1): three merged files of
// several row groups, one of which fails part-way with an out-of-order row.
func TestPrefetchMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, n := range []int{2*RowGroupRows + 77, 50000, 1} {
		p := dir + "/" + string(rune('a'+i)) + ".parquet"
		writeEvents(t, p, testMeta, genEvents(n, uint64(10+i), false))
		paths = append(paths, p)
	}
	bad := genEvents(RowGroupRows+500, 99, false)
	bad[RowGroupRows+300].Time = bad[0].Time - 1
	badPath := dir + "/bad.parquet"
	writeEvents(t, badPath, testMeta, bad)

	for _, tc := range []struct {
		name  string
		paths []string
	}{{"merged", paths}, {"error part-way", append([]string{badPath}, paths...)}} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(procs int) ([]engine.Event, Stats, error) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				r, err := Open(context.Background(), tc.paths, testOpts)
				require.NoError(t, err)
				defer r.Close()
				evs, err := readEvery(t, r, 1000)
				require.Equal(t, procs > 1, r.pre != nil, "decoding ahead with GOMAXPROCS %d", procs)
				return evs, r.Stats(), err
			}
			seq, seqStats, seqErr := read(1)
			par, parStats, parErr := read(2)
			require.Greater(t, len(seq), 1000)
			require.Equal(t, seq, par)
			require.Equal(t, seqStats, parStats)
			require.Equal(t, seqErr, parErr)
			if tc.name == "merged" {
				require.ErrorIs(t, parErr, io.EOF)
			} else {
				var re *RowError
				require.True(t, errors.As(parErr, &re), "%v", parErr)
				require.Equal(t, badPath, re.File)
			}
		})
	}
}

// TestNextLendsTheSameEvents checks that Next (engine.BatchSource) yields
// exactly Read's events, statistics and error, with GOMAXPROCS 1 and 2, a
// single file (whose decoded batches are handed over without a copy) and
// merged files, mixing Next and Read calls; and that a lent batch is not
// overwritten before the next call.
func TestNextLendsTheSameEvents(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, n := range []int{2*RowGroupRows + 77, 30000} {
		p := dir + "/" + string(rune('a'+i)) + ".parquet"
		writeEvents(t, p, testMeta, genEvents(n, uint64(20+i), false))
		paths = append(paths, p)
	}
	for _, files := range [][]string{paths[:1], paths} {
		for _, procs := range []int{1, 2} {
			t.Run(fmt.Sprintf("%d files GOMAXPROCS %d", len(files), procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				r, err := Open(context.Background(), files, testOpts)
				require.NoError(t, err)
				defer r.Close()
				want, wantErr := readEvery(t, r, 1000)
				wantStats := r.Stats()

				r2, err := Open(context.Background(), files, testOpts)
				require.NoError(t, err)
				defer r2.Close()
				var got []engine.Event
				buf := make([]engine.Event, 333)
				var gotErr error
				for call := 0; gotErr == nil; call++ {
					var evs []engine.Event
					if call%5 == 4 {
						n, err := r2.Read(context.Background(), buf)
						evs, gotErr = buf[:n], err
					} else {
						evs, gotErr = r2.Next(context.Background())
					}
					kept := slices.Clone(evs)
					time.Sleep(time.Duration(call%2) * time.Millisecond) // let the goroutines run ahead
					require.Equal(t, kept, evs, "lent batch %d changed before the next call", call)
					got = append(got, evs...)
				}
				require.Equal(t, want, got)
				require.Equal(t, wantErr, gotErr)
				require.Equal(t, wantStats, r2.Stats())
			})
		}
	}
}

// TestPrefetchCloseAndCancel checks that Close stops the decoding goroutine
// part-way through a file, that Stats may be read while it decodes, and
// that a cancelled Read returns the context's error without ending the
// stream for a later Read.
func TestPrefetchCloseAndCancel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	p := tempPath(t, "e.parquet")
	all := genEvents(3*RowGroupRows, 5, false)
	writeEvents(t, p, testMeta, all)
	before := runtime.NumGoroutine()

	r, err := Open(context.Background(), []string{p}, testOpts)
	require.NoError(t, err)
	buf := make([]engine.Event, 100)
	n, err := r.Read(context.Background(), buf)
	require.NoError(t, err)
	require.Equal(t, 100, n)
	require.NotNil(t, r.pre)
	_ = r.Stats() // concurrent with decoding (go test -race)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Read(ctx, buf)
	require.ErrorIs(t, err, context.Canceled)
	rest, err := readEvery(t, r, 4096)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, rest, len(all)-100)

	r2, err := Open(context.Background(), []string{p}, testOpts)
	require.NoError(t, err)
	_, err = r2.Read(context.Background(), buf)
	require.NoError(t, err)
	require.NoError(t, r2.Close())
	require.NoError(t, r.Close())
	_, err = r2.Read(context.Background(), buf)
	require.ErrorContains(t, err, "read after Close")
	// Both goroutines are gone.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before)
}
