package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Client sends alerts to the PagerDuty Events API. It implements
// engine.Notifier and is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	// changeEndpoint receives change events (v2 only).
	changeEndpoint string
	keyFP          string

	rngMu sync.Mutex
	rng   *rand.Rand

	mu         sync.Mutex
	deliveries []Delivery
}

var _ engine.Notifier = (*Client)(nil)

// NewClient validates cfg, fills in its defaults and returns a client.
func NewClient(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Client{
		cfg:            cfg,
		endpoint:       cfg.BaseURL + cfg.Version.Path(),
		changeEndpoint: cfg.BaseURL + PathChange,
		keyFP:          Fingerprint(cfg.RoutingKey),
		rng:            rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}, nil
}

// Endpoint is the URL events are posted to.
func (c *Client) Endpoint() string { return c.endpoint }

// Version is the wire format in use.
func (c *Client) Version() Version { return c.cfg.Version }

// RoutingKeyFingerprint identifies the routing key without revealing it.
func (c *Client) RoutingKeyFingerprint() string { return c.keyFP }

// Attempt is one HTTP attempt of a delivery.
type Attempt struct {
	// StatusCode is the HTTP status (0 on a network error).
	StatusCode int `json:"status_code"`
	// Error is the attempt's error ("" on success).
	Error string `json:"error,omitempty"`
	// Wait is the backoff slept before this attempt.
	Wait time.Duration `json:"wait_ns,omitempty"`
}

// Delivery records what became of one alert.
type Delivery struct {
	Alert    engine.Alert `json:"alert"`
	Action   string       `json:"action"`
	DedupKey string       `json:"dedup_key"`
	Version  Version      `json:"version"`
	// Delivered is true when PagerDuty accepted the event (2xx).
	Delivered bool `json:"delivered"`
	// Attempts is the number of HTTP requests sent.
	Attempts int `json:"attempts"`
	// StatusCode is the last HTTP status (0 when none was received).
	StatusCode int `json:"status_code"`
	// ResponseKey is the dedup/incident key PagerDuty answered with.
	ResponseKey string `json:"response_key,omitempty"`
	// Error is the final error ("" when delivered).
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Log      []Attempt `json:"log,omitempty"`
}

// Record converts the delivery to the engine's alert record.
func (d Delivery) Record() engine.AlertRecord {
	return engine.AlertRecord{Alert: d.Alert, Delivered: d.Delivered, Error: d.Error}
}

// Deliveries returns a copy of every delivery so far, in completion order.
func (c *Client) Deliveries() []Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Delivery(nil), c.deliveries...)
}

// Undelivered returns the deliveries that failed.
func (c *Client) Undelivered() []Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Delivery
	for _, d := range c.deliveries {
		if !d.Delivered {
			out = append(out, d)
		}
	}
	return out
}

// DeliveryStats counts deliveries.
type DeliveryStats struct {
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	// Attempts is the total number of HTTP requests sent.
	Attempts int `json:"attempts"`
}

// Stats counts the deliveries so far.
func (c *Client) Stats() DeliveryStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s DeliveryStats
	for _, d := range c.deliveries {
		if d.Delivered {
			s.Delivered++
		} else {
			s.Failed++
		}
		s.Attempts += d.Attempts
	}
	return s
}

