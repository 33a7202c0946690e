package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/internal/outdir"
	"github.com/guardsim/guardsim/pagerduty"
)

// mockRoutingKey is the routing key sent to the in-process mock: it is not
// a secret (the mock accepts any 32-character key).
const mockRoutingKey = "guardsimmockroutingkey0000000000"

// alertFlags are the PagerDuty flags of run, replay and live.
type alertFlags struct {
	pd          *pagerduty.FlagValues
	noAlerts    bool
	maxAttempts int
	linkURL     string
}

func addAlertFlags(fs *pflag.FlagSet) *alertFlags {
	a := &alertFlags{pd: pagerduty.RegisterFlags(fs)}
	fs.BoolVar(&a.noAlerts, "no-alerts", false, "send no alerts at all (not even to the in-process mock)")
	fs.StringVar(&a.linkURL, "link-url", "", "URL sent with each alert as a link back to the rollout (e.g. its dashboard)")
	fs.IntVar(&a.maxAttempts, "pagerduty-max-attempts", 0, "attempts per alert before it is reported undelivered (default 6, exponential backoff with jitter)")
	return a
}

// alerting is the notifier of one command and what it recorded.
type alerting struct {
	notifier engine.Notifier
	client   *pagerduty.Client
	mock     *pagerduty.RunningMock
	// clock is the virtual time of the alert being sent: the mock and the
	// client stamp their records with it, so outputs are deterministic.
	mu    sync.Mutex
	clock time.Time
	live  bool
}

// setupAlerts returns the notifier: the real endpoint (or any URL) when a
// PagerDuty flag or PAGERDUTY_ROUTING_KEY is given, otherwise an in-process
// mock on a loopback port. live keeps wall-clock stamps.
func (a *alertFlags) setup(ctx context.Context, fs *pflag.FlagSet, e *env, live bool) (*alerting, error) {
	al := &alerting{live: live}
	if a.noAlerts {
		return al, nil
	}
	now := al.now
	var cfg pagerduty.Config
	if a.pd.Enabled(fs, e.getenv) {
		c, err := a.pd.Config(e.getenv)
		if err != nil {
			return nil, fmt.Errorf("pagerduty: %w", err)
		}
		cfg = c
	} else {
		m, err := pagerduty.StartMock(ctx, pagerduty.MockOptions{Now: now})
		if err != nil {
			return nil, err
		}
		al.mock = m
		cfg = pagerduty.Config{BaseURL: m.URL(), Version: pagerduty.V2, RoutingKey: mockRoutingKey, Severity: a.pd.Severity}
		if v, err := pagerduty.ParseVersion(a.pd.Version); err == nil {
			cfg.Version = v
		}
	}
	cfg.Now = now
	cfg.Seed = 1
	cfg.Retry.MaxAttempts = a.maxAttempts
	cfg.LinkURL = a.linkURL
	c, err := pagerduty.NewClient(cfg)
	if err != nil {
		al.close()
		return nil, fmt.Errorf("pagerduty: %w", err)
	}
	al.client = c
	al.notifier = engine.NotifierFunc(func(ctx context.Context, alert engine.Alert) error {
		al.mu.Lock()
		al.clock = alert.Time
		al.mu.Unlock()
		return c.Notify(ctx, alert)
	})
	return al, nil
}

func (al *alerting) now() time.Time {
	if al.live {
		return time.Now().UTC()
	}
	al.mu.Lock()
	defer al.mu.Unlock()
	return al.clock
}

// write stores the alert timeline as pagerduty.jsonl: the mock's received
// events when the mock was used, else the client's deliveries.
func (al *alerting) write(st *outdir.Staging) error {
	if al.client == nil {
		return nil
	}
	return st.Write("pagerduty.jsonl", func(w io.Writer) error {
		if al.mock != nil {
			return al.mock.WriteJSONL(w)
		}
		return writeJSONL(w, al.client.Deliveries())
	})
}

// undelivered is an error listing the alerts that could not be delivered.
func (al *alerting) undelivered() error {
	if al.client == nil {
		return nil
	}
	bad := al.client.Undelivered()
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d alert(s) could not be delivered to PagerDuty (see pagerduty.jsonl and the summary); first: %s", len(bad), bad[0].Error)
}

// target describes where alerts go (no key material).
func (al *alerting) target() string {
	switch {
	case al.client == nil:
		return "nowhere (--no-alerts)"
	case al.mock != nil:
		return "the in-process PagerDuty mock at " + al.mock.URL()
	}
	return fmt.Sprintf("%s (Events API %s, routing key %s)", al.client.Endpoint(), al.client.Version(), al.client.RoutingKeyFingerprint())
}

func (al *alerting) close() {
	if al.mock != nil {
		_ = al.mock.Close()
	}
}
