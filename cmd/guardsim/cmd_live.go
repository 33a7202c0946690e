package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
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
			out := fs.String("out", "", "output directory (default out/live-<name>)")
			seed := fs.Uint64("seed", 0, "override the scenario's seed")
			mock := fs.Bool("mock", false, "send alerts to the in-process mock (the default without --alert-live or --pagerduty-url)")
			quiet := fs.BoolP("quiet", "q", false, "do not print the summary")
			imp := addImportFlags(fs)
			alerts := addAlertFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("unexpected arguments %q", args)
				}
				if !(*speed > 0) {
					return usageErrorf("--speed %g must be positive", *speed)
				}
				if *mock && alerts.pd.real() {
					return usageErrorf("--mock excludes --%s and --%s", flagAlertLive, flagPDURL)
				}
				al, err := alerts.setup(ctx, e, true)
				if err != nil {
					return err
				}
				defer al.close()

				var (
					p     engine.Policy
					src   engine.Source
					r     *engine.Rollout
					name  string
					title string
				)
				if len(*events) > 0 {
					if *rollout == "" || *scenario != "" {
						return usageErrorf("--events needs --rollout and excludes --scenario")
					}
					s, err := scenarios.LoadRollout(*rollout)
					if err != nil {
						return err
					}
					if p, err = s.Policy(); err != nil {
						return err
					}
					rd, eo, err := openEvents(ctx, *events, p, 0, imp, s.Events)
					if err != nil {
						return err
					}
					defer rd.Close()
					eo.Notifier = al.notifier
					if r, err = engine.NewRollout(p, eo); err != nil {
						return err
					}
					src, name = rd, "replay"
					title = "live replay of " + strings.Join(rd.Files(), ", ")
				} else {
					s, err := loadScenario(*scenario, fs.Changed("seed"), *seed)
					if err != nil {
						return err
					}
					if p, err = s.Policy(); err != nil {
						return err
					}
					m := s.Model()
					if r, err = engine.NewRollout(p, engine.Options{Start: m.Start, Notifier: al.notifier}); err != nil {
						return err
					}
					g, err := sim.NewGenerator(m, p.Seed, r)
					if err != nil {
						return err
					}
					src, name = g, s.Name
					title = fmt.Sprintf("live run of scenario %s (%s), seed %d", s.Name, s.Source, s.Seed)
				}
				dir := *out
				if dir == "" {
					dir = "out/live-" + name
				}
				fmt.Fprintf(e.stderr, "live: %s at %gx real time; alerts to %s\n", title, *speed, al.target())
				paced := &sim.Paced{Src: src, Speed: *speed}
				res, err := r.Feed(ctx, &progress{Source: paced, r: r, w: e.stderr}, time.Time{})
				if err != nil {
					return err
				}
				return writeRollout(e, dir, res, title, al, *quiet)
			}
		},
	})
}

// progress prints each decision other than "continue" as it happens.
type progress struct {
	engine.Source
	r       *engine.Rollout
	w       io.Writer
	printed int
}

func (p *progress) Read(ctx context.Context, buf []engine.Event) (int, error) {
	tl := p.r.Timeline()
	for ; p.printed < len(tl); p.printed++ {
		c := tl[p.printed]
		if c.Decision != engine.DecisionContinue {
			fmt.Fprintf(p.w, "live: %s  +%s  step %d (%g%%)  %s  %s\n", time.Now().UTC().Format(time.RFC3339), c.Elapsed, c.Step, c.Percent, c.Decision, c.Note)
		}
	}
	return p.Source.Read(ctx, buf)
}