// DeliveryError reports an alert that was not delivered.
type DeliveryError struct {
	Action   string
	DedupKey string
	Attempts int
	Err      error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("pagerduty: %s for %q not delivered after %d attempt(s): %v", e.Action, e.DedupKey, e.Attempts, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Notify sends the alert: a regression triggers, a revert resolves, both
// with dedup key a.DedupKey(); a change event kind is posted to the
// change-event endpoint (v2 only). It retries temporary failures and returns a
// *DeliveryError (wrapping an *APIError, a network error, ErrInvalidAlert
// or ctx's error) when the alert could not be delivered. Every call is
// recorded in Deliveries.
func (c *Client) Notify(ctx context.Context, a engine.Alert) error {
	_, err := c.deliverOne(ctx, a)
	return err
}

// deliverOne delivers a, records the delivery and returns it.
func (c *Client) deliverOne(ctx context.Context, a engine.Alert) (Delivery, error) {
	d := Delivery{Alert: a, DedupKey: a.DedupKey(), Version: c.cfg.Version, Started: c.cfg.Now()}
	err := c.deliver(ctx, a, &d)
	d.Finished = c.cfg.Now()
	if err != nil {
		err = &DeliveryError{Action: d.Action, DedupKey: d.DedupKey, Attempts: d.Attempts, Err: redactErr(err, c.cfg.RoutingKey)}
		d.Error = err.Error()
		c.log(ctx, slog.LevelError, "pagerduty alert not delivered", &d, slog.String("error", d.Error))
	} else {
		d.Delivered = true
		c.log(ctx, slog.LevelDebug, "pagerduty alert delivered", &d)
	}
	c.mu.Lock()
	c.deliveries = append(c.deliveries, d)
	c.mu.Unlock()
	return d, err
}

func (c *Client) deliver(ctx context.Context, a engine.Alert, d *Delivery) error {
	action, err := actionFor(a.Kind)
	if err != nil {
		return err
	}
	d.Action = action
	body, err := c.buildBody(a, action)
	if err != nil {
		return err
	}
	pol := c.cfg.Retry
	deadline := c.cfg.Clock().Add(pol.Budget)
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pagerduty: giving up before attempt %d: %w", attempt, err)
		}
		d.Attempts = attempt
		status, key, err := c.attempt(ctx, c.endpointFor(action), body)
		d.StatusCode = status
		rec := Attempt{StatusCode: status, Wait: wait}
		if err == nil {
			d.ResponseKey = key
			d.Log = append(d.Log, rec)
			return nil
		}
		err = redactErr(err, c.cfg.RoutingKey)
		rec.Error = err.Error()
		d.Log = append(d.Log, rec)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("pagerduty: attempt %d interrupted: %w", attempt, errors.Join(ctxErr, err))
		}
		if !retryable(err) {
			return err
		}
		if attempt >= pol.MaxAttempts {
			return fmt.Errorf("pagerduty: %d attempts used: %w", attempt, err)
		}
		wait = c.jitter(pol.Ceiling(attempt))
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = max(wait, min(ae.RetryAfter, pol.MaxRetryAfter))
		}
		if left := deadline.Sub(c.cfg.Clock()); wait >= left {
			return fmt.Errorf("pagerduty: retry budget of %s spent (next wait %s, %s left): %w", pol.Budget, wait.Round(time.Millisecond), max(left, 0).Round(time.Millisecond), err)
		}
		c.log(ctx, slog.LevelWarn, "pagerduty attempt failed, retrying", d,
			slog.Int("status", status), slog.String("error", rec.Error), slog.Duration("wait", wait))
		if serr := c.cfg.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("pagerduty: retry wait after attempt %d interrupted: %w (last error: %w)", attempt, serr, err)
		}
	}
}

// endpointFor is the URL an event of action is posted to.
func (c *Client) endpointFor(action string) string {
	if action == ActionChange {
		return c.changeEndpoint
	}
	return c.endpoint
}

// attempt runs one HTTP attempt bounded by the per-attempt timeout.
func (c *Client) attempt(ctx context.Context, url string, body []byte) (int, string, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Retry.AttemptTimeout)
	defer cancel()
	status, key, err := c.post(actx, url, body)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("pagerduty: attempt timed out after %s: %w", c.cfg.Retry.AttemptTimeout, err)
	}
	return status, key, err
}

// retryable reports whether err (from post) may go away on a retry.
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	return true // network errors, dropped connections, timeouts
}

// post sends one attempt with a fresh reader over body. It returns the
// HTTP status, the key PagerDuty answered with, and an *APIError for a
// non-2xx answer or a transport error.
func (c *Client) post(ctx context.Context, url string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("pagerduty: building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "guardsim-pagerduty/1")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("pagerduty: sending event: %w", err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ar apiResponse
	_ = json.Unmarshal(raw, &ar) // bodies are informative only
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if ar.DedupKey != "" {
			return resp.StatusCode, ar.DedupKey, nil
		}
		return resp.StatusCode, ar.IncidentKey, nil
	}
	if readErr != nil && len(raw) == 0 {
		ar.Message = "reading response: " + readErr.Error()
	}
	ver := c.cfg.Version
	if url == c.changeEndpoint {
		ver = V2 // change events are v2: a 403 there is not v1's rate limit
	}
	ae := &APIError{Version: ver, StatusCode: resp.StatusCode, Status: ar.Status, Message: ar.Message, Errors: errorList(ar.Errors)}
	if ae.Temporary() {
		ae.RetryAfter, _ = ParseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock())
	}
	key := c.cfg.RoutingKey
	ae.Status, ae.Message = redact(ae.Status, key), redact(ae.Message, key)
	for i := range ae.Errors {
		ae.Errors[i] = redact(ae.Errors[i], key)
	}
	return resp.StatusCode, "", ae
}

// jitter draws the wait before a retry, in [ceiling/2, ceiling].
func (c *Client) jitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	lo := ceiling / 2
	if c.cfg.Jitter != nil {
		return min(max(c.cfg.Jitter(ceiling), lo), ceiling)
	}
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return lo + time.Duration(c.rng.Int64N(int64(ceiling-lo)+1))
}

func (c *Client) log(ctx context.Context, level slog.Level, msg string, d *Delivery, attrs ...slog.Attr) {
	if c.cfg.Logger == nil {
		return
	}
	base := []slog.Attr{
		slog.String("action", d.Action),
		slog.String("dedup_key", d.DedupKey),
		slog.String("version", string(d.Version)),
		slog.String("routing_key", c.keyFP),
		slog.Int("attempt", d.Attempts),
	}
	c.cfg.Logger.LogAttrs(ctx, level, msg, append(base, attrs...)...)
}
