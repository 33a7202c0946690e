package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

// alertFlags are the alert flags of run, replay, live and compare.
type alertFlags struct {
	pd           *pdFlags
	noAlerts     bool
	changeEvents bool
}

const flagChangeEvents = "pagerduty-change-events"

func addAlertFlags(fs *pflag.FlagSet) *alertFlags {
	a := &alertFlags{pd: addPDFlags(fs, false)}
	fs.BoolVar(&a.noAlerts, "no-alerts", false, "send no alerts at all (not even to the in-process mock)")
	fs.BoolVar(&a.changeEvents, flagChangeEvents, false, "also send PagerDuty change events (Events API v2) on rollout start, step advance, completion and rollback (as the scenario's alerts.change_events)")
	return a
}

// apply returns p with the command line's alert settings: change events
// when --pagerduty-change-events is given. Change events (from the flag
// or the scenario) need Events API v2.
func (a *alertFlags) apply(p engine.Policy) (engine.Policy, error) {
	if a.changeEvents {
		ap := engine.AlertPolicy{}
		if p.Alerts != nil {
			ap = *p.Alerts
		}
		ap.ChangeEvents = true
		p.Alerts = &ap
	}
	if p.Alerts.Sends(engine.ChangeStarted) && !a.noAlerts {
		if v, err := pagerduty.ParseVersion(a.pd.version); err == nil && v != pagerduty.V2 {
			what := "the scenario's alerts.change_events"
			if a.changeEvents {
				what = "--" + flagChangeEvents
			}
			return p, usageErrorf("%s needs --%s v2: PagerDuty change events are part of Events API v2 only", what, flagPDVersion)
		}
	}
	return p, nil
}

// alerting is the notifier of one command and what it recorded.
type alerting struct {
	notifier engine.Notifier
	client   *pagerduty.Client
	mock     *pagerduty.RunningMock
	// outbox spools every alert before sending and delivers off the
	// engine's loop; spool is its file, removed at the end when tmpSpool.
	outbox   *pagerduty.Outbox
	spool    string
	tmpSpool bool
	settled  bool
	// keyIgnored is set when a routing key was available but alerts went
	// to the mock (no --pagerduty-url or --alert-live).
	keyIgnored bool
	// clock is the virtual time of the alert being sent: the mock and the
	// client stamp their records with it, so outputs are deterministic.
	mu    sync.Mutex
	clock time.Time
	live  bool
}

// setup returns the notifier. Alerts go to a real endpoint only when the
// user explicitly passed --pagerduty-url or --alert-live; otherwise, even
// with PAGERDUTY_ROUTING_KEY exported, to an in-process mock on a loopback
// port, with the same version, severity and retry settings. live keeps
// wall-clock stamps.
//
// Alerts go through a durable outbox at spool (a temporary file when ""):
// Notify returns once the alert is on disk, delivery runs off the engine's
// loop, and alerts left undelivered by an earlier process are resent.
func (a *alertFlags) setup(ctx context.Context, e *env, live bool, spool string) (*alerting, error) {
	al := &alerting{live: live}
	if a.noAlerts {
		return al, nil
	}
	now := al.now
	var cfg pagerduty.Config
	var err error
	if a.pd.real() {
		if cfg, err = a.pd.config(e.getenv); err != nil {
			if errors.Is(err, pagerduty.ErrNoRoutingKey) || errors.Is(err, pagerduty.ErrInvalidRoutingKey) {
				return nil, usageErrorf("%w", err)
			}
			return nil, err
		}
	} else {
		if cfg, err = a.pd.common(); err != nil {
			return nil, err
		}
		al.keyIgnored = a.pd.routingKeyFile != "" || e.getenv(pagerduty.EnvRoutingKey) != ""
		m, err := pagerduty.StartMock(ctx, pagerduty.MockOptions{Now: now})
		if err != nil {
			return nil, err
		}
		al.mock = m
		cfg.BaseURL, cfg.RoutingKey = m.URL(), mockRoutingKey
	}
	cfg.Now = now
	c, err := pagerduty.NewClient(cfg)
	if err != nil {
		al.close()
		return nil, usageErrorf("pagerduty: %w", err)
	}
	al.client = c
	if spool == "" {
		f, err := os.CreateTemp("", "guardsim-outbox-*.jsonl")
		if err != nil {
			al.close()
			return nil, fmt.Errorf("pagerduty outbox: %w", err)
		}
		spool, al.tmpSpool = f.Name(), true
		_ = f.Close()
	}
	al.spool = spool
	o, err := pagerduty.OpenOutbox(spool, c, pagerduty.OutboxOptions{
		// Records of the mock and the client are stamped with the time of
		// the alert being sent (virtual time outside live mode).
		BeforeSend: func(alert engine.Alert) {
			al.mu.Lock()
			al.clock = alert.Time
			al.mu.Unlock()
		},
		NoSync: !live,
		// Outside live mode one alert at a time in spool order: the
		// mock's records (stamped with the alert being sent) and their
		// order are then the same on every run.
		Ordered: !live,
	})
	if err != nil {
		al.close()
		return nil, err
	}
	al.outbox = o
	al.notifier = o
	if live {
		// Live mode stamps the wall-clock time of each decision on the
		// wire (the alert's Time stays the virtual time that identifies it
		// in the outbox across --resume).
		al.notifier = engine.NotifierFunc(func(ctx context.Context, a engine.Alert) error {
			a.WallTime = time.Now().UTC()
			return o.Notify(ctx, a)
		})
	}
	return al, nil
}

