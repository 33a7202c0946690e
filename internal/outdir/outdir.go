// Package outdir stages a command's output files in a temporary directory
// inside the destination and moves them into place only when every file was
// written, so a failed run leaves no half-written output behind. Staging
// inside (not beside) the destination needs write access to it alone:
// `guardsim run --out .` works in a directory whose parent is read-only.
package outdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/guardsim/guardsim/internal/atomicfile"
)

// Staging is a temporary directory whose files become Dir's on Commit.
type Staging struct {
	Dir     string
	tmp     string
	done    bool
	created string // the output directory, when New created it
}

// New creates the staging directory for dir: a hidden .guardsim-staging-*
// directory inside dir, which New creates if needed (and Abort removes
// again).
func New(dir string) (*Staging, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", dir, err)
	}
	st := &Staging{Dir: dir}
	switch fi, err := os.Stat(abs); {
	case err == nil && !fi.IsDir():
		return nil, fmt.Errorf("output directory %s exists and is not a directory", dir)
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("output directory %s: %w", dir, err)
		}
		st.created = abs
	case err != nil:
		return nil, fmt.Errorf("output directory %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(abs, StagingPrefix+"*")
	if err != nil {
		st.removeCreated()
		return nil, fmt.Errorf("output directory %s: %w", dir, err)
	}
	st.tmp = tmp
	return st, nil
}

// StagingPrefix starts the name of a staging directory (inside the output
// directory; one left by a killed process may be deleted).
const StagingPrefix = ".guardsim-staging-"

func (s *Staging) removeCreated() {
	if s.created != "" {
		_ = os.Remove(s.created) // only if still empty
	}
}

// Path is where a file named rel (relative to the output directory) is
// staged; its parent directories exist.
func (s *Staging) Path(rel string) string {
	p := filepath.Join(s.tmp, rel)
	_ = os.MkdirAll(filepath.Dir(p), 0o755)
	return p
}

// Root is the staging directory itself (for writers that take a directory).
func (s *Staging) Root() string { return s.tmp }

// Write writes a staged file through fn.
func (s *Staging) Write(rel string, fn func(w io.Writer) error) error {
	return atomicfile.Write(s.Path(rel), fn)
}

// Commit moves every staged file into the output directory (replacing files
// of the same name) and removes the staging directory.
func (s *Staging) Commit() error {
	if s.done {
		return nil
	}
	s.done = true
	defer os.RemoveAll(s.tmp)
	return filepath.WalkDir(s.tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(s.tmp, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(s.Dir, rel)
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("output %s: %w", dst, err)
			}
			return nil
		}
		if err := os.Rename(p, dst); err != nil {
			return fmt.Errorf("output %s: %w", dst, err)
		}
		return nil
	})
}

// Abort removes the staging directory unless it was committed, and the
// output directory if New created it.
func (s *Staging) Abort() {
	if !s.done {
		s.done = true
		_ = os.RemoveAll(s.tmp)
		s.removeCreated()
	}
}
