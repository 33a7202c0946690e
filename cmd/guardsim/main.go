// Command guardsim is the guarded-rollout workbench: it runs scenarios and
// replays through the rollout engine, sweeps policies by Monte Carlo, and
// sends alerts to PagerDuty (or its in-process mock).
//
// The command is wiring only: flags (pflag), then calls into the packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrTerminal: term.IsTerminal(int(os.Stderr.Fd()))}
	code := run(ctx, os.Args[1:], e)
	stop()
	os.Exit(code)
}

// defaultCommand runs when guardsim is called with no subcommand (or only flags).
const defaultCommand = "run"

// run dispatches args and returns the process exit code: 0 on success, 1 on
// a failed command, 2 on a usage error.
func run(ctx context.Context, args []string, e *env) int {
	name := defaultCommand
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(e.stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "guardsim: unknown command %q\n\n", name)
		usage(e.stderr)
		return 2
	}
	fs := pflag.NewFlagSet("guardsim "+name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	exec := c.setup(fs)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "guardsim %s: %s\n\nUsage: guardsim %s [flags]\n\n%s", name, c.summary, name, fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(e.stderr, "guardsim %s: %v\n", name, err)
		return 2
	}
	if err := exec(ctx, e, fs.Args()); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "guardsim %s: %v\n", name, err)
			return 2
		}
		fmt.Fprintf(e.stderr, "guardsim %s: %v\n", name, err)
		return 1
	}
	return 0
}

// usageError marks an error in how the command was called (exit status 2).
type usageError struct{ error }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "guardsim: a workbench for guarded rollouts\n\nUsage: guardsim COMMAND [flags]   (no command: %s)\n\nCommands:\n", defaultCommand)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'guardsim COMMAND --help' for a command's flags.\n")
}
