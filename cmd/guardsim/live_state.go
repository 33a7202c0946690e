package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

// Files of a live run's state directory (its --out).
const (
	liveStateFile    = "live-state.json"
	liveTimelineFile = "timeline.jsonl"
	liveOutboxFile   = "outbox.jsonl"
)

// liveState is what `live --resume DIR` needs to continue a run: how it
// was started and how far it got. The engine is deterministic, so the
// state is rebuilt by re-running the same source unpaced up to the
// checkpoint; alerts already in the outbox are not sent again.
type liveState struct {
	Version  int      `json:"version"`
	Scenario string   `json:"scenario,omitempty"`
	SeedSet  bool     `json:"seed_set,omitempty"`
	Seed     uint64   `json:"seed,omitempty"`
	Events   []string `json:"events,omitempty"`
	Rollout  string   `json:"rollout,omitempty"`
	Speed    float64  `json:"speed"`
	Follow   bool     `json:"follow,omitempty"`
	// Checkpoint is the virtual time of the last check written to the
	// timeline; Checks is the number of checks written.
	Checkpoint time.Time `json:"checkpoint,omitzero"`
	Checks     int       `json:"checks"`
	// Done is set when the command finished (not merely the rollout).
	Done bool `json:"done,omitempty"`
}

const liveStateVersion = 1

// recoverTimeline makes timeline.jsonl the checkpoint: it counts its
// complete checks, cuts a torn last line (a crash mid-write), and sets
// st.Checks and st.Checkpoint from it. The file is written before the
// state, so it is never behind.
func recoverTimeline(dir string, st *liveState) error {
	path := filepath.Join(dir, liveTimelineFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		st.Checks, st.Checkpoint = 0, time.Time{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	good, n := 0, 0
	var last time.Time
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			break // torn tail
		}
		var c engine.Check
		if err := json.Unmarshal(data[off:off+end], &c); err != nil {
			return fmt.Errorf("--resume: %s: line %d: %w", path, n+1, err)
		}
		n++
		last = c.Time
		off += end + 1
		good = off
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
	}
	st.Checks, st.Checkpoint = n, last
	return nil
}

// freshStateDir prepares dir for a new live run: it refuses a directory
// holding an unfinished run (resume it instead: its outbox may hold
// undelivered alerts) and clears the state of a finished one.
func freshStateDir(dir string) error {
	old, err := readLiveState(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if !old.Done {
		return usageErrorf("%s holds an unfinished live run: continue it with --resume %s, or pick another --out", dir, dir)
	}
	for _, f := range []string{liveTimelineFile, liveOutboxFile, liveStateFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("live: %w", err)
		}
	}
	return nil
}

func readLiveState(dir string) (*liveState, error) {
	path := filepath.Join(dir, liveStateFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("live state %s: %w", dir, err)
	}
	var st liveState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("--resume: %s: %w", path, err)
	}
	if st.Version != liveStateVersion {
		return nil, fmt.Errorf("--resume: %s: state version %d, this guardsim reads %d", path, st.Version, liveStateVersion)
	}
	return &st, nil
}

func (st *liveState) write(dir string) error {
	return atomicfile.Write(filepath.Join(dir, liveStateFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	})
}

// liveRecorder appends each new check of the rollout to timeline.jsonl,
// checkpoints the state after it, and prints decisions other than
// "continue". It wraps the paced source, so it runs between batches.
type liveRecorder struct {
	engine.Source
	r      *engine.Rollout
	w      io.Writer
	dir    string
	st     *liveState
	follow bool
	seen   int // checks already handled (printed/appended)
	tl     *os.File
	err    error
}

func newLiveRecorder(src engine.Source, r *engine.Rollout, w io.Writer, dir string, st *liveState) (*liveRecorder, error) {
	f, err := os.OpenFile(filepath.Join(dir, liveTimelineFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	return &liveRecorder{Source: src, r: r, w: w, dir: dir, st: st, follow: st.Follow, tl: f}, nil
}

// flush handles the checks taken since the last call.
func (p *liveRecorder) flush() error {
	if p.seen >= p.r.TimelineLen() {
		return p.err
	}
	first := p.seen
	tl := p.r.TimelineFrom(first) // only the new rows are copied
	bw := bufio.NewWriter(p.tl)
	enc := json.NewEncoder(bw)
	for ; p.seen < first+len(tl); p.seen++ {
		c := tl[p.seen-first]
		if p.seen < p.st.Checks {
			continue // written before the restart
		}
		if c.Decision != engine.DecisionContinue {
			fmt.Fprintf(p.w, "live: %s  +%s  step %d (%g%%)  %s  %s\n", time.Now().UTC().Format(time.RFC3339), c.Elapsed, c.Step, c.Percent, c.Decision, c.Note)
		}
		if err := enc.Encode(c); err != nil {
			return err
		}
		p.st.Checks, p.st.Checkpoint = p.seen+1, c.Time
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("live: %s: %w", liveTimelineFile, err)
	}
	return p.st.write(p.dir)
}

func (p *liveRecorder) Read(ctx context.Context, buf []engine.Event) (int, error) {
	if err := p.flush(); err != nil {
		return 0, err
	}
	if p.r.Done() && !p.follow {
		return 0, io.EOF // the rollout ended: nothing more to decide
	}
	return p.Source.Read(ctx, buf)
}

func (p *liveRecorder) close() error {
	err := p.flush()
	return errors.Join(err, p.tl.Close())
}

// fastForward passes the events before until straight through (no
// pacing: the run being resumed already lived through them), then reads
// the rest from paced, which wraps the remainder of the same source.
type fastForward struct {
	src     engine.Source
	until   int64
	held    []engine.Event // the first events at or after until
	heldErr error
	paced   engine.Source
	done    bool
}

func (f *fastForward) Read(ctx context.Context, buf []engine.Event) (int, error) {
	if f.done {
		return f.paced.Read(ctx, buf)
	}
	n, err := f.src.Read(ctx, buf)
	for i := 0; i < n; i++ {
		if buf[i].Time >= f.until {
			f.held = append([]engine.Event(nil), buf[i:n]...)
			f.heldErr, f.done = err, true
			return i, nil
		}
	}
	if err != nil && errors.Is(err, io.EOF) {
		f.done = true
		f.heldErr = io.EOF
	}
	return n, err
}

// remainder is the source the paced tail reads: the held events, then the
// rest of src.
type remainder struct{ f *fastForward }

func (r remainder) Read(ctx context.Context, buf []engine.Event) (int, error) {
	f := r.f
	if len(f.held) > 0 {
		n := copy(buf, f.held)
		f.held = f.held[n:]
		if len(f.held) == 0 && f.heldErr != nil {
			return n, f.heldErr
		}
		return n, nil
	}
	if f.heldErr != nil {
		return 0, f.heldErr
	}
	return f.src.Read(ctx, buf)
}

// keptOutputs is the error of a command interrupted by a signal that
// still wrote its outputs (main reports it instead of "nothing written").
type keptOutputs struct{ msg string }

func (k keptOutputs) Error() string { return k.msg }
