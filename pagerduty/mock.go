package pagerduty

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"
)

// MockOptions configures a Mock. The zero value is a well-behaved mock.
//
// Faults apply to event requests (POSTs to the v1 and v2 endpoints),
// numbered from 1 in arrival order. The "first N" faults are consecutive
// phases: requests 1..DropFirst are dropped, the next RateLimitFirst are
// rate-limited, the next FailFirst get a 5xx. After those phases, a request
// whose number is a multiple of RateLimitEvery is rate-limited; otherwise it
// is dropped with probability DropRate, else fails with probability
// FailRate (draws from a PCG source seeded with Seed). A faulted event is
// recorded but has no effect on incidents, as PagerDuty does not ingest it.
type MockOptions struct {
	// Addr is the listen address for StartMock (127.0.0.1:0 when empty).
	Addr string

	RateLimitEvery int
	RateLimitFirst int
	FailFirst      int
	FailRate       float64
	// FailStatus is the 5xx status of injected failures (500 when 0).
	FailStatus int
	DropFirst  int
	DropRate   float64
	// Delay is slept before answering each event request.
	Delay time.Duration
	// RateLimitWindow rate-limits every event request for this long after
	// the first one (measured with Now), like PagerDuty's 60-second window.
	// Its answers carry Retry-After: the seconds left in the window, or
	// the window's end as an HTTP-date when RetryAfterHTTPDate is set.
	RateLimitWindow    time.Duration
	RetryAfterHTTPDate bool
	// RetryAfter, when set, is sent as the Retry-After header of every
	// other rate-limit answer (e.g. "5" or an HTTP-date).
	RetryAfter string
	Seed       uint64

	// EventsWriter, when set, receives every recorded event as a JSON line.
	EventsWriter io.Writer
	// Now stamps records (time.Now when nil).
	Now func() time.Time
}

// Outcomes of a received event.
const (
	OutcomeAccepted    = "accepted"
	OutcomeRejected    = "rejected"
	OutcomeRateLimited = "rate_limited"
	OutcomeServerError = "server_error"
	OutcomeDropped     = "dropped"
	// OutcomeAbandoned: the client hung up during an injected delay.
	OutcomeAbandoned = "abandoned"
)

// Effects of an accepted event on incident state.
const (
	EffectOpened              = "opened"
	EffectDeduplicated        = "deduplicated"
	EffectAcknowledged        = "acknowledged"
	EffectAlreadyAcknowledged = "already_acknowledged"
	EffectResolved            = "resolved"
	// EffectDroppedUnknown: ack/resolve for a key never triggered.
	EffectDroppedUnknown = "dropped_unknown_key"
	// EffectDroppedResolved: ack/resolve for an already resolved key.
	EffectDroppedResolved = "dropped_already_resolved"
	// EffectDroppedOtherRoutingKey: ack/resolve for a key open only under
	// another routing key.
	EffectDroppedOtherRoutingKey = "dropped_other_routing_key"
	// EffectChangeRecorded: a change event was recorded (no incident).
	EffectChangeRecorded = "change_recorded"
)

// versionChange marks the change-event endpoint internally (change
// events are part of Events API v2 and recorded as V2).
const versionChange Version = "v2-change"

// ChangeRecord is the mock's record of one accepted change event.
type ChangeRecord struct {
	Seq          int       `json:"seq"`
	Time         time.Time `json:"time"`
	RoutingKeyFP string    `json:"routing_key_fp"`
	Summary      string    `json:"summary"`
	Source       string    `json:"source,omitempty"`
	// Timestamp is payload.timestamp as sent ("" when absent).
	Timestamp     string          `json:"timestamp,omitempty"`
	CustomDetails json.RawMessage `json:"custom_details,omitempty"`
	Links         int             `json:"links,omitempty"`
}

