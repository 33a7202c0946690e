// Package layering holds no code: its test checks the project's layering
// rule that library packages know nothing of terminals or flags (no
// pflag, progress bars, terminal detection or writes to os.Stdout and
// os.Stderr outside the cmd folders).
package layering
