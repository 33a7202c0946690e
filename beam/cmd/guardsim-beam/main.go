// Command guardsim-beam runs guardsim's sweeps and fleet backtests as Apache
// Beam pipelines: on the in-process prism runner by default, and unchanged
// on Flink, Spark (--runner=flink|spark|universal --endpoint=HOST:PORT) or
// Google Dataflow (--runner=dataflow). It takes the flags and inputs of
// `guardsim sweep` and `guardsim backtest` and writes identical outputs.
//
// Beam's own flags (--runner, --endpoint, --worker_binary, --job_name, …)
// are standard-library flags, accepted next to the command's. Workers are
// started as `guardsim-beam --worker=true …`: main parses the flags and
// calls beam.Init() before dispatching, so a worker never reaches the
// commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/spf13/pflag"

	// Runners and filesystems (gs://, s3://, local).
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand: its flags on fs, then the pipeline run.
type command struct {
	summary string
	setup   func(fs *pflag.FlagSet) func(ctx context.Context, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"sweep":    sweepCommand,
	"backtest": backtestCommand,
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "guardsim-beam: guardsim's sweeps and fleet backtests on Apache Beam\n\nUsage: guardsim-beam COMMAND [flags] [beam flags]\n\nCommands:\n")
	for _, n := range []string{"sweep", "backtest"} {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nBeam flags include --runner (default prism), --endpoint, --environment_type, --worker_binary, --job_name.\nSee docs/SCALE-OUT.md.\n")
}

// run dispatches args; it returns the exit status (2 for a usage error).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		// No command: a Beam worker (--worker=true …) or a mistake.
		if err := flag.CommandLine.Parse(args); err != nil {
			return 2
		}
		beam.Init() // a worker runs its harness here and exits
		usage(stderr)
		return 2
	}
	name, args := args[0], args[1:]
	if name == "help" || name == "--help" || name == "-h" {
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "guardsim-beam: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	fs := pflag.NewFlagSet("guardsim-beam "+name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	exec := c.setup(fs)
	timeout := fs.Duration("timeout", time.Hour, "give up (exit 124) if the pipeline has not finished by then: every run has a deadline")
	allowNet := fs.Bool("prism-any-interface", false, "run prism's job server without a loopback-only sandbox (it listens on every interface)")
	fs.AddGoFlagSet(flag.CommandLine)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "guardsim-beam %s: %v\n", name, err)
		return 2
	}
	_ = flag.CommandLine.Parse(nil) // mark Beam's flags parsed
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "guardsim-beam %s: unexpected arguments %q\n", name, fs.Args())
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "guardsim-beam %s: --timeout must be positive\n", name)
		return 2
	}
	if usesLocalPrism() && !*allowNet {
		sandboxed, err := loopbackOnly()
		if err != nil {
			fmt.Fprintf(stderr, "guardsim-beam %s: %v\n", name, err)
			return 1
		}
		if !sandboxed {
			// prism's job server binds every interface: re-run in a
			// network namespace that has only loopback.
			return reexecSandboxed(stderr)
		}
	}
	beam.Init() // before any dispatch (no-op outside a worker)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// prism can hang after a worker fails to boot, ignoring ctx: a
	// watchdog ends the process shortly after the deadline.
	watchdog := time.AfterFunc(*timeout+15*time.Second, func() {
		fmt.Fprintf(stderr, "guardsim-beam %s: pipeline still running %v after its --timeout; giving up\n", name, *timeout)
		os.Exit(124)
	})
	defer watchdog.Stop()
	if err := exec(ctx, stdout, stderr); err != nil {
		var ue usageError
		switch {
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "guardsim-beam %s: %v\n", name, err)
			return 2
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(stderr, "guardsim-beam %s: pipeline did not finish within --timeout %v: %v\n", name, *timeout, err)
			return 124
		}
		fmt.Fprintf(stderr, "guardsim-beam %s: %v\n", name, err)
		return 1
	}
	return 0
}

// usageError marks an error in how the command was called (exit 2).
type usageError struct{ error }

func usageErrorf(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// usesLocalPrism reports whether this run starts prism's job server here.
func usesLocalPrism() bool {
	r := *runners.Runner
	return (r == "" || r == "prism" || r == "PrismRunner") && *jobopts.Endpoint == ""
}

func workers() int { return runtime.GOMAXPROCS(0) }