// ReceivedEvent is the mock's record of one event request. It holds the
// routing key's fingerprint, never the key.
type ReceivedEvent struct {
	Seq          int       `json:"seq"`
	Time         time.Time `json:"time"`
	Version      Version   `json:"version"`
	Action       string    `json:"action,omitempty"`
	DedupKey     string    `json:"dedup_key,omitempty"`
	RoutingKeyFP string    `json:"routing_key_fp,omitempty"`
	Summary      string    `json:"summary,omitempty"`
	Severity     string    `json:"severity,omitempty"`
	StatusCode   int       `json:"status_code"`
	Outcome      string    `json:"outcome"`
	Effect       string    `json:"effect,omitempty"`
	IncidentID   string    `json:"incident_id,omitempty"`
	Errors       []string  `json:"errors,omitempty"`
	BodyBytes    int       `json:"body_bytes"`
	// BodySHA256 is the hex SHA-256 of the raw body, to compare retries.
	BodySHA256 string `json:"body_sha256"`
}

// IncidentStatus is an incident's state.
type IncidentStatus string

// Incident states: open → acknowledged → resolved.
const (
	IncidentOpen         IncidentStatus = "open"
	IncidentAcknowledged IncidentStatus = "acknowledged"
	IncidentResolved     IncidentStatus = "resolved"
)

// Incident is the mock's alert/incident for one (routing key, dedup key)
// from its opening trigger until it is resolved. A trigger after the
// resolve opens a new Incident.
type Incident struct {
	ID             string         `json:"id"`
	RoutingKeyFP   string         `json:"routing_key_fp"`
	DedupKey       string         `json:"dedup_key"`
	Version        Version        `json:"version"`
	Status         IncidentStatus `json:"status"`
	Summary        string         `json:"summary,omitempty"`
	Source         string         `json:"source,omitempty"`
	Severity       string         `json:"severity,omitempty"`
	Triggers       int            `json:"triggers"`
	OpenedAt       time.Time      `json:"opened_at"`
	AcknowledgedAt time.Time      `json:"acknowledged_at,omitzero"`
	ResolvedAt     time.Time      `json:"resolved_at,omitzero"`
	// Events are the Seq numbers of the accepted events applied to it.
	Events []int `json:"events"`
}

// MockStats counts the mock's event requests by outcome.
type MockStats struct {
	Requests     int `json:"requests"`
	Accepted     int `json:"accepted"`
	Rejected     int `json:"rejected"`
	RateLimited  int `json:"rate_limited"`
	ServerErrors int `json:"server_errors"`
	Dropped      int `json:"dropped"`
	Abandoned    int `json:"abandoned"`
	// Changes counts the accepted change events.
	Changes   int `json:"changes"`
	Incidents int `json:"incidents"`
	Open      int `json:"open"`
}

type stateKey struct{ routingKey, dedupKey string }

// Mock is a validating PagerDuty Events API (v1 and v2) mock. It serves
// POST /v2/enqueue, POST /v2/change/enqueue (change events),
// POST /generic/2010-04-15/create_event.json, and GET /events,
// /incidents, /changes and /stats (JSON). It is safe for concurrent use.
type Mock struct {
	opts MockOptions

	mu        sync.Mutex
	rng       *rand.Rand
	requests  int
	events    []ReceivedEvent
	stats     MockStats
	incidents []*Incident
	changes   []ChangeRecord
	latest    map[stateKey]int // index into incidents
	firstReq  time.Time        // time of the first event request
	dedupRKs  map[string]map[string]bool
	writeErr  error
}

// NewMock returns a mock with opts.
func NewMock(opts MockOptions) *Mock {
	if opts.FailStatus < 500 || opts.FailStatus > 599 {
		opts.FailStatus = http.StatusInternalServerError
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Mock{
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x2545f4914f6cdd1d)),
		latest:   map[stateKey]int{},
		dedupRKs: map[string]map[string]bool{},
	}
}

