package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Version selects the Events API wire format.
type Version string

const (
	// V2 is Events API v2: POST {base}/v2/enqueue. The default.
	V2 Version = "v2"
	// V1 is the legacy Events API v1: POST {base}/generic/2010-04-15/create_event.json.
	V1 Version = "v1"
)

// Path returns the endpoint path of the version.
func (v Version) Path() string {
	if v == V1 {
		return PathV1
	}
	return PathV2
}

// ParseVersion accepts "v2", "2", "v1" and "1" (case-insensitive).
func ParseVersion(s string) (Version, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "v2", "2", "":
		return V2, nil
	case "v1", "1":
		return V1, nil
	}
	return "", fmt.Errorf("%w: unknown Events API version %q (want v2 or v1)", ErrInvalidConfig, s)
}

// Wire constants and PagerDuty's limits.
const (
	DefaultBaseURL = "https://events.pagerduty.com"
	PathV2         = "/v2/enqueue"
	PathV1         = "/generic/2010-04-15/create_event.json"
	// PathChange is the Events API v2 change-event endpoint.
	PathChange = "/v2/change/enqueue"
	// EnvRoutingKey is the environment variable holding the routing key.
	EnvRoutingKey = "PAGERDUTY_ROUTING_KEY"
	// RoutingKeyLen is the length of a v2 routing (integration) key.
	RoutingKeyLen = 32
	// MaxSummaryLen bounds payload.summary (v2) and description (v1).
	MaxSummaryLen = 1024
	// MaxDedupKeyLen bounds dedup_key (v2) and incident_key (v1).
	MaxDedupKeyLen = 255
	// MaxBodyBytes bounds the JSON body of one event.
	MaxBodyBytes = 512 * 1024
	// DefaultSource is payload.source when Config.Source is empty.
	DefaultSource = "guardsim"
	// DefaultClientName is the client field when Config.ClientName is empty.
	DefaultClientName = "guardsim"
	// DefaultLinkText labels the link back to the rollout, as LaunchDarkly's
	// template does.
	DefaultLinkText = "Go to LaunchDarkly"
)

// Event actions (v2 event_action, v1 event_type).
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
	// ActionChange marks a change event in delivery records (change
	// events have no event_action on the wire).
	ActionChange = "change"
)

// Severities are the accepted payload.severity values.
var Severities = []string{"critical", "error", "warning", "info"}

// ValidSeverity reports whether s is one of Severities.
func ValidSeverity(s string) bool { return slices.Contains(Severities, s) }

// RetryPolicy bounds the client's retry loop. Attempt n (n ≥ 2) first
// waits a random time in [c/2, c] with c = min(MaxDelay, BaseDelay·2^(n-2))
// ("equal jitter": every retry waits at least half its ceiling, so the
// waits add up to a rate-limit window whatever the draws), or the
// server's Retry-After (capped at MaxRetryAfter) when that is longer. The
// loop stops after MaxAttempts attempts or when the next attempt would
// start after Budget has passed since the first.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// AttemptTimeout bounds one HTTP attempt (connect, send, answer).
	AttemptTimeout time.Duration
	// Budget bounds the whole delivery of one alert, waits included.
	Budget time.Duration
	// MaxRetryAfter caps the wait a Retry-After header can ask for.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy retries for up to 5 minutes (PagerDuty's guidance
// is "a backoff of a few minutes" on 429; its rate-limit window is 60 s):
// up to 30 attempts of at most 10 s each, backoff from 1 s doubling to a
// 60 s cap, Retry-After honoured up to 2 minutes.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:    30,
		BaseDelay:      time.Second,
		MaxDelay:       60 * time.Second,
		AttemptTimeout: 10 * time.Second,
		Budget:         5 * time.Minute,
		MaxRetryAfter:  2 * time.Minute,
	}
}

// Ceiling is the upper bound of the jittered wait before retry number
// retry (1 for the wait before the second attempt).
func (p RetryPolicy) Ceiling(retry int) time.Duration {
	if retry < 1 || p.BaseDelay <= 0 {
		return 0
	}
	d := p.BaseDelay
	for i := 1; i < retry; i++ {
		if d >= p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// withDefaults fills zero fields from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	def := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = def.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = def.MaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = def.AttemptTimeout
	}
	if p.Budget <= 0 {
		p.Budget = def.Budget
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = def.MaxRetryAfter
	}
	return p
}

