package eventlog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/guardsim/guardsim/engine"
)

// ReadOptions configures a Reader.
type ReadOptions struct {
	// FlagKey keeps only the exposures whose flag_key is this key (or null,
	// or whose file has no flag_key column); exposures of other flags are
	// skipped and counted. Empty keeps every exposure.
	FlagKey string
	// MetricKeys maps metric_key to Event.Metric (the index in this list).
	// Metric events of other keys are skipped and counted.
	MetricKeys []string
	// OutOfOrderTolerance is how far back in time a row may go within a
	// file (relative to the latest time seen before it). Such rows are
	// buffered and reordered; rows further back are an error. The reorder
	// buffer holds the events of one tolerance window.
	OutOfOrderTolerance time.Duration
	// IntTimeUnit is the unit of an INT64 time column that has no TIMESTAMP
	// logical type: time.Nanosecond, time.Microsecond or time.Millisecond.
	// Zero chooses it from the magnitude of the file's first time value
	// (≥ 1e17 nanoseconds, ≥ 1e14 microseconds, else milliseconds).
	IntTimeUnit time.Duration
	// SharedKeyStorage makes the context keys of a page share one string
	// allocation instead of one each: faster, but a consumer that keeps
	// one key keeps the whole page's keys alive, so set it only if the
	// consumer copies (strings.Clone) the keys it retains.
	SharedKeyStorage bool
}

// FileStats counts what a Reader did with one file.
type FileStats struct {
	Path string
	// Rows is the number of rows decoded.
	Rows int64
	// Events is the number of events kept (Rows minus the skipped ones).
	Events int64
	// SkippedOtherFlag counts exposures of flags other than
	// ReadOptions.FlagKey.
	SkippedOtherFlag int64
	// SkippedUnknownMetric counts metric events whose metric_key is not in
	// ReadOptions.MetricKeys.
	SkippedUnknownMetric int64
	// UnknownMetricKeys lists the first few such keys (at most 16).
	UnknownMetricKeys []string
}

const maxUnknownMetricKeys = 16

func (s *FileStats) noteUnknownMetric(b []byte) {
	if len(s.UnknownMetricKeys) >= maxUnknownMetricKeys {
		return
	}
	for _, k := range s.UnknownMetricKeys {
		if k == string(b) {
			return
		}
	}
	s.UnknownMetricKeys = append(s.UnknownMetricKeys, string(b))
}

// Stats sums the FileStats of a Reader's files.
type Stats struct {
	Rows                 int64
	Events               int64
	SkippedOtherFlag     int64
	SkippedUnknownMetric int64
	Files                []FileStats
}

// Reader reads events from Parquet files, merged in time order. It is an
// engine.Source. It decodes a page of each column at a time, so its memory
// does not grow with the number of rows.
type Reader struct {
	opts   ReadOptions
	files  []*fileSource
	active []*fileSource
	err    error

	// ids numbers the context keys (Event.ContextID) after the merge.
	ids engine.ContextIDs
	// pre decodes ahead on its own goroutine (prefetch.go); nil until the
	// first Read, or when decoding runs on the caller's goroutine.
	pre    *prefetch
	lent   []engine.Event // Next's buffer when decoding on the caller's goroutine
	mu     sync.Mutex     // held while decoding: guards the files' stats
	closed bool
}

var _ engine.BatchSource = (*Reader)(nil)

// readBufferSize is the read buffer of each column's page reader.
const readBufferSize = 64 << 10

// Open opens the event files at paths for reading. A path may be a file or
// a directory, whose *.parquet files (not recursively, sorted by name) are
// read. Every file's schema is checked before Open returns. Files must each
// be in time order (up to opts.OutOfOrderTolerance); the Reader merges them.
func Open(ctx context.Context, paths []string, opts ReadOptions) (_ *Reader, err error) {
	if len(paths) == 0 {
		return nil, errors.New("eventlog: no input paths")
	}
	switch opts.IntTimeUnit {
	case 0, time.Nanosecond, time.Microsecond, time.Millisecond:
	default:
		return nil, fmt.Errorf("eventlog: IntTimeUnit %v: want 1ns, 1µs or 1ms", opts.IntTimeUnit)
	}
	if opts.OutOfOrderTolerance < 0 {
		return nil, fmt.Errorf("eventlog: negative OutOfOrderTolerance %v", opts.OutOfOrderTolerance)
	}
	opts.MetricKeys = slices.Clone(opts.MetricKeys)
	files, err := expandPaths(paths)
	if err != nil {
		return nil, err
	}
	r := &Reader{opts: opts}
	defer func() {
		if err != nil {
			_ = r.Close()
		}
	}()
	batch := 8192
	if len(files) > 8 {
		batch = max(512, 65536/len(files))
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := openFile(path, &r.opts, batch)
		if err != nil {
			return nil, err
		}
		r.files = append(r.files, s)
	}
	r.active = slices.Clone(r.files)
	return r, nil
}

