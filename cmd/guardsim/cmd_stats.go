package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine/stats/kit"
	"github.com/guardsim/guardsim/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "stats",
		summary: "compute a statistic (interval, p-value, bucket) from given inputs: guardsim stats FUNC key=value… | --csv FILE; --list; --check DIR",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			list := fs.Bool("list", false, "list the functions with their arguments and outputs")
			csvIn := fs.String("csv", "", "input CSV: a header naming the arguments, one call per row")
			out := fs.String("out", "", "write the output CSV here (default: standard output)")
			check := fs.String("check", "", "check the test vectors in this directory or JSON file and report mismatches")
			quiet := fs.BoolP("quiet", "q", false, "with --check: print only the mismatches (no tally)")
			return func(_ context.Context, e *env, args []string) error {
				switch {
				case *list:
					if len(args) > 0 || *csvIn != "" || *check != "" {
						return usageErrorf("--list takes no other arguments")
					}
					for _, f := range kit.Funcs() {
						fmt.Fprintf(e.stdout, "%s\n  %s\n  arguments: %s\n  outputs:   %s\n", f.Name, f.Doc, strings.Join(f.Params, " "), strings.Join(f.Outputs, " "))
					}
					fmt.Fprintln(e.stdout, "\n(arguments ending in ? are optional)")
					return nil
				case *check != "":
					if len(args) > 0 || *csvIn != "" {
						return usageErrorf("--check takes no other arguments")
					}
					return checkVectors(e, *check, *quiet)
				}
				if len(args) == 0 {
					return usageErrorf("name a function (guardsim stats --list shows them)")
				}
				name := args[0]
				if _, ok := kit.Lookup(name); !ok {
					return usageErrorf("unknown function %q (guardsim stats --list shows them)", name)
				}
				var buf bytes.Buffer
				if *csvIn != "" {
					if len(args) > 1 {
						return usageErrorf("with --csv, arguments come from the file, not %q", args[1:])
					}
					f, err := os.Open(*csvIn)
					if err != nil {
						return err
					}
					defer f.Close()
					if err := kit.CallCSV(name, f, &buf); err != nil {
						return fmt.Errorf("%s: %w", *csvIn, err)
					}
				} else {
					a, raw, order := kit.Args{}, map[string]string{}, []string(nil)
					for _, kv := range args[1:] {
						k, v, ok := strings.Cut(kv, "=")
						if !ok || k == "" {
							return usageErrorf("argument %q is not key=value", kv)
						}
						p, err := kit.ParseArg(v)
						if err != nil {
							return usageErrorf("argument %s: %v", k, err)
						}
						if _, dup := a[k]; dup {
							return usageErrorf("argument %s given twice", k)
						}
						a[k], raw[k] = p, v
						order = append(order, k)
					}
					if err := kit.WriteCall(name, a, raw, order, &buf); err != nil {
						return err
					}
				}
				if *out == "" {
					_, err := e.stdout.Write(buf.Bytes())
					return err
				}
				return atomicfile.WriteFile(*out, buf.Bytes())
			}
		},
	})
}

// checkVectors runs every vector under path (a directory of JSON files or
// one file) and fails when any output disagrees.
func checkVectors(e *env, path string, quiet bool) error {
	var files []*kit.File
	if st, err := os.Stat(path); err != nil {
		return err
	} else if st.IsDir() {
		if files, err = kit.LoadDir(path); err != nil {
			return err
		}
	} else {
		f, err := kit.LoadFile(path)
		if err != nil {
			return err
		}
		files = []*kit.File{f}
	}
	total, bad := 0, 0
	for _, f := range files {
		for _, c := range f.Cases {
			total++
			mm, err := c.Check()
			if err != nil {
				bad++
				fmt.Fprintf(e.stdout, "FAIL %s: %s: %v\n", f.Path, c.Name, err)
				continue
			}
			if len(mm) > 0 {
				bad++
				for _, m := range mm {
					fmt.Fprintf(e.stdout, "FAIL %s: %s: %s\n", f.Path, c.Name, m)
				}
			}
		}
	}
	if !quiet {
		fmt.Fprintf(e.stdout, "%d of %d vectors reproduce\n", total-bad, total)
	}
	if bad > 0 {
		return fmt.Errorf("%d vectors do not reproduce", bad)
	}
	return nil
}
