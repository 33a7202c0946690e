package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

func init() {
	register(&command{
		name:    "live",
		summary: "run a scenario or a replay paced in real time (or sped up), alerting PagerDuty with --alert-live or --pagerduty-url",
		setup: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			scenario := fs.String("scenario", "", "built-in scenario name or scenario YAML file (default: "+scenarios.Default+" unless --events is given)")
			events := fs.StringSlice("events", nil, "replay these event files (as replay --events) instead of a scenario (needs --rollout)")
			rollout := fs.String("rollout", "", "rollout policy for --events (file or built-in scenario name)")
			speed := fs.Float64("speed", 1, "virtual seconds per wall-clock second (3600: an hour a second)")
			out := fs.String("out", "", "output and state directory (default out/live-<name>): timeline.jsonl grows per check, outbox.jsonl spools alerts, live-state.json checkpoints")
			seed := fs.Uint64("seed", 0, "override the scenario's seed")
			follow := fs.Bool("follow", false, "keep reading the stream after the rollout ended (default: stop when it ends)")
			resume := fs.String("resume", "", "continue the live run whose state directory is DIR after a crash or interrupt (other source flags are taken from DIR)")
			mock := fs.Bool("mock", false, "send alerts to the in-process mock (the default without --alert-live or --pagerduty-url)")
			quiet := fs.BoolP("quiet", "q", false, "print nothing but errors: no summary, no progress, no decision lines")
			progressMode := addProgressFlag(fs)
			imp := addImportFlags(fs)
			alerts := addAlertFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if *mock && alerts.pd.real() {
					return usageErrorf("--mock excludes --%s and --%s", flagAlertLive, flagPDURL)
				}
				st := &liveState{Version: liveStateVersion, Scenario: *scenario, SeedSet: fs.Changed("seed"), Seed: *seed,
					Events: *events, Rollout: *rollout, Speed: *speed, Follow: *follow}
				dir := *out
				if *resume != "" {
					for _, n := range []string{"scenario", "events", "rollout", "seed", "out"} {
						if fs.Changed(n) {
							return usageErrorf("--resume takes the run's --%s from %s; do not pass it", n, *resume)
						}
					}
					old, err := readLiveState(*resume)
					if err != nil {
						return err
					}
					if old.Done {
						return usageErrorf("--resume %s: that live run already ended", *resume)
					}
					if err := recoverTimeline(*resume, old); err != nil {
						return err
					}
					if fs.Changed("speed") {
						old.Speed = *speed
					}
					if fs.Changed("follow") {
						old.Follow = *follow
					}
					st, dir = old, *resume
				}
				if !(st.Speed > 0) {
					return usageErrorf("--speed %g must be positive", st.Speed)
				}

				var (
					p     engine.Policy
					src   engine.Source
					r     *engine.Rollout
					name  string
					title string
					eo    engine.Options
					scen  *scenarios.Scenario
				)
				if len(st.Events) > 0 {
					if st.Rollout == "" || st.Scenario != "" {
						return usageErrorf("--events needs --rollout and excludes --scenario")
					}
					s, err := scenarios.LoadRollout(st.Rollout)
					if err != nil {
						return err
					}
					if p, err = s.Policy(); err != nil {
						return err
					}
					rd, o, err := openEvents(ctx, st.Events, p, 0, imp, s.Events)
					if err != nil {
						return err
					}
					defer rd.Close()
					src, name, eo = rd, "replay", o
					title = "live replay of " + strings.Join(rd.Files(), ", ")
				} else {
					if fi, err := os.Stat(st.Scenario); err == nil && !fi.IsDir() {
						if abs, err := filepath.Abs(st.Scenario); err == nil {
							st.Scenario = abs // so that --resume works from any directory
						}
					}
					s, err := loadScenario(st.Scenario, st.SeedSet, st.Seed)
					if err != nil {
						return err
					}
					if p, err = s.Policy(); err != nil {
						return err
					}
					scen, name = s, s.Name
					title = fmt.Sprintf("live run of scenario %s (%s), seed %d", s.Name, s.Source, s.Seed)
					eo.Start = s.Model().Start
				}
				if dir == "" {
					dir = "out/live-" + name
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return fmt.Errorf("live: %w", err)
				}
				if *resume == "" {
					if err := freshStateDir(dir); err != nil {
						return err
					}
				}
				al, err := alerts.setup(ctx, e, true, filepath.Join(dir, liveOutboxFile))
				if err != nil {
					return err
				}
				defer al.close()
				eo.Notifier = al.notifier
				if p, err = alerts.apply(p); err != nil {
					return err
				}
				if r, err = engine.NewRollout(p, eo); err != nil {
					return err
				}
				if scen != nil {
					// The generator asks the rollout what to serve.
					g, err := sim.NewGenerator(scen.Model(), p.Seed, r)
					if err != nil {
						return err
					}
					src = g
				}
				if err := st.write(dir); err != nil {
					return err
				}
				verb := "live"
				if *resume != "" {
					verb = fmt.Sprintf("live: resuming after check %d (%s)", st.Checks, st.Checkpoint.Format(time.RFC3339))
				}
				// Progress in virtual hours: of the scenario's schedule (or
				// horizon, if shorter); a replay's end is not known.
				bar, err := newProgress(e, *progressMode, *quiet, "live "+name, "virtual hours")
				if err != nil {
					return err
				}
				var logw io.Writer = bar // decision lines, clear of the bar
				if *quiet {
					logw = io.Discard
				}
				fmt.Fprintf(logw, "%s: %s at %gx real time; alerts to %s; state in %s\n", verb, title, st.Speed, al.target(), dir)
				var feedSrc engine.Source = &sim.Paced{Src: src, Speed: st.Speed}
				if *resume != "" && !st.Checkpoint.IsZero() {
					ff := &fastForward{src: src, until: st.Checkpoint.UnixNano()}
					ff.paced = &sim.Paced{Src: remainder{ff}, Speed: st.Speed}
					feedSrc = ff
				}
				if bar.shows() {
					total := -1
					if scen != nil {
						total = int(math.Ceil(min(scen.Model().Horizon, schedule.Total(p.Steps)).Hours()))
					}
					start := eo.Start
					feedSrc = &timedSource{Source: feedSrc, onRead: func(t int64) {
						if start.IsZero() {
							start = time.Unix(0, t)
						}
						done := int(time.Unix(0, t).Sub(start).Hours())
						bar.update(done, max(total, done))
					}}
				}
				rec, err := newLiveRecorder(feedSrc, r, logw, dir, st)
				if err != nil {
					return err
				}
				res, ferr := r.Feed(ctx, rec, time.Time{})
				cerr := rec.close()
				if ferr != nil || cerr != nil {
					bar.abort()
				} else {
					bar.finish()
				}
				interrupted := ferr != nil && ctx.Err() != nil
				if ferr != nil && !interrupted {
					return errors.Join(ferr, cerr)
				}
				if cerr != nil {
					return cerr
				}
				if interrupted {
					// SIGINT/SIGTERM: write what we have; alerts still in
					// flight get a short grace, the rest stay spooled.
					res = r.Result()
					title += " (interrupted; continue with guardsim live --resume " + dir + ")"
					grace, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					if err := al.settle(grace, res); err != nil {
						return err
					}
				}
				if err := writeRollout(e, dir, res, title, al, *quiet); err != nil {
					return err
				}
				if !interrupted {
					st.Done = true
					if err := st.write(dir); err != nil {
						return err
					}
				}
				if interrupted {
					return keptOutputs{fmt.Sprintf("stopped at virtual time %s; outputs written to %s; continue with guardsim live --resume %s", res.Outcome.Time.Format(time.RFC3339), dir, dir)}
				}
				return nil
			}
		},
	})
}