// ServeHTTP implements http.Handler.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PathV2, PathV1, PathChange:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		v := V2
		switch r.URL.Path {
		case PathV1:
			v = V1
		case PathChange:
			v = versionChange
		}
		m.serveEvent(w, r, v)
	case "/changes":
		m.serveJSON(w, r, func() any { return m.Changes() })
	case "/events":
		m.serveJSON(w, r, func() any { return m.Events() })
	case "/incidents":
		m.serveJSON(w, r, func() any { return m.Incidents() })
	case "/stats":
		m.serveJSON(w, r, func() any { return m.Stats() })
	default:
		http.NotFound(w, r)
	}
}

func (m *Mock) serveJSON(w http.ResponseWriter, r *http.Request, get func() any) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, get())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fault is the injected fault for one request.
type fault int

const (
	faultNone fault = iota
	faultDrop
	faultRateLimit
	faultServer
)

// faultFor decides request n's fault; m.mu is held.
func (m *Mock) faultFor(n int) fault {
	o := &m.opts
	switch {
	case n <= o.DropFirst:
		return faultDrop
	case n <= o.DropFirst+o.RateLimitFirst:
		return faultRateLimit
	case n <= o.DropFirst+o.RateLimitFirst+o.FailFirst:
		return faultServer
	case o.RateLimitEvery > 0 && n%o.RateLimitEvery == 0:
		return faultRateLimit
	}
	if o.DropRate > 0 && m.rng.Float64() < o.DropRate {
		return faultDrop
	}
	if o.FailRate > 0 && m.rng.Float64() < o.FailRate {
		return faultServer
	}
	return faultNone
}

