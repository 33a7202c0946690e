package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/guardsim/guardsim/internal/outdir"
)

// isRemote reports whether path names an object store (gs://, s3://, …).
func isRemote(path string) bool { return strings.Contains(path, "://") }

// publish writes a report directory with write and puts it at out, all at
// once: a local out is staged beside its final place and renamed into it;
// an object-store out gets its objects uploaded only after every file was
// written locally (each object write is atomic; report.md goes last, so a
// reader that sees it sees the whole report).
func publish(ctx context.Context, out string, write func(dir string) error) error {
	if !isRemote(out) {
		st, err := outdir.New(out)
		if err != nil {
			return err
		}
		defer st.Abort()
		if err := write(st.Root()); err != nil {
			return err
		}
		return st.Commit()
	}
	tmp, err := os.MkdirTemp("", "guardsim-beam-out-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	fs, err := filesystem.New(ctx, out)
	if err != nil {
		return fmt.Errorf("guardsim-beam: output %s: %w", out, err)
	}
	defer fs.Close()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	var last []string
	for _, e := range entries {
		if e.Name() == "report.md" || e.Name() == "report.html" {
			last = append(last, e.Name())
			continue
		}
		if err := upload(ctx, fs, filepath.Join(tmp, e.Name()), strings.TrimSuffix(out, "/")+"/"+e.Name()); err != nil {
			return err
		}
	}
	for _, name := range last {
		if err := upload(ctx, fs, filepath.Join(tmp, name), strings.TrimSuffix(out, "/")+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

func upload(ctx context.Context, fs filesystem.Interface, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := fs.OpenWrite(ctx, remote)
	if err != nil {
		return fmt.Errorf("guardsim-beam: write %s: %w", remote, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		_ = w.Close()
		return fmt.Errorf("guardsim-beam: write %s: %w", remote, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("guardsim-beam: write %s: %w", remote, err)
	}
	return nil
}

// localCopy makes a remote event file readable by guardsim's reader: it is
// streamed to a temporary local file (not held in memory), which cleanup
// removes. Local paths are returned as they are.
func localCopy(ctx context.Context, path string) (string, func(), error) {
	if !isRemote(path) {
		return path, func() {}, nil
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("guardsim-beam: %s: %w", path, err)
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("guardsim-beam: %s: %w", path, err)
	}
	defer r.Close()
	f, err := os.CreateTemp("", "guardsim-beam-*.parquet")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.Remove(f.Name()) }
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		cleanup()
		return "", nil, fmt.Errorf("guardsim-beam: copy %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}
