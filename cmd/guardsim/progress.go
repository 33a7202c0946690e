package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressBar shows a long command's progress on stderr: a bar when stderr is
// a terminal, nothing otherwise (so logs get no carriage-return frames).
type progressBar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// newProgress starts a progress display described by desc, counting unit
// (e.g. "rollouts"). It is a no-op unless enabled and stderr is a terminal.
func newProgress(e *env, enabled bool, desc, unit string) *progressBar {
	p := &progressBar{w: e.stderr}
	if !enabled || !e.stderrTerminal {
		return p
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
	return p
}

// update reports done of total units; it is safe to pass as a library's
// progress callback (calls must not overlap).
func (p *progressBar) update(done, total int) {
	if p.bar == nil {
		return
	}
	if p.bar.GetMax64() != int64(total) {
		p.bar.ChangeMax64(int64(total))
	}
	_ = p.bar.Set64(int64(done))
}

// finish completes the bar after success.
func (p *progressBar) finish() {
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
