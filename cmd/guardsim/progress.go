package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
)

// Progress display modes (--progress).
const (
	progressAuto  = "auto"  // a bar on a terminal, nothing otherwise
	progressBar_  = "bar"   // always a bar
	progressPlain = "plain" // a plain line every few seconds (for logs)
	progressNone  = "none"
)

// addProgressFlag declares --progress.
func addProgressFlag(fs *pflag.FlagSet) *string {
	return fs.String("progress", progressAuto, "progress display: auto (a bar when stderr is a terminal, else nothing), bar, plain (a line every 2 s, for logs) or none")
}

// plainEvery is how often plain progress prints a line.
const plainEvery = 2 * time.Second

// progressBar shows a long command's progress on stderr: a bar when stderr
// is a terminal (or --progress=bar), periodic plain lines with
// --progress=plain, and nothing otherwise (so logs get no carriage-return
// frames).
type progressBar struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	plain  bool
	desc   string
	unit   string
	last   time.Time
	done   int
	total  int
	active bool
}

// newProgress starts a progress display described by desc, counting unit
// (e.g. "rollouts"); quiet or mode none shows nothing.
func newProgress(e *env, mode string, quiet bool, desc, unit string) (*progressBar, error) {
	p := &progressBar{w: e.stderr, desc: desc, unit: unit, last: time.Now()}
	switch mode {
	case progressAuto, "":
		if quiet || !e.stderrTerminal {
			return p, nil
		}
	case progressBar_:
		if quiet {
			return p, nil
		}
	case progressPlain:
		p.plain = !quiet
		return p, nil
	case progressNone:
		return p, nil
	default:
		return nil, usageErrorf("--progress %q: want auto, bar, plain or none", mode)
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(e.stderr) }),
	)
	return p, nil
}

// update reports done of total units (total < 0: unknown); it is safe to
// pass as a library's progress callback (calls must not overlap).
func (p *progressBar) update(done, total int) {
	p.done, p.total, p.active = done, total, true
	if p.plain {
		if now := time.Now(); now.Sub(p.last) >= plainEvery {
			p.last = now
			p.printPlain()
		}
		return
	}
	if p.bar == nil {
		return
	}
	if p.bar.GetMax64() != int64(total) {
		p.bar.ChangeMax64(int64(total))
	}
	_ = p.bar.Set64(int64(done))
}

func (p *progressBar) printPlain() {
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d/%d %s (%.0f%%)\n", p.desc, p.done, p.total, p.unit, 100*float64(p.done)/float64(p.total))
	} else {
		fmt.Fprintf(p.w, "%s: %d %s\n", p.desc, p.done, p.unit)
	}
}

// finish completes the display after success.
func (p *progressBar) finish() {
	if p.plain && p.active {
		p.printPlain()
		return
	}
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Finish()
	}
}

// abort ends the bar's line after a failure, leaving it where it stopped.
func (p *progressBar) abort() {
	if p.bar != nil && !p.bar.IsFinished() {
		fmt.Fprintln(p.w)
	}
}

// shows is whether the display prints anything (a bar or plain lines).
func (p *progressBar) shows() bool { return p.bar != nil || p.plain }

// Write writes a command's own log line so that it does not run into the
// bar: the bar is cleared first and drawn again at the next update.
func (p *progressBar) Write(b []byte) (int, error) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	return p.w.Write(b)
}

// countingSource reports the number of events read so far.
type countingSource struct {
	engine.Source
	n      int
	onRead func(n int)
}

func (c *countingSource) Read(ctx context.Context, buf []engine.Event) (int, error) {
	n, err := c.Source.Read(ctx, buf)
	c.n += n
	c.onRead(c.n)
	return n, err
}

// timedSource reports the time (Unix nanoseconds) of the last event read.
type timedSource struct {
	engine.Source
	onRead func(t int64)
}

func (s *timedSource) Read(ctx context.Context, buf []engine.Event) (int, error) {
	n, err := s.Source.Read(ctx, buf)
	if n > 0 {
		s.onRead(buf[n-1].Time)
	}
	return n, err
}
