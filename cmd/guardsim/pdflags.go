package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/pagerduty"
)

// realPagerDutyURL is the Events API origin --alert-live sends to. A
// variable only so that tests can point it at a loopback listener and
// prove that nothing reaches it unless asked.
var realPagerDutyURL = pagerduty.DefaultBaseURL

// PagerDuty flag names, the same on every command that sends alerts.
const (
	flagPDURL            = "pagerduty-url"
	flagAlertLive        = "alert-live"
	flagPDVersion        = "pagerduty-version"
	flagPDSeverity       = "pagerduty-severity"
	flagRoutingKeyFile   = "routing-key-file"
	flagPDMaxAttempts    = "pagerduty-max-attempts"
	flagPDAttemptTimeout = "pagerduty-attempt-timeout"
	flagPDBudget         = "pagerduty-budget"
	flagPDRetrySeed      = "pagerduty-retry-seed"
	flagLinkURL          = "link-url"
)

// pdFlags are the PagerDuty flags shared by run, replay, live and
// pagerduty-test. There is deliberately no flag for the routing key: it
// comes from PAGERDUTY_ROUTING_KEY or --routing-key-file.
type pdFlags struct {
	fs             *pflag.FlagSet
	url            string
	live           bool
	version        string
	severity       string
	routingKeyFile string
	maxAttempts    int
	attemptTimeout time.Duration
	budget         time.Duration
	retrySeed      uint64
	linkURL        string
}

// addPDFlags declares the PagerDuty flags on fs. realByDefault is true
// for pagerduty-test, whose whole job is to reach PagerDuty; the other
// commands alert the in-process mock unless --pagerduty-url or
// --alert-live is given.
func addPDFlags(fs *pflag.FlagSet, realByDefault bool) *pdFlags {
	f := &pdFlags{fs: fs}
	def := pagerduty.DefaultRetryPolicy()
	if realByDefault {
		fs.StringVar(&f.url, flagPDURL, "", "PagerDuty Events API origin (default "+pagerduty.DefaultBaseURL+"; EU: https://events.eu.pagerduty.com; a mock's URL for tests)")
	} else {
		fs.StringVar(&f.url, flagPDURL, "", "send alerts to `URL`, a PagerDuty Events API origin (e.g. the EU region https://events.eu.pagerduty.com, or a mock's URL); unset, alerts go to the in-process mock unless --"+flagAlertLive+" is given")
		fs.BoolVar(&f.live, flagAlertLive, false, "send alerts to the real PagerDuty Events API ("+pagerduty.DefaultBaseURL+") instead of the in-process mock")
	}
	fs.StringVar(&f.version, flagPDVersion, string(pagerduty.V2), "PagerDuty Events API version: v2 or v1")
	fs.StringVar(&f.severity, flagPDSeverity, "critical", "severity of PagerDuty triggers: "+strings.Join(pagerduty.Severities, ", "))
	fs.StringVar(&f.routingKeyFile, flagRoutingKeyFile, "", "file holding the PagerDuty routing (integration) key; default: $"+pagerduty.EnvRoutingKey+" (used only with a real endpoint)")
	fs.IntVar(&f.maxAttempts, flagPDMaxAttempts, def.MaxAttempts, "attempts per alert, retries included, before it is reported undelivered")
	fs.DurationVar(&f.attemptTimeout, flagPDAttemptTimeout, def.AttemptTimeout, "time limit of one HTTP attempt")
	fs.DurationVar(&f.budget, flagPDBudget, def.Budget, "total time per alert across attempts and backoff (PagerDuty rate-limit windows are 60s)")
	fs.Uint64Var(&f.retrySeed, flagPDRetrySeed, 0, "seed of the retry jitter (0: a random seed per process, so instances do not retry in lockstep)")
	fs.StringVar(&f.linkURL, flagLinkURL, "", "URL sent with each trigger as a link back to the rollout (e.g. its dashboard)")
	return f
}

// real reports whether the user explicitly asked for a real endpoint.
// Environment variables never count: a backtest with
// PAGERDUTY_ROUTING_KEY exported still alerts the mock.
func (f *pdFlags) real() bool {
	return f.fs.Changed(flagPDURL) || f.live
}

// baseURL is the endpoint origin for a real delivery.
func (f *pdFlags) baseURL() string {
	if f.url != "" {
		return f.url
	}
	return realPagerDutyURL
}

// retry checks and returns the retry flags as a policy (usage errors name
// the flag).
func (f *pdFlags) retry() (pagerduty.RetryPolicy, error) {
	p := pagerduty.DefaultRetryPolicy()
	if f.maxAttempts < 1 {
		return p, usageErrorf("--%s %d: want at least 1", flagPDMaxAttempts, f.maxAttempts)
	}
	if f.attemptTimeout <= 0 {
		return p, usageErrorf("--%s %s: want a positive duration", flagPDAttemptTimeout, f.attemptTimeout)
	}
	if f.budget <= 0 {
		return p, usageErrorf("--%s %s: want a positive duration", flagPDBudget, f.budget)
	}
	p.MaxAttempts, p.AttemptTimeout, p.Budget = f.maxAttempts, f.attemptTimeout, f.budget
	return p, nil
}

// config builds the client configuration for a real endpoint: the routing
// key from --routing-key-file or PAGERDUTY_ROUTING_KEY, checked with the
// version and severity.
func (f *pdFlags) config(getenv func(string) string) (pagerduty.Config, error) {
	cfg, err := f.common()
	if err != nil {
		return cfg, err
	}
	key, err := pagerduty.RoutingKeyFromEnvOrFile(getenv, f.routingKeyFile)
	if err != nil {
		return cfg, err
	}
	if err := pagerduty.CheckRoutingKey(key, cfg.Version); err != nil {
		return cfg, err
	}
	cfg.BaseURL, cfg.RoutingKey = f.baseURL(), key
	return cfg, nil
}

// common is the part of the configuration shared by real and mock
// delivery: version, severity, retries, jitter seed and link.
func (f *pdFlags) common() (pagerduty.Config, error) {
	var cfg pagerduty.Config
	ver, err := pagerduty.ParseVersion(f.version)
	if err != nil {
		return cfg, usageErrorf("--%s: %w", flagPDVersion, err)
	}
	if !pagerduty.ValidSeverity(f.severity) {
		return cfg, usageErrorf("--%s %q: want one of %s", flagPDSeverity, f.severity, strings.Join(pagerduty.Severities, ", "))
	}
	if cfg.Retry, err = f.retry(); err != nil {
		return cfg, err
	}
	cfg.Version, cfg.Severity, cfg.Seed, cfg.LinkURL = ver, f.severity, f.retrySeed, f.linkURL
	return cfg, nil
}

// describeVersion is "Events API v2" (or v1).
func describeVersion(v pagerduty.Version) string { return fmt.Sprintf("Events API %s", v) }