// expandPaths replaces directories by their *.parquet files.
func expandPaths(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("eventlog: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("eventlog: %w", err)
		}
		var names []string
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".parquet") || e.IsDir() {
				continue
			}
			names = append(names, filepath.Join(p, name))
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("eventlog: no *.parquet files in directory %s", p)
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	return files, nil
}

func openFile(path string, opts *ReadOptions, batch int) (_ *fileSource, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	s := &fileSource{tol: int64(opts.OutOfOrderTolerance)}
	s.stats.Path = path
	s.dec = fileDecoder{path: path, f: f, opts: opts, stats: &s.stats}
	defer func() {
		if p := recover(); p != nil {
			err = fileError(path, fmt.Errorf("corrupt file: %v", p))
		}
		if err != nil {
			s.dec.close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	if err := checkFooter(f, fi.Size()); err != nil {
		return nil, fileError(path, err)
	}
	pf, err := parquet.OpenFile(f, fi.Size(),
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(readBufferSize),
	)
	if err != nil {
		return nil, fileError(path, fmt.Errorf("not a valid Parquet file: %w", err))
	}
	s.dec.pf = pf
	if v, ok := pf.Lookup(StartKey); ok {
		t, perr := time.Parse(time.RFC3339Nano, v)
		if perr != nil {
			return nil, fileError(path, fmt.Errorf("metadata %s: %w", StartKey, perr))
		}
		s.start = t
	}
	if err := s.dec.bindColumns(); err != nil {
		return nil, err
	}
	if n := pf.NumRows(); n < int64(batch) {
		batch = int(max(n, 64)) // small files get small buffers
	}
	s.dec.init(batch)
	s.batch = make([]engine.Event, batch)
	return s, nil
}

// checkFooter rejects files too short to be Parquet or whose footer length
// does not fit in the file, before parquet-go allocates a buffer for it.
func checkFooter(f *os.File, size int64) error {
	if size < 12 {
		return fmt.Errorf("not a Parquet file (%d bytes)", size)
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("reading footer: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("not a Parquet file, or truncated (no PAR1 magic at the end)")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("bad footer: length %d in a %d-byte file (truncated?)", n, size)
	}
	return nil
}

// Read implements engine.Source: it fills buf with the next events in time
// order, each with a ContextID (the keys numbered in order of first
// appearance). It returns io.EOF after the last event; after an error it
// returns that error again. With more than one CPU (GOMAXPROCS) the files
// are decoded ahead on a goroutine of the Reader's own (prefetch.go).
func (r *Reader) Read(ctx context.Context, buf []engine.Event) (int, error) {
	if r.closed {
		return 0, errClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if r.pre != nil || prefetchOn() {
		return r.readAhead(ctx, buf)
	}
	n, err := r.readMerged(ctx, buf)
	r.number(buf[:n])
	return n, err
}

// Next implements engine.BatchSource: Read without the copy. The events
// stay valid until the next call to Next or Read.
func (r *Reader) Next(ctx context.Context) ([]engine.Event, error) {
	if r.closed {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.pre != nil || prefetchOn() {
		return r.ahead().next(ctx, prefetchBatch)
	}
	if r.lent == nil {
		r.lent = make([]engine.Event, prefetchBatch)
	}
	n, err := r.Read(ctx, r.lent)
	return r.lent[:n], err
}

// number sets the events' ContextIDs.
func (r *Reader) number(evs []engine.Event) {
	r.ids.Assign(evs)
}

var errClosed = errors.New("eventlog: read after Close")

// readMerged fills buf with the next events of the files, merged in time
// order.
func (r *Reader) readMerged(ctx context.Context, buf []engine.Event) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(buf) {
		// Drop finished files; stop at the first error.
		live := r.active[:0]
		for _, s := range r.active {
			if s.ensure() {
				live = append(live, s)
			} else if s.err != nil {
				r.err = s.err
				break
			}
		}
		if r.err != nil {
			r.active = append(live, r.active[len(live):]...)
			break
		}
		r.active = live
		if len(live) == 0 {
			r.err = io.EOF
			break
		}
		if len(live) == 1 {
			s := live[0]
			k := copy(buf[n:], s.out[s.pos:])
			s.pos += k
			n += k
			continue
		}
		// Take a run from the file with the earliest head (the first such
		// file on ties) up to the next head of another file.
		best := 0
		bt := live[0].head()
		for i := 1; i < len(live); i++ {
			if t := live[i].head(); t < bt {
				best, bt = i, t
			}
		}
		limLE, limLT := int64(1<<63-1), int64(1<<63-1)
		for i, s := range live {
			t := s.head()
			switch {
			case i < best:
				limLT = min(limLT, t)
			case i > best:
				limLE = min(limLE, t)
			}
		}
		s := live[best]
		for n < len(buf) && s.pos < len(s.out) {
			t := s.out[s.pos].Time
			if t > limLE || t >= limLT {
				break
			}
			buf[n] = s.out[s.pos]
			n++
			s.pos++
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, r.err
}

// Stats returns the counts so far, per file and in total.
func (r *Reader) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var st Stats
	for _, s := range r.files {
		fs := s.stats
		fs.UnknownMetricKeys = slices.Clone(fs.UnknownMetricKeys)
		st.Files = append(st.Files, fs)
		st.Rows += fs.Rows
		st.Events += fs.Events
		st.SkippedOtherFlag += fs.SkippedOtherFlag
		st.SkippedUnknownMetric += fs.SkippedUnknownMetric
	}
	return st
}

// Start returns the earliest rollout start recorded in the files' metadata
// (written by Meta.Start), if any file has one.
func (r *Reader) Start() (time.Time, bool) {
	var t time.Time
	for _, s := range r.files {
		if !s.start.IsZero() && (t.IsZero() || s.start.Before(t)) {
			t = s.start
		}
	}
	return t, !t.IsZero()
}

// Files returns the paths the Reader reads, directories expanded.
func (r *Reader) Files() []string {
	out := make([]string, len(r.files))
	for i, s := range r.files {
		out[i] = s.stats.Path
	}
	return out
}

// Close closes the files. Read fails after Close.
func (r *Reader) Close() error {
	if r.pre != nil {
		r.pre.stop()
	}
	for _, s := range r.files {
		s.dec.close()
	}
	r.active = nil
	r.closed = true
	return nil
}

// fileSource yields one file's events in time order.
type fileSource struct {
	start time.Time // rollout start from the metadata (zero if absent)
	dec   fileDecoder
	stats FileStats
	tol   int64

	batch []engine.Event
	out   []engine.Event // events ready to be merged: out[pos:]
	pos   int

	// Reorder buffer (tol > 0): pending[pstart:] sorted by time.
	pending []engine.Event
	pstart  int

	err error
	eof bool
}

func (s *fileSource) head() int64 { return s.out[s.pos].Time }

// ensure makes an event available at s.out[s.pos]; it reports false at the
// end of the file or on an error (s.err).
func (s *fileSource) ensure() bool {
	for s.pos >= len(s.out) {
		if s.err != nil || s.eof {
			return false
		}
		s.fill()
	}
	return true
}

func (s *fileSource) fill() {
	kept, rows, err := s.decode()
	if s.tol == 0 {
		s.out, s.pos = s.batch[:kept], 0
	} else {
		s.reorder(s.batch[:kept], rows == 0 && err == nil)
	}
	if err != nil {
		s.err = err
		return
	}
	if rows == 0 {
		s.eof = true
	}
}

// decode decodes the next rows, converting a panic in parquet-go (corrupt
// data it did not check) into an error.
func (s *fileSource) decode() (kept, rows int, err error) {
	defer func() {
		if p := recover(); p != nil {
			kept, rows = 0, 0
			err = &RowError{File: s.dec.path, RowGroup: s.dec.rg, Row: s.dec.row, Err: fmt.Errorf("corrupt data: %v", p)}
		}
	}()
	return s.dec.decode(s.batch)
}

// reorder adds events to the reorder buffer and makes ready those no later
// row can precede (time ≤ latest time seen − tolerance), or all of them at
// the end of the file.
func (s *fileSource) reorder(evs []engine.Event, last bool) {
	// Compact the consumed front.
	if s.pstart > 0 && s.pstart >= len(s.pending)/2 {
		k := copy(s.pending, s.pending[s.pstart:])
		clear(s.pending[k:])
		s.pending = s.pending[:k]
		s.pstart = 0
	}
	for _, ev := range evs {
		p := s.pending
		if len(p) == s.pstart || p[len(p)-1].Time <= ev.Time {
			s.pending = append(p, ev)
			continue
		}
		// Insert after the last event with time ≤ ev.Time (stable).
		q := p[s.pstart:]
		i := s.pstart + sort.Search(len(q), func(i int) bool { return q[i].Time > ev.Time })
		s.pending = append(p, engine.Event{})
		copy(s.pending[i+1:], s.pending[i:])
		s.pending[i] = ev
	}
	q := s.pending[s.pstart:]
	m := len(q)
	if !last {
		bound := s.dec.maxSeen - s.tol
		m = sort.Search(len(q), func(i int) bool { return q[i].Time > bound })
	}
	s.out, s.pos = q[:m], 0
	s.pstart += m
}
