package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/sim/sweep"
)

func init() {
	register(&command{
		name:    "sweep-merge",
		summary: "merge the partial results of 'guardsim sweep --shard K/N' into the full sweep's reports",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			out := fs.String("out", "", "output directory (default out/sweep-<scenario name>)")
			quiet := fs.BoolP("quiet", "q", false, "no summary table")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usageErrorf("no partial results given (want PART… : " + sweep.PartialFile + " files or the directories holding them)")
				}
				parts := make([]*sweep.Partial, len(args))
				for i, a := range args {
					p, err := readPartial(a)
					if err != nil {
						return err
					}
					parts[i] = p
				}
				merged, err := sweep.MergePartials(parts...)
				if err != nil {
					return mergeErr(err, args)
				}
				res, err := merged.Result()
				if err != nil {
					return err
				}
				dir := *out
				if dir == "" {
					dir = filepath.Join("out", "sweep-"+res.Scenario)
				}
				st, err := outdir.New(dir)
				if err != nil {
					return err
				}
				defer st.Abort()
				if err := reports.WriteSweep(st.Root(), res); err != nil {
					return err
				}
				if err := st.Commit(); err != nil {
					return err
				}
				if *quiet {
					return nil
				}
				return writeSweepTable(e.stdout, res, dir)
			}
		},
	})
}

// readPartial reads a partial result from a file, or from the
// sweep-partial.json in a directory.
func readPartial(path string) (*sweep.Partial, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, sweep.PartialFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := sweep.DecodePartial(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// partRef matches "part N" in a merge error.
var partRef = regexp.MustCompile(`part (\d+)\b`)

// mergeErr names the files behind "part N" in a merge error.
func mergeErr(err error, args []string) error {
	if !errors.Is(err, sweep.ErrPartial) {
		return err
	}
	return errors.New(partRef.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(m[len("part "):])
		if n < 1 || n > len(args) {
			return m
		}
		return m + " (" + args[n-1] + ")"
	}))
}

// writeSweepShard writes the partial result of one shard of a sweep.
func writeSweepShard(e *env, p *sweep.Partial, sh sweep.Shard, st *outdir.Staging, dir string, quiet bool) error {
	if err := st.Write(sweep.PartialFile, func(w io.Writer) error { return sweep.EncodePartial(w, p) }); err != nil {
		return err
	}
	if err := st.Commit(); err != nil {
		return err
	}
	if quiet {
		return nil
	}
	lo, hi := sh.Reps(p.Reps)
	_, err := fmt.Fprintf(e.stdout, "shard %d/%d of sweep %s: replications [%d, %d) of %d in each of %d cells\npartial result in %s (merge all %d with 'guardsim sweep-merge')\n",
		sh.K, sh.N, p.Scenario, lo, hi, p.Reps, len(p.Cells), filepath.Join(dir, sweep.PartialFile), sh.N)
	return err
}