// settle waits for the outbox to deliver (or give up on) every alert, at
// most until ctx is done, and records in res what became of each alert.
func (al *alerting) settle(ctx context.Context, res *engine.Result) error {
	if al == nil || al.outbox == nil || al.settled {
		return nil
	}
	al.settled = true
	err := al.outbox.Close(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil // interrupted: what is undelivered stays in the spool
	}
	state := map[string]pagerduty.OutboxEntry{}
	for _, en := range al.outbox.Entries() {
		state[alertKey(en.Alert)] = en
	}
	if res != nil {
		for i := range res.Outcome.Alerts {
			r := &res.Outcome.Alerts[i]
			if en, ok := state[alertKey(r.Alert)]; ok {
				r.Delivered = en.State == pagerduty.EntryDelivered
				r.Error = en.Error
				if !r.Delivered && r.Error == "" {
					r.Error = "not delivered yet (still in the outbox " + al.spool + ")"
				}
			}
		}
	}
	return err
}

func alertKey(a engine.Alert) string {
	return string(a.Kind) + "\x00" + a.DedupKey() + "\x00" + a.Time.UTC().Format(time.RFC3339Nano)
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
	if err := st.Write("pagerduty.jsonl", func(w io.Writer) error {
		if al.mock != nil {
			return al.mock.WriteJSONL(w)
		}
		return writeJSONL(w, al.client.Deliveries())
	}); err != nil {
		return err
	}
	if !al.tmpSpool {
		return nil // the spool lives in the state directory already
	}
	return st.Write("outbox.jsonl", func(w io.Writer) error {
		f, err := os.Open(al.spool)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

// undelivered is an error listing the alerts that could not be delivered.
func (al *alerting) undelivered() error {
	if al.outbox == nil {
		return nil
	}
	bad := al.outbox.Undelivered()
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d alert(s) could not be delivered to PagerDuty (see pagerduty.jsonl, the summary and the outbox %s); first: %s", len(bad), al.spool, bad[0].Error)
}

// target describes where alerts go, for the console (no key material).
func (al *alerting) target() string {
	switch {
	case al.client == nil:
		return "nowhere (--no-alerts)"
	case al.mock != nil:
		return "the in-process PagerDuty mock at " + al.mock.URL() + " (nothing leaves this machine)"
	}
	return fmt.Sprintf("%s (%s, routing key %s)", al.client.Endpoint(), describeVersion(al.client.Version()), al.client.RoutingKeyFingerprint())
}

// summaryLine says where alerts went, for the summary: without the mock's
// port, so that the same seed writes the same summary.
func (al *alerting) summaryLine() string {
	switch {
	case al == nil || al.client == nil:
		return "none sent (--no-alerts)"
	case al.mock != nil:
		s := "to the in-process PagerDuty mock (" + describeVersion(al.client.Version()) + "; nothing left this machine; see pagerduty.jsonl)"
		if al.keyIgnored {
			s += "; the routing key was not used: pass --" + flagPDURL + " or --" + flagAlertLive + " to page PagerDuty"
		}
		return s
	}
	return fmt.Sprintf("to PagerDuty at %s (%s, routing key %s)", al.client.Endpoint(), describeVersion(al.client.Version()), al.client.RoutingKeyFingerprint())
}

func (al *alerting) close() {
	if al.outbox != nil && !al.settled {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // abandon: what is undelivered stays in the spool
		_ = al.settle(ctx, nil)
	}
	if al.mock != nil {
		_ = al.mock.Close()
	}
	if al.tmpSpool {
		_ = os.Remove(al.spool)
	}
}