func (m *Mock) serveEvent(w http.ResponseWriter, r *http.Request, v Version) {
	// Read the body first: the server then notices a client hanging up
	// during the delay and cancels r.Context().
	body, readErr := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	sum := sha256.Sum256(body)
	parsed := peek(body, v)

	m.mu.Lock()
	m.requests++
	n := m.requests
	recV := v
	if v == versionChange {
		recV = V2
	}
	ev := ReceivedEvent{Seq: n, Time: m.opts.Now(), Version: recV, BodyBytes: len(body), BodySHA256: hex.EncodeToString(sum[:])}
	ev.Action, ev.DedupKey, ev.RoutingKeyFP, ev.Summary, ev.Severity = parsed.action, parsed.dedupKey, Fingerprint(parsed.routingKey), parsed.summary, parsed.severity
	f := m.faultFor(n)
	retryAfter := m.opts.RetryAfter
	if n == 1 {
		m.firstReq = ev.Time
	}
	if w := m.opts.RateLimitWindow; w > 0 {
		if end := m.firstReq.Add(w); ev.Time.Before(end) {
			f = faultRateLimit
			if m.opts.RetryAfterHTTPDate { // whole seconds, rounded up
				if e := end.Truncate(time.Second); !e.Equal(end) {
					end = e.Add(time.Second)
				}
				retryAfter = end.UTC().Format(http.TimeFormat)
			} else {
				retryAfter = fmt.Sprint(int64((end.Sub(ev.Time) + time.Second - 1) / time.Second))
			}
		}
	}
	m.mu.Unlock()

	if m.opts.Delay > 0 && readErr == nil {
		t := time.NewTimer(m.opts.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			m.mu.Lock()
			ev.Outcome, ev.Errors = OutcomeAbandoned, []string{"client hung up before the answer"}
			m.record(ev)
			m.mu.Unlock()
			return
		}
	}

	m.mu.Lock()
	var status int
	var resp any
	switch {
	case readErr != nil:
		// The client went away mid-body; nothing to answer.
		ev.Outcome, ev.Errors = OutcomeDropped, []string{"reading body: " + readErr.Error()}
	case f == faultDrop:
		ev.Outcome = OutcomeDropped
	case f == faultRateLimit:
		status, ev.Outcome = http.StatusTooManyRequests, OutcomeRateLimited
		if v == V1 {
			status = http.StatusForbidden
		}
		resp = map[string]string{"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
	case f == faultServer:
		status, ev.Outcome = m.opts.FailStatus, OutcomeServerError
		resp = map[string]any{"status": "error", "message": "Internal server error (injected)", "errors": []string{"injected failure"}}
	default:
		status, resp = m.process(&ev, body, v)
	}
	ev.StatusCode = status
	m.record(ev)
	m.mu.Unlock()

	if status == 0 {
		dropConnection(w)
		return
	}
	writeJSON(w, status, resp)
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// processChange validates and records a change event; m.mu is held.
func (m *Mock) processChange(ev *ReceivedEvent, body []byte) (int, any) {
	c, status, errs := validateChange(body)
	if len(errs) > 0 {
		return rejected(ev, status, errs)
	}
	ev.Outcome, ev.Effect = OutcomeAccepted, EffectChangeRecorded
	m.changes = append(m.changes, ChangeRecord{
		Seq: ev.Seq, Time: ev.Time, RoutingKeyFP: Fingerprint(c.routingKey), Summary: c.summary, Source: c.source,
		Timestamp: c.timestamp, CustomDetails: c.customDetails, Links: c.links,
	})
	m.stats.Changes++
	return http.StatusAccepted, map[string]string{"status": "success", "message": "Change event processed"}
}

// rejected records a validation failure and returns the 400 answer.
func rejected(ev *ReceivedEvent, status int, errs []string) (int, any) {
	ev.Outcome, ev.Errors = OutcomeRejected, errs
	st, msg := "invalid event", "Event object is invalid"
	if status == statusUnrecognized {
		st, msg = "unrecognized object", "Event object format is unrecognized"
	}
	return http.StatusBadRequest, map[string]any{"status": st, "message": msg, "errors": errs}
}

// process validates and applies an event; m.mu is held.
func (m *Mock) process(ev *ReceivedEvent, body []byte, v Version) (int, any) {
	if v == versionChange {
		return m.processChange(ev, body)
	}
	e, status, errs := validate(body, v)
	if len(errs) > 0 {
		return rejected(ev, status, errs)
	}
	if e.dedupKey == "" { // a trigger without a key always opens a new alert
		e.dedupKey = m.newKey()
	}
	ev.DedupKey = e.dedupKey
	ev.Outcome = OutcomeAccepted
	ev.Effect, ev.IncidentID = m.apply(e, ev.Seq, ev.Time, v)
	if v == V1 {
		return http.StatusOK, map[string]string{"status": "success", "message": "Event processed", "incident_key": e.dedupKey}
	}
	return http.StatusAccepted, map[string]string{"status": "success", "message": "Event processed", "dedup_key": e.dedupKey}
}

// newKey generates a 32-hex-digit dedup key; m.mu is held.
func (m *Mock) newKey() string {
	return fmt.Sprintf("%016x%016x", m.rng.Uint64(), m.rng.Uint64())
}

// apply runs PagerDuty's alert state machine; m.mu is held.
func (m *Mock) apply(e event, seq int, now time.Time, v Version) (effect, id string) {
	k := stateKey{e.routingKey, e.dedupKey}
	idx, known := m.latest[k]
	var inc *Incident
	if known {
		inc = m.incidents[idx]
	}
	switch e.action {
	case ActionTrigger:
		if inc != nil && inc.Status != IncidentResolved {
			inc.Triggers++
			inc.Events = append(inc.Events, seq)
			return EffectDeduplicated, inc.ID
		}
		inc = &Incident{
			ID: fmt.Sprintf("PMOCK%05d", len(m.incidents)+1), RoutingKeyFP: Fingerprint(e.routingKey), DedupKey: e.dedupKey,
			Version: v, Status: IncidentOpen, Summary: e.summary, Source: e.source, Severity: e.severity,
			Triggers: 1, OpenedAt: now, Events: []int{seq},
		}
		m.latest[k] = len(m.incidents)
		m.incidents = append(m.incidents, inc)
		if m.dedupRKs[e.dedupKey] == nil {
			m.dedupRKs[e.dedupKey] = map[string]bool{}
		}
		m.dedupRKs[e.dedupKey][e.routingKey] = true
		m.stats.Incidents++
		m.stats.Open++
		return EffectOpened, inc.ID
	case ActionAcknowledge, ActionResolve:
		if inc == nil {
			for rk := range m.dedupRKs[e.dedupKey] {
				if j := m.latest[stateKey{rk, e.dedupKey}]; m.incidents[j].Status != IncidentResolved {
					return EffectDroppedOtherRoutingKey, ""
				}
			}
			return EffectDroppedUnknown, ""
		}
		if inc.Status == IncidentResolved {
			return EffectDroppedResolved, ""
		}
		inc.Events = append(inc.Events, seq)
		if e.action == ActionResolve {
			inc.Status, inc.ResolvedAt = IncidentResolved, now
			m.stats.Open--
			return EffectResolved, inc.ID
		}
		if inc.Status == IncidentAcknowledged {
			return EffectAlreadyAcknowledged, inc.ID
		}
		inc.Status, inc.AcknowledgedAt = IncidentAcknowledged, now
		return EffectAcknowledged, inc.ID
	}
	return "", ""
}

// record stores ev and writes it to the events writer; m.mu is held.
func (m *Mock) record(ev ReceivedEvent) {
	m.events = append(m.events, ev)
	m.stats.Requests++
	switch ev.Outcome {
	case OutcomeAccepted:
		m.stats.Accepted++
	case OutcomeRejected:
		m.stats.Rejected++
	case OutcomeRateLimited:
		m.stats.RateLimited++
	case OutcomeServerError:
		m.stats.ServerErrors++
	case OutcomeDropped:
		m.stats.Dropped++
	case OutcomeAbandoned:
		m.stats.Abandoned++
	}
	if m.opts.EventsWriter != nil && m.writeErr == nil {
		b, err := json.Marshal(ev)
		if err == nil {
			_, err = m.opts.EventsWriter.Write(append(b, '\n'))
		}
		if err != nil {
			m.writeErr = fmt.Errorf("pagerduty mock: writing event record: %w", err)
		}
	}
}

// Events returns a copy of every event request received, in the order
// they were answered (Seq numbers them in arrival order).
func (m *Mock) Events() []ReceivedEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ReceivedEvent, len(m.events))
	for i, e := range m.events {
		e.Errors = append([]string(nil), e.Errors...)
		out[i] = e
	}
	return out
}

