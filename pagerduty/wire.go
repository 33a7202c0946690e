package pagerduty

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guardsim/guardsim/engine"
)

// link is a v2 links[] entry.
type link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// details is v2 payload.custom_details and v1 details, as LaunchDarkly's
// guarded-rollout template fills them.
type details struct {
	ProjKey string   `json:"projKey,omitempty"`
	EnvKey  string   `json:"envKey,omitempty"`
	FlagKey string   `json:"flagKey,omitempty"`
	Tags    []string `json:"tags"`
}

type v2Payload struct {
	Summary       string  `json:"summary"`
	Timestamp     string  `json:"timestamp,omitempty"`
	Severity      string  `json:"severity"`
	Source        string  `json:"source"`
	CustomDetails details `json:"custom_details"`
}

// v2Event is an Events API v2 alert event. Resolves carry only the
// routing key, action and dedup key, as LaunchDarkly's revert template.
type v2Event struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key,omitempty"`
	Client      string     `json:"client,omitempty"`
	ClientURL   string     `json:"client_url,omitempty"`
	Links       []link     `json:"links,omitempty"`
	Payload     *v2Payload `json:"payload,omitempty"`
}

// v1Context is a v1 contexts[] entry.
type v1Context struct {
	Type string `json:"type"`
	Href string `json:"href,omitempty"`
	Text string `json:"text,omitempty"`
}

// v1Trigger is an Events API v1 trigger; client and client_url are sent as
// JSON null when unset, as LaunchDarkly's documented example does.
type v1Trigger struct {
	ServiceKey  string      `json:"service_key"`
	EventType   string      `json:"event_type"`
	IncidentKey string      `json:"incident_key"`
	Description string      `json:"description"`
	Client      *string     `json:"client"`
	ClientURL   *string     `json:"client_url"`
	Details     details     `json:"details"`
	Contexts    []v1Context `json:"contexts,omitempty"`
}

// v1Ack is an Events API v1 acknowledge or resolve.
type v1Ack struct {
	ServiceKey  string `json:"service_key"`
	EventType   string `json:"event_type"`
	IncidentKey string `json:"incident_key"`
	Description string `json:"description,omitempty"`
}

// actionFor maps an alert kind to its event action (ActionChange for the
// change event kinds).
func actionFor(k engine.AlertKind) (string, error) {
	switch {
	case k == engine.AlertRegression:
		return ActionTrigger, nil
	case k == engine.AlertReverted:
		return ActionResolve, nil
	case k.IsChange():
		return ActionChange, nil
	}
	return "", fmt.Errorf("%w: unknown alert kind %q", ErrInvalidAlert, k)
}

// summaryFor is the alert's summary, or one built like LaunchDarkly's
// template ("Regression detected for measured rollout on flag <name>").
func summaryFor(a engine.Alert) string {
	if s := strings.TrimSpace(a.Summary); s != "" {
		return s
	}
	switch a.Kind {
	case engine.AlertRegression:
		return engine.RegressionSummary(a.Name())
	case engine.AlertReverted:
		s := "Measured rollout reverted on flag " + a.Name()
		if a.Reason != "" {
			s += " (" + string(a.Reason) + ")"
		}
		return s
	}
	return strings.ReplaceAll(string(a.Kind), "_", " ") + " on flag " + a.Name()
}

// changeDetails is a change event's payload.custom_details: the
// template's fields and where the rollout stands.
type changeDetails struct {
	details
	Event   string  `json:"event"`
	Step    int     `json:"step"`
	Percent float64 `json:"percent"`
	Reason  string  `json:"reason,omitempty"`
}

type changePayload struct {
	Summary       string        `json:"summary"`
	Source        string        `json:"source,omitempty"`
	Timestamp     string        `json:"timestamp,omitempty"`
	CustomDetails changeDetails `json:"custom_details"`
}

// changeEvent is a v2 change event (POST /v2/change/enqueue): no action,
// no dedup key; PagerDuty opens no incident and pages nobody.
type changeEvent struct {
	RoutingKey string        `json:"routing_key"`
	Payload    changePayload `json:"payload"`
	Links      []link        `json:"links,omitempty"`
}

// Truncate shortens s to at most max bytes of valid UTF-8, ending in "…"
// when it cut something. Invalid UTF-8 is replaced first so that the JSON
// encoding cannot grow the string.
func Truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	const ell = "…"
	cut := max - len(ell)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// buildBody encodes the event for alert a and action, enforcing the limits.
