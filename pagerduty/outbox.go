package pagerduty

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// Outbox is a durable, asynchronous notifier: Notify appends the alert to
// a JSON-lines spool file (synced to disk) and returns at once; worker
// goroutines deliver the spooled alerts through a Client and mark each
// accepted one in the spool. Per dedup key, alerts are sent strictly in
// order, one at a time, so a resolve is never sent before its trigger was
// accepted (PagerDuty drops a resolve for an unknown key). Change events
// are spooled and resent the same way, in order, in a lane of their own. Reopening the
// spool after a crash resends every alert not marked delivered, with the
// same dedup key, so PagerDuty deduplicates instead of opening a second
// incident.
//
// Spool records (one JSON object a line):
//
//	{"op":"queued","id":1,"alert":{…}}
//	{"op":"delivered","id":1,"attempts":2,"status_code":202}
//	{"op":"failed","id":1,"attempts":30,"error":"…"}
//
// A "failed" record is not final: the next OpenOutbox resends the alert.
type Outbox struct {
	client *Client
	path   string

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	w       *bufio.Writer
	nextID  int64
	lanes   map[string]*lane
	ready   []*lane // lanes with work and no worker
	pending int     // entries queued and not finished
	closed  bool
	err     error // first spool write error
	results map[int64]*OutboxEntry
	order   []int64
	wg      sync.WaitGroup
	sync    bool
	seen    map[alertID]bool // every alert ever spooled
	before  func(engine.Alert)
	ordered bool
	ctx     context.Context
	cancel  context.CancelFunc
}

