package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/scenarios"
)

func init() {
	register(&command{
		name:    "scenarios",
		summary: "list the built-in scenarios (--show NAME prints one's YAML)",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			show := fs.String("show", "", "print the YAML of this built-in scenario")
			quiet := fs.BoolP("quiet", "q", false, "print the names only, one per line")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if *show != "" {
					data, err := scenarios.Builtin(*show)
					if err != nil {
						return fmt.Errorf("unknown built-in scenario %q (built-ins: %s)", *show, strings.Join(scenarios.Names(), ", "))
					}
					_, err = e.stdout.Write(data)
					return err
				}
				for _, n := range scenarios.Names() {
					if *quiet {
						fmt.Fprintln(e.stdout, n)
						continue
					}
					s, err := scenarios.Load(n)
					if err != nil {
						return err
					}
					def := ""
					if n == scenarios.Default {
						def = " (default)"
					}
					fmt.Fprintf(e.stdout, "%-24s %s%s\n", n, strings.TrimSpace(s.Description), def)
				}
				return nil
			}
		},
	})
}