// Incidents returns a copy of every incident, in the order they opened.
func (m *Mock) Incidents() []Incident {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Incident, len(m.incidents))
	for i, inc := range m.incidents {
		c := *inc
		c.Events = append([]int(nil), inc.Events...)
		out[i] = c
	}
	return out
}

// IncidentFor returns the latest incident for (routingKey, dedupKey).
func (m *Mock) IncidentFor(routingKey, dedupKey string) (Incident, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.latest[stateKey{routingKey, dedupKey}]
	if !ok {
		return Incident{}, false
	}
	c := *m.incidents[i]
	c.Events = append([]int(nil), c.Events...)
	return c, true
}

// Changes returns a copy of every accepted change event, in order.
func (m *Mock) Changes() []ChangeRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ChangeRecord(nil), m.changes...)
}

// Stats counts requests by outcome and incidents.
func (m *Mock) Stats() MockStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Err is the first error writing to MockOptions.EventsWriter, if any.
func (m *Mock) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writeErr
}

// WriteJSONL writes every recorded event to w, one JSON object per line.
func (m *Mock) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, e := range m.Events() {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("pagerduty mock: writing events: %w", err)
		}
	}
	return nil
}

// WriteIncidentsJSON writes the incidents as a JSON array, sorted by ID.
func (m *Mock) WriteIncidentsJSON(w io.Writer) error {
	incs := m.Incidents()
	sort.Slice(incs, func(i, j int) bool { return incs[i].ID < incs[j].ID })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(incs); err != nil {
		return fmt.Errorf("pagerduty mock: writing incidents: %w", err)
	}
	return nil
}
