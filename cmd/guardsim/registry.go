package main

import (
	"context"
	"io"
	"sort"

	"github.com/spf13/pflag"
)

// command is one guardsim subcommand. Each lives in its own file and
// registers itself in init.
type command struct {
	name    string
	summary string
	// flags declares the command's flags on fs and returns the function that
	// runs the command once the flags are parsed; args are the positional
	// arguments left after parsing.
	setup func(fs *pflag.FlagSet) func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch of the outside world.
type env struct {
	stdout io.Writer
	stderr io.Writer
	// stderrTerminal is whether stderr is a terminal (progress bars are
	// drawn only there).
	stderrTerminal bool
	// getenv reads an environment variable (PAGERDUTY_ROUTING_KEY etc.).
	getenv func(string) string
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("duplicate command " + c.name)
	}
	commands[c.name] = c
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// flags returns a fresh flag set of the command, writing parse errors to
// errw, and the function that runs it.
func (c *command) flags(errw io.Writer) (*pflag.FlagSet, func(context.Context, *env, []string) error) {
	fs := pflag.NewFlagSet("guardsim "+c.name, pflag.ContinueOnError)
	fs.SetOutput(errw)
	fs.SortFlags = false
	return fs, c.setup(fs)
}