func (c *Client) buildBody(a engine.Alert, action string) ([]byte, error) {
	dedup := a.DedupKey()
	if len(dedup) > MaxDedupKeyLen {
		return nil, fmt.Errorf("%w: dedup key is %d bytes, limit %d", ErrInvalidAlert, len(dedup), MaxDedupKeyLen)
	}
	summary := Truncate(summaryFor(a), MaxSummaryLen)
	tags := c.cfg.Tags
	if a.Tags != nil {
		tags = a.Tags
	}
	if tags == nil {
		tags = []string{}
	}
	source := c.cfg.Source
	if a.Source != "" {
		source = a.Source
	}
	det := details{ProjKey: a.ProjectKey, EnvKey: a.EnvironmentKey, FlagKey: a.FlagKey, Tags: tags}
	var ev any
	switch {
	case action == ActionChange:
		if c.cfg.Version != V2 {
			return nil, fmt.Errorf("%w: change events need Events API v2 (the client is configured for %s)", ErrInvalidAlert, c.cfg.Version)
		}
		ce := changeEvent{RoutingKey: c.cfg.RoutingKey, Payload: changePayload{
			Summary: summary, Source: source,
			CustomDetails: changeDetails{details: det, Event: string(a.Kind), Step: a.Step, Percent: a.Percent, Reason: string(a.Reason)},
		}}
		if t := a.WireTime(); !t.IsZero() {
			ce.Payload.Timestamp = t.UTC().Format(timestampLayout)
		}
		if c.cfg.LinkURL != "" {
			ce.Links = []link{{Href: c.cfg.LinkURL, Text: c.cfg.LinkText}}
		}
		ev = ce
	case c.cfg.Version == V1:
		if action == ActionTrigger {
			t := v1Trigger{ServiceKey: c.cfg.RoutingKey, EventType: action, IncidentKey: dedup, Description: summary, Details: det}
			if c.cfg.ClientName != "" {
				t.Client = &c.cfg.ClientName
			}
			if c.cfg.LinkURL != "" {
				t.ClientURL = &c.cfg.LinkURL
				t.Contexts = []v1Context{{Type: "link", Href: c.cfg.LinkURL, Text: c.cfg.LinkText}}
			}
			ev = t
		} else {
			ev = v1Ack{ServiceKey: c.cfg.RoutingKey, EventType: action, IncidentKey: dedup, Description: summary}
		}
	default:
		e := v2Event{RoutingKey: c.cfg.RoutingKey, EventAction: action, DedupKey: dedup}
		if action == ActionTrigger {
			e.Client = c.cfg.ClientName
			if c.cfg.LinkURL != "" {
				e.ClientURL = c.cfg.LinkURL
				e.Links = []link{{Href: c.cfg.LinkURL, Text: c.cfg.LinkText}}
			}
			p := &v2Payload{Summary: summary, Severity: c.cfg.Severity, Source: source, CustomDetails: det}
			if t := a.WireTime(); !t.IsZero() {
				p.Timestamp = t.UTC().Format(timestampLayout)
			}
			e.Payload = p
		}
		ev = e
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding event: %w", ErrInvalidAlert, err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: event body is %d bytes, limit %d", ErrInvalidAlert, len(body), MaxBodyBytes)
	}
	return body, nil
}

// timestampLayout is ISO 8601 with milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// apiResponse is the body of an Events API answer, success or error.
type apiResponse struct {
	Status      string          `json:"status"`
	Message     string          `json:"message"`
	DedupKey    string          `json:"dedup_key"`
	IncidentKey string          `json:"incident_key"`
	Errors      json.RawMessage `json:"errors"`
}

// errorList reads PagerDuty's errors field: a list of strings, or anything
// else rendered as JSON text.
func errorList(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return ss
	}
	var anys []any
	if json.Unmarshal(raw, &anys) == nil {
		out := make([]string, len(anys))
		for i, v := range anys {
			b, _ := json.Marshal(v)
			out[i] = string(b)
		}
		return out
	}
	return []string{string(raw)}
}

// APIError is a non-2xx answer from the Events API, with PagerDuty's
// status, message and errors list.
type APIError struct {
	Version    Version  `json:"version"`
	StatusCode int      `json:"status_code"`
	Status     string   `json:"status,omitempty"`
	Message    string   `json:"message,omitempty"`
	Errors     []string `json:"errors,omitempty"`
	// RetryAfter is the wait the answer's Retry-After header asked for
	// (0 when absent or unparsable).
	RetryAfter time.Duration `json:"retry_after,omitempty"`
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3), relative to now. It returns false for an
// absent or malformed value; a date in the past is a zero wait.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pagerduty: events API %s answered HTTP %d", e.Version, e.StatusCode)
	if e.Status != "" {
		b.WriteString(": " + e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Errors) > 0 {
		b.WriteString(" [" + strings.Join(e.Errors, "; ") + "]")
	}
	return b.String()
}

// RateLimited reports a rate-limit answer: 429, or 403 on v1.
func (e *APIError) RateLimited() bool {
	return e.StatusCode == 429 || (e.Version == V1 && e.StatusCode == 403)
}

// Temporary reports whether a retry may succeed: rate limits, 408 and 5xx.
// 400 (invalid event) and other 4xx are permanent.
func (e *APIError) Temporary() bool {
	return e.RateLimited() || e.StatusCode == 408 || e.StatusCode >= 500
}

// timestampLayouts are the ISO 8601 forms the mock accepts.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
}

// parseTimestamp parses an ISO 8601 timestamp in one of timestampLayouts.
func parseTimestamp(s string) (time.Time, bool) {
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
