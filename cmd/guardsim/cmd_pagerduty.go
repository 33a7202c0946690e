package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/pagerduty"
)

func init() {
	register(&command{
		name:    "pagerduty-mock",
		summary: "serve a validating PagerDuty Events API mock (v1 and v2) with fault injection until interrupted",
		setup:   setupPagerDutyMock,
	})
	register(&command{
		name:    "pagerduty-test",
		summary: "send one PagerDuty trigger and its resolve per flag key and report what happened",
		setup:   setupPagerDutyTest,
	})
}

func setupPagerDutyMock(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
	var o pagerduty.MockOptions
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	eventsFile := fs.String("events-file", "", "append every received event to this JSONL file (the routing key is recorded as a fingerprint)")
	fs.IntVar(&o.RateLimitEvery, "rate-limit-every", 0, "answer every Nth event request with a rate limit (429 on v2, 403 on v1)")
	fs.IntVar(&o.RateLimitFirst, "rate-limit-first", 0, "rate-limit the first N event requests (after --drop-first)")
	fs.IntVar(&o.FailFirst, "fail-first", 0, "answer the first N event requests (after --drop-first and --rate-limit-first) with a 5xx")
	fs.Float64Var(&o.FailRate, "fail-rate", 0, "answer event requests with a 5xx with this probability (0..1, seeded)")
	fs.IntVar(&o.FailStatus, "fail-status", 500, "HTTP status of injected server errors (500..599)")
	fs.DurationVar(&o.Delay, "delay", 0, "delay every event answer by this long")
	fs.IntVar(&o.DropFirst, "drop-first", 0, "drop the connection of the first N event requests without answering")
	fs.Float64Var(&o.DropRate, "drop-rate", 0, "drop the connection of event requests with this probability (0..1, seeded)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the fault and generated-key draws")
	quiet := fs.BoolP("quiet", "q", false, "print only the mock's URL (no endpoint list, no statistics at the end)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unexpected arguments %q", args)
		}
		if o.RateLimitEvery < 0 || o.RateLimitFirst < 0 || o.FailFirst < 0 || o.DropFirst < 0 {
			return usageErrorf("fault counts must not be negative")
		}
		if o.FailRate < 0 || o.FailRate > 1 || o.DropRate < 0 || o.DropRate > 1 {
			return usageErrorf("--fail-rate and --drop-rate must be within [0, 1]")
		}
		if o.FailStatus < 500 || o.FailStatus > 599 {
			return usageErrorf("--fail-status %d is not a 5xx status", o.FailStatus)
		}
		if o.Delay < 0 {
			return usageErrorf("--delay must not be negative")
		}
		o.Addr = *addr
		var f *os.File
		if *eventsFile != "" {
			var err error
			if f, err = os.OpenFile(*eventsFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
				return fmt.Errorf("opening events file: %w", err)
			}
			defer f.Close()
			o.EventsWriter = f
		}
		m, err := pagerduty.StartMock(ctx, o)
		if err != nil {
			return err
		}
		if *quiet {
			fmt.Fprintln(e.stdout, m.URL())
		} else {
			fmt.Fprintf(e.stdout, "pagerduty mock listening on %s\n", m.URL())
			fmt.Fprintf(e.stdout, "  POST %s%s (v2)  POST %s%s (v2 change events)  POST %s%s (v1)\n  GET  %s/events  %s/incidents  %s/changes  %s/stats\n",
				m.URL(), pagerduty.PathV2, m.URL(), pagerduty.PathChange, m.URL(), pagerduty.PathV1, m.URL(), m.URL(), m.URL(), m.URL())
		}
		select {
		case <-ctx.Done():
		case <-m.Done():
		}
		closeErr := m.Close()
		st := m.Stats()
		if !*quiet {
			fmt.Fprintf(e.stdout, "pagerduty mock stopped: %d requests: %d accepted, %d rejected, %d rate-limited, %d server errors, %d dropped, %d abandoned; %d incidents (%d open); %d change events\n",
				st.Requests, st.Accepted, st.Rejected, st.RateLimited, st.ServerErrors, st.Dropped, st.Abandoned, st.Incidents, st.Open, st.Changes)
		}
		if f != nil {
			if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
				closeErr = errors.Join(closeErr, fmt.Errorf("closing events file: %w", err))
			}
		}
		return closeErr
	}
}

