package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine/detect"
)

func init() {
	register(&command{
		name:    "policies",
		summary: "list the named decision policies with their parameters, defaults and sources",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			quiet := fs.BoolP("quiet", "q", false, "print the names only, one per line")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				w := e.stdout
				if *quiet {
					for _, np := range detect.Policies() {
						fmt.Fprintln(w, np.Name)
					}
					return nil
				}
				fmt.Fprintln(w, "Pick one in a scenario or rollout file with `rollout: {policy: NAME, policy_params: {PARAM: VALUE}}`.")
				for _, np := range detect.Policies() {
					fmt.Fprintf(w, "\n%s\n  %s\n", np.Name, np.Summary)
					if !np.Aggregate {
						fmt.Fprintf(w, "  event-level sweeps only: %s\n", np.Why)
					}
					for _, p := range np.Params {
						fmt.Fprintf(w, "  %-24s default %-9s %s [%s]\n", p.Name, p.Default, p.Doc, p.Source)
					}
					fmt.Fprintf(w, "  sources: %s\n", strings.Join(np.Sources, "; "))
				}
				return nil
			}
		},
	})
}
