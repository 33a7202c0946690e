package outdir

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStagesInsideTheOutputDirectory(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, "old.txt"), []byte("keep"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(out, "a.txt"), []byte("old"), 0o644))
	st, err := New(out)
	require.NoError(t, err)
	assert.Equal(t, out, filepath.Dir(st.Root()), "staged inside --out, not beside it")
	assert.True(t, strings.HasPrefix(filepath.Base(st.Root()), StagingPrefix))
	require.NoError(t, st.Write("a.txt", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }))
	require.NoError(t, st.Write("charts/b.png", func(w io.Writer) error { _, err := io.WriteString(w, "png"); return err }))
	b, _ := os.ReadFile(filepath.Join(out, "a.txt"))
	assert.Equal(t, "old", string(b), "nothing moves before Commit")
	require.NoError(t, st.Commit())
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"a.txt", "charts", "old.txt"}, names, "staging removed, files in place")
	b, _ = os.ReadFile(filepath.Join(out, "a.txt"))
	assert.Equal(t, "new", string(b))
}

func TestAbortLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "new", "out")
	st, err := New(out)
	require.NoError(t, err)
	assert.Error(t, st.Write("a.txt", func(w io.Writer) error { return errors.New("disk full") }))
	st.Abort()
	assert.NoDirExists(t, out, "a directory New created goes again")

	existing := t.TempDir()
	st, err = New(existing)
	require.NoError(t, err)
	require.NoError(t, st.Write("a.txt", func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }))
	st.Abort()
	entries, _ := os.ReadDir(existing)
	assert.Empty(t, entries, "an existing directory is left as it was")
	assert.DirExists(t, existing)

	f := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	_, err = New(f)
	assert.ErrorContains(t, err, "is not a directory")
}