// Config configures a Client. Only RoutingKey is required.
type Config struct {
	// BaseURL is the Events API origin (DefaultBaseURL; the EU region is
	// https://events.eu.pagerduty.com; the mock's URL in tests).
	BaseURL string
	// Version is the wire format (V2 when empty).
	Version Version
	// RoutingKey is the integration key (v2 routing_key, v1 service_key).
	// Secret: load it with RoutingKeyFromEnvOrFile.
	RoutingKey string
	// Severity is payload.severity for triggers: critical (default), error,
	// warning or info. v1 has no severity.
	Severity string
	// Source is payload.source (DefaultSource when empty).
	Source string
	// ClientName is the client field of triggers (DefaultClientName when empty).
	ClientName string
	// LinkURL, when set, is sent as client_url and as a link (v2 links, v1
	// contexts) back to the rollout, labelled LinkText (DefaultLinkText).
	LinkURL  string
	LinkText string
	// Tags go to custom_details.tags (v2) / details.tags (v1).
	Tags []string
	// HTTPClient sends the requests (each attempt bounded by
	// Retry.AttemptTimeout).
	HTTPClient *http.Client
	// Retry is the retry policy; zero fields take DefaultRetryPolicy's values.
	Retry RetryPolicy
	// Jitter returns a wait in [ceiling/2, ceiling]. When nil, a uniform
	// draw from a PCG source seeded with Seed, or with a random seed when
	// Seed is 0 (the default: processes do not retry in lockstep).
	Jitter func(ceiling time.Duration) time.Duration
	Seed   uint64
	// Sleep waits d or until ctx is done (returning ctx's error). When nil,
	// a timer. Tests inject a fake that advances Clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Clock measures the retry budget (time.Now when nil). Unlike Now it
	// is never virtual time.
	Clock func() time.Time
	// Logger receives attempt and failure logs (none when nil). The routing
	// key is never logged, only its fingerprint.
	Logger *slog.Logger
	// Now stamps delivery records (time.Now when nil).
	Now func() time.Time
}

// withDefaults validates c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("%w: base URL %q must be an absolute http(s) URL", ErrInvalidConfig, c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Version, err = ParseVersion(string(c.Version)); err != nil {
		return c, err
	}
	if err := CheckRoutingKey(c.RoutingKey, c.Version); err != nil {
		return c, err
	}
	if c.Severity == "" {
		c.Severity = "critical"
	}
	if !ValidSeverity(c.Severity) {
		return c, fmt.Errorf("%w: severity %q (want one of %s)", ErrInvalidConfig, c.Severity, strings.Join(Severities, ", "))
	}
	if c.Source == "" {
		c.Source = DefaultSource
	}
	if c.ClientName == "" {
		c.ClientName = DefaultClientName
	}
	if c.LinkText == "" {
		c.LinkText = DefaultLinkText
	}
	if c.LinkURL != "" {
		if u, err := url.Parse(c.LinkURL); err != nil || u.Scheme == "" || u.Host == "" {
			return c, fmt.Errorf("%w: link URL %q must be absolute", ErrInvalidConfig, c.LinkURL)
		}
	}
	c.Retry = c.Retry.withDefaults()
	if c.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		// No client-wide timeout: each attempt has its own (Retry.AttemptTimeout).
		c.HTTPClient = &http.Client{Transport: tr}
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c, nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sentinel errors; match with errors.Is.
var (
	// ErrInvalidConfig: the Config cannot be used.
	ErrInvalidConfig = errors.New("pagerduty: invalid configuration")
	// ErrNoRoutingKey: no routing key in the environment or the key file.
	ErrNoRoutingKey = errors.New("pagerduty: no routing key (set " + EnvRoutingKey + " or pass --routing-key-file)")
	// ErrInvalidRoutingKey: the routing key is malformed.
	ErrInvalidRoutingKey = errors.New("pagerduty: invalid routing key")
	// ErrInvalidAlert: the alert cannot be sent (unknown kind, dedup key too
	// long, body too large). Not retried.
	ErrInvalidAlert = errors.New("pagerduty: invalid alert")
)