// OutboxEntry is one spooled alert and what became of it.
type OutboxEntry struct {
	ID    int64        `json:"id"`
	Alert engine.Alert `json:"alert"`
	// Resent is true for an alert queued by an earlier process.
	Resent bool `json:"resent,omitempty"`
	// State is queued, delivered or failed.
	State      string `json:"state"`
	Attempts   int    `json:"attempts,omitempty"`
	StatusCode int    `json:"status_code,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Entry states.
const (
	EntryQueued    = "queued"
	EntryDelivered = "delivered"
	EntryFailed    = "failed"
)

// alertID identifies an alert across processes: a deterministic engine
// re-run after a restart produces the same kind, dedup key and time.
type alertID struct {
	kind engine.AlertKind
	key  string
	t    int64
}

func idOf(a engine.Alert) alertID { return alertID{a.Kind, a.DedupKey(), a.Time.UnixNano()} }

type lane struct {
	key   string
	queue []*OutboxEntry
	busy  bool
	// blocked is set when an entry failed: later entries of the key (its
	// resolve) are not sent before it, and fail with it.
	blocked string
}

type spoolRecord struct {
	Op         string        `json:"op"`
	ID         int64         `json:"id"`
	Alert      *engine.Alert `json:"alert,omitempty"`
	Attempts   int           `json:"attempts,omitempty"`
	StatusCode int           `json:"status_code,omitempty"`
	Error      string        `json:"error,omitempty"`
	Time       time.Time     `json:"time,omitzero"`
}

// OutboxOptions configure an Outbox.
type OutboxOptions struct {
	// Workers is the number of concurrent deliveries (4 when 0); alerts of
	// one dedup key are always delivered one after the other.
	Workers int
	// NoSync skips the fsync after each queued record (tests and loads
	// where durability across power loss does not matter; a killed
	// process loses nothing either way).
	NoSync bool
	// BeforeSend, when set, is called by a worker just before it delivers
	// an alert (e.g. to stamp a mock's records with the alert's time).
	BeforeSend func(engine.Alert)
	// Ordered delivers one alert at a time in spool order across all
	// lanes (one worker, Workers ignored), so that what the endpoint
	// receives is in a deterministic order; a slow lane then delays the
	// others (a failed one still blocks only its own lane).
	Ordered bool
}

// OpenOutbox opens (or creates) the spool at path and starts delivering
// through c. Alerts queued in the spool by an earlier process and not
// marked delivered are queued again first, in their original order.
func OpenOutbox(path string, c *Client, opts OutboxOptions) (*Outbox, error) {
	old, seen, maxID, err := readSpool(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pagerduty outbox: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Outbox{
		client: c, path: path, f: f, w: bufio.NewWriter(f), nextID: maxID + 1,
		lanes: map[string]*lane{}, results: map[int64]*OutboxEntry{}, sync: !opts.NoSync,
		seen: seen, before: opts.BeforeSend, ordered: opts.Ordered,
		ctx: ctx, cancel: cancel,
	}
	o.cond = sync.NewCond(&o.mu)
	o.mu.Lock()
	for _, e := range old {
		e.Resent = true
		o.enqueueLocked(e)
	}
	o.mu.Unlock()
	n := opts.Workers
	if n <= 0 {
		n = 4
	}
	if opts.Ordered {
		n = 1
	}
	for range n {
		o.wg.Add(1)
		go o.worker()
	}
	return o, nil
}

// readSpool returns the undelivered entries of the spool at path (none
// when it does not exist) and the largest id in it. A torn last line (a
// crash mid-write) is ignored; any other malformed line is an error
// naming the line.
func readSpool(path string) ([]*OutboxEntry, map[alertID]bool, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, map[alertID]bool{}, 0, nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("pagerduty outbox: %w", err)
	}
	defer f.Close()
	byID := map[int64]*OutboxEntry{}
	var order []int64
	var maxID int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), MaxBodyBytes*2)
	line := 0
	var badLine int
	var badErr error
	for sc.Scan() {
		line++
		if badErr != nil { // a bad line followed by more lines: not a torn tail
			return nil, nil, 0, fmt.Errorf("pagerduty outbox %s: line %d: %w", path, badLine, badErr)
		}
		var r spoolRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			badLine, badErr = line, err
			continue
		}
		if r.ID <= 0 {
			return nil, nil, 0, fmt.Errorf("pagerduty outbox %s: line %d: record without an id", path, line)
		}
		maxID = max(maxID, r.ID)
		switch r.Op {
		case "queued":
			if r.Alert == nil {
				return nil, nil, 0, fmt.Errorf("pagerduty outbox %s: line %d: queued record without an alert", path, line)
			}
			if _, dup := byID[r.ID]; !dup {
				byID[r.ID] = &OutboxEntry{ID: r.ID, Alert: *r.Alert, State: EntryQueued}
				order = append(order, r.ID)
			}
		case EntryDelivered, EntryFailed:
			if e, ok := byID[r.ID]; ok && e.State != EntryDelivered {
				e.State = r.Op
			}
		default:
			return nil, nil, 0, fmt.Errorf("pagerduty outbox %s: line %d: unknown op %q", path, line, r.Op)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("pagerduty outbox %s: %w", path, err)
	}
	var out []*OutboxEntry
	seen := make(map[alertID]bool, len(order))
	for _, id := range order {
		e := byID[id]
		seen[idOf(e.Alert)] = true
		if e.State != EntryDelivered {
			e.State, e.Error = EntryQueued, ""
			out = append(out, e)
		}
	}
	return out, seen, maxID, nil
}

// Notify spools the alert and queues it for delivery. It returns an error
// only when the spool cannot be written (the alert is then not queued).
func (o *Outbox) Notify(_ context.Context, a engine.Alert) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("pagerduty outbox: closed")
	}
	id := idOf(a)
	if o.seen[id] {
		return nil // spooled by an earlier process (a resumed run re-deciding it)
	}
	e := &OutboxEntry{ID: o.nextID, Alert: a, State: EntryQueued}
	if err := o.appendLocked(spoolRecord{Op: "queued", ID: e.ID, Alert: &a}, o.sync); err != nil {
		return err
	}
	o.seen[id] = true
	o.nextID++
	o.enqueueLocked(e)
	return nil
}

// laneKey is the delivery lane of an alert: its dedup key for alert
// events, a lane of their own for change events (so that an undelivered
// change event never holds back a trigger or resolve, and vice versa).
func laneKey(a engine.Alert) string {
	if a.Kind.IsChange() {
		return "change\x00" + a.DedupKey()
	}
	return a.DedupKey()
}

func (o *Outbox) enqueueLocked(e *OutboxEntry) {
	key := laneKey(e.Alert)
	l := o.lanes[key]
	if l == nil {
		l = &lane{key: key}
		o.lanes[key] = l
	}
	l.queue = append(l.queue, e)
	o.results[e.ID] = e
	o.order = append(o.order, e.ID)
	o.pending++
	if !l.busy && len(l.queue) == 1 {
		o.ready = append(o.ready, l)
		o.cond.Broadcast()
	}
}

func (o *Outbox) appendLocked(r spoolRecord, sync bool) error {
	if o.err != nil {
		return o.err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("pagerduty outbox: %w", err)
	}
	b = append(b, '\n')
	if _, err := o.w.Write(b); err == nil {
		err = o.w.Flush()
		if err == nil && sync {
			err = o.f.Sync()
		}
		if err != nil {
			o.err = fmt.Errorf("pagerduty outbox %s: %w", o.path, err)
		}
	} else {
		o.err = fmt.Errorf("pagerduty outbox %s: %w", o.path, err)
	}
	return o.err
}

func (o *Outbox) worker() {
	defer o.wg.Done()
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		for len(o.ready) == 0 && !(o.closed && o.pending == 0) {
			o.cond.Wait()
		}
		if len(o.ready) == 0 {
			return
		}
		next := 0
		if o.ordered { // the oldest head: with one worker, spool order
			for i, r := range o.ready {
				if r.queue[0].ID < o.ready[next].queue[0].ID {
					next = i
				}
			}
		}
		l := o.ready[next]
		o.ready = append(o.ready[:next], o.ready[next+1:]...)
		l.busy = true
		e := l.queue[0]
		blocked := l.blocked
		o.mu.Unlock()
		var d Delivery
		var err error
		if blocked != "" {
			err = fmt.Errorf("pagerduty outbox: not sent: an earlier alert of %q was not delivered (%s)", l.key, blocked)
		} else {
			if o.before != nil {
				o.before(e.Alert)
			}
			d, err = o.client.deliverOne(o.ctx, e.Alert)
		}
		o.mu.Lock()
		e.Attempts, e.StatusCode = d.Attempts, d.StatusCode
		if err != nil {
			e.State, e.Error = EntryFailed, err.Error()
			l.blocked = e.Error
		} else {
			e.State = EntryDelivered
		}
		_ = o.appendLocked(spoolRecord{Op: e.State, ID: e.ID, Attempts: e.Attempts, StatusCode: e.StatusCode, Error: e.Error}, o.sync && err == nil)
		l.queue = l.queue[1:]
		l.busy = false
		if len(l.queue) > 0 {
			o.ready = append(o.ready, l)
		} else {
			l.blocked = ""
		}
		o.pending--
		o.cond.Broadcast()
	}
}

// Drain waits until every queued alert was delivered or given up, or ctx
// is done (then the deliveries in flight are interrupted and stay
// undelivered in the spool, to be resent by the next OpenOutbox).
func (o *Outbox) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		o.mu.Lock()
		for o.pending > 0 {
			o.cond.Wait()
		}
		o.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		o.cancel()
		<-done
		return ctx.Err()
	}
}

// Close drains the outbox (see Drain), stops the workers and closes the
// spool. It returns the first spool write error.
func (o *Outbox) Close(ctx context.Context) error {
	derr := o.Drain(ctx)
	o.mu.Lock()
	o.closed = true
	o.cond.Broadcast()
	o.mu.Unlock()
	o.wg.Wait()
	o.cancel()
	o.mu.Lock()
	defer o.mu.Unlock()
	err := o.err
	if ferr := o.f.Close(); err == nil && ferr != nil {
		err = fmt.Errorf("pagerduty outbox %s: %w", o.path, ferr)
	}
	return errors.Join(err, derr)
}

// Entries returns a copy of every alert of this process (resent ones
// first), in queue order, with its state.
func (o *Outbox) Entries() []OutboxEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]OutboxEntry, 0, len(o.order))
	for _, id := range o.order {
		out = append(out, *o.results[id])
	}
	return out
}

// Spooled reports whether a (same kind, dedup key and time) is in the
// spool, from this process or an earlier one.
func (o *Outbox) Spooled(a engine.Alert) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[idOf(a)]
}

// Undelivered returns the entries not (yet) delivered.
func (o *Outbox) Undelivered() []OutboxEntry {
	var out []OutboxEntry
	for _, e := range o.Entries() {
		if e.State != EntryDelivered {
			out = append(out, e)
		}
	}
	return out
}