func setupPagerDutyTest(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
	pd := addPDFlags(fs, true)
	// Older spellings, kept as deprecated aliases of the shared names.
	fs.StringVar(&pd.severity, "severity", "critical", "same as --"+flagPDSeverity)
	_ = fs.MarkDeprecated("severity", "use --"+flagPDSeverity)
	fs.IntVar(&pd.maxAttempts, "max-attempts", pd.maxAttempts, "same as --"+flagPDMaxAttempts)
	_ = fs.MarkDeprecated("max-attempts", "use --"+flagPDMaxAttempts)
	flagKeys := fs.StringArray("flag-key", []string{"pagerduty-test-flag"}, "flag key to alert on (repeatable); the dedup key is PROJECT:ENV:FLAG")
	project := fs.String("project", "default", "project key of the test alerts")
	environment := fs.String("environment", "test", "environment key of the test alerts")
	source := fs.String("source", pagerduty.DefaultSource, "payload.source of the triggers")
	tags := fs.StringSlice("tags", nil, "tags sent in custom_details")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up on the whole test after this long")
	quiet := fs.BoolP("quiet", "q", false, "print nothing when every event is delivered (failures are still reported)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unexpected arguments %q", args)
		}
		for _, k := range *flagKeys {
			if strings.TrimSpace(k) == "" {
				return usageErrorf("--flag-key must not be empty")
			}
		}
		cfg, err := pd.config(e.getenv)
		if err != nil {
			if errors.Is(err, pagerduty.ErrNoRoutingKey) || errors.Is(err, pagerduty.ErrInvalidRoutingKey) || errors.Is(err, pagerduty.ErrInvalidConfig) {
				return usageErrorf("%w", err)
			}
			return err
		}
		cfg.Source, cfg.Tags = *source, *tags
		level := slog.LevelInfo
		if *quiet {
			level = slog.LevelWarn
		}
		cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
		c, err := pagerduty.NewClient(cfg)
		if err != nil {
			return usageErrorf("%w", err)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if *quiet {
			// The report only when something failed.
			var buf strings.Builder
			err := pagerDutyTest(ctx, &buf, c, *project, *environment, *flagKeys)
			if err != nil {
				fmt.Fprint(e.stdout, buf.String())
			}
			return err
		}
		return pagerDutyTest(ctx, e.stdout, c, *project, *environment, *flagKeys)
	}
}

// pagerDutyTest sends a trigger then its resolve for each flag and prints
// one line per event. The resolve is sent even when the trigger failed, so
// that a trigger that did get through is not left open.
func pagerDutyTest(ctx context.Context, w io.Writer, c *pagerduty.Client, project, environment string, flagKeys []string) error {
	fmt.Fprintf(w, "PagerDuty Events API %s at %s (routing key %s)\n", c.Version(), c.Endpoint(), c.RoutingKeyFingerprint())
	for _, flag := range flagKeys {
		base := engine.Alert{ProjectKey: project, EnvironmentKey: environment, FlagKey: flag, Metric: "guardsim-test"}
		trigger, resolve := base, base
		trigger.Kind, trigger.Time = engine.AlertRegression, time.Now().UTC()
		trigger.Summary = "[guardsim pagerduty-test] " + engine.RegressionSummary(flag)
		_ = c.Notify(ctx, trigger) // recorded in Deliveries
		resolve.Kind, resolve.Time = engine.AlertReverted, time.Now().UTC()
		resolve.Reason = engine.ReasonRegression
		resolve.Summary = "[guardsim pagerduty-test] Measured rollout reverted on flag " + flag
		_ = c.Notify(ctx, resolve)
	}
	ds := c.Deliveries()
	failed := 0
	for _, d := range ds {
		status := "delivered"
		if !d.Delivered {
			status = "NOT delivered"
			failed++
		}
		fmt.Fprintf(w, "%-8s %-40s %-13s HTTP %3d  attempts %d", d.Action, d.DedupKey, status, d.StatusCode, d.Attempts)
		if d.ResponseKey != "" && d.ResponseKey != d.DedupKey {
			fmt.Fprintf(w, "  answered key %s", d.ResponseKey)
		}
		if d.Error != "" {
			fmt.Fprintf(w, "\n         error: %s", d.Error)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d of %d events delivered\n", len(ds)-failed, len(ds))
	if failed > 0 {
		return fmt.Errorf("%d of %d PagerDuty events not delivered", failed, len(ds))
	}
	return nil
}
