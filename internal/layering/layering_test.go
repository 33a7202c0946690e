package layering

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forbiddenImports are CLI concerns.
var forbiddenImports = []string{
	"github.com/spf13/pflag",
	"flag",
	"github.com/schollz/progressbar/v3",
	"golang.org/x/term",
}

// libraryFiles lists the non-test Go files of the library packages: every
// package of the repository (and of the beam module) outside cmd folders,
// testdata and non-Go tooling.
func libraryFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "cmd", "testdata", "node_modules", ".git", "bench":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	}))
	return files
}

// TestLibrariesHaveNoCLICode: no library file imports a flag, progress-bar
// or terminal package, or touches os.Stdout / os.Stderr.
func TestLibrariesHaveNoCLICode(t *testing.T) {
	root := filepath.Join("..", "..")
	files := libraryFiles(t, root)
	require.Greater(t, len(files), 50, "found the library files")
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err, path)
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbiddenImports {
				assert.NotEqual(t, bad, ip, "%s imports %s (CLI code belongs in cmd/)", path, ip)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" && (sel.Sel.Name == "Stdout" || sel.Sel.Name == "Stderr") {
				assert.Fail(t, "library writes to the terminal", "%s: os.%s", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// TestLayeringCatchesViolations: the check finds a planted violation (so
// it cannot pass by finding nothing).
func TestLayeringCatchesViolations(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lib"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lib", "x.go"), []byte("package lib\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "cmd", "tool"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cmd", "tool", "main.go"), []byte("package main\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lib", "x_test.go"), []byte("package lib\n"), 0o644))
	got := libraryFiles(t, dir)
	assert.Equal(t, []string{filepath.Join(dir, "lib", "x.go")}, got, "cmd and test files are skipped")
}
