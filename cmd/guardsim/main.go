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
	"runtime/pprof"
	"syscall"

	"github.com/spf13/pflag"
	"golang.org/x/term"
)

func main() {
	ctx, stop := notifyContext(context.Background())
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrTerminal: term.IsTerminal(int(os.Stderr.Fd()))}
	stopProfile, err := startCPUProfile(os.Getenv("GUARDSIM_CPUPROFILE"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "guardsim: GUARDSIM_CPUPROFILE: %v\n", err)
		os.Exit(1)
	}
	code := run(ctx, os.Args[1:], e)
	stopProfile()
	stop()
	os.Exit(code)
}

// startCPUProfile writes a CPU profile of the whole command to path (go
// tool pprof reads it) when path is set; the returned function ends it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// interrupted is the cancellation cause of a command stopped by a signal.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

// exitCode is the conventional shell status of a process ended by the
// signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
func (i interrupted) exitCode() int {
	if s, ok := i.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// notifyContext is cancelled, with an interrupted cause, on the first
// SIGINT or SIGTERM; a second signal kills the process as usual.
func notifyContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			cancel(interrupted{sig})
			signal.Stop(ch)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// defaultCommand runs when guardsim is called with no subcommand (or only flags).
const defaultCommand = "run"

// run dispatches args and returns the process exit code: 0 on success, 1 on
// a failed command, 2 on a usage error, 128+N when stopped by signal N.
func run(ctx context.Context, args []string, e *env) int {
	name := defaultCommand
	explicit := false
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args, explicit = args[0], args[1:], true
	}
	switch {
	case name == "help":
		if len(args) == 0 {
			usage(e.stdout)
			return 0
		}
		c, ok := commands[args[0]]
		if !ok || len(args) > 1 {
			fmt.Fprintf(e.stderr, "guardsim help: unknown command %q\n\n", args[0])
			usage(e.stderr)
			return 2
		}
		commandUsage(e.stdout, c)
		return 0
	case name == "version" || (!explicit && len(args) == 1 && args[0] == "--version"):
		fmt.Fprintln(e.stdout, versionString())
		return 0
	case !explicit && len(args) == 1 && (args[0] == "--help" || args[0] == "-h"):
		usage(e.stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "guardsim: unknown command %q\n\n", name)
		usage(e.stderr)
		return 2
	}
	fs, exec := c.flags(e.stderr)
	fs.Usage = func() { commandUsage(e.stdout, c) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(e.stderr, "guardsim %s: %v\nRun 'guardsim help %s' for its flags.\n", name, err, name)
		return 2
	}
	err := exec(ctx, e, fs.Args())
	if err == nil {
		return 0
	}
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) && ctx.Err() != nil {
		// One message, whatever the command made of the cancellation.
		what := "nothing written"
		var kept keptOutputs
		if errors.As(err, &kept) {
			what = kept.Error()
		}
		fmt.Fprintf(e.stderr, "guardsim %s: %v; %s\n", name, sig, what)
		return sig.exitCode()
	}
	fmt.Fprintf(e.stderr, "guardsim %s: %v\n", name, err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError marks an error in how the command was called (exit status 2).
type usageError struct{ error }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// usage lists the commands, one line each, and the default command's flags.
func usage(w io.Writer) {
	fmt.Fprintf(w, "guardsim: a workbench for guarded rollouts\n\nUsage: guardsim COMMAND [flags]   (no command: %s)\n       guardsim help COMMAND | guardsim COMMAND --help   (a command's flags)\n       guardsim --version\n\n", defaultCommand)
	commandList(w)
	fs, _ := commands[defaultCommand].flags(io.Discard)
	fmt.Fprintf(w, "\nFlags of %s (the default command):\n%s", defaultCommand, fs.FlagUsages())
}

// commandUsage shows one command's summary, usage and flags.
func commandUsage(w io.Writer, c *command) {
	fs, _ := c.flags(io.Discard)
	fmt.Fprintf(w, "guardsim %s: %s\n\nUsage: guardsim %s [flags]\n\nFlags:\n%s\n", c.name, c.summary, c.name, fs.FlagUsages())
	commandList(w)
}

func commandList(w io.Writer) {
	fmt.Fprintln(w, "Commands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
}
