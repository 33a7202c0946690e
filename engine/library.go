package engine

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// This file is the engine's surface for programs that embed it as a
// library (a service that receives events over the network): a decision
// callback, Tick to run the checks that fall due while no events arrive,
// copies of the timeline, and a bounded tolerance for events that arrive
// slightly out of time order. Snapshots are in snapshot.go.

// libState is the Rollout's embedding state (one field of Rollout, so
// that rollout.go stays small).
type libState struct {
	// onDecision is Options.OnDecision; reported counts the timeline rows
	// already handed to it.
	onDecision func(Check)
	reported   int
	// reorder is the out-of-order buffer (nil: events must come in order).
	reorder *reorderBuf
}

// ErrNoSeed is the error of bucketing under Policy.Seed 0. Zero is not a
// seed: every rollout without one would split its contexts alike, unlike
// LaunchDarkly, where each guarded rollout draws its own. The engine does
// not draw one itself (its runs are reproducible from their inputs); a
// service that starts real rollouts draws one with NewSeed and records it
// (Outcome.Seed). Streams whose exposures carry their variation (replays
// of LaunchDarkly's own assignment) need no seed.
var ErrNoSeed = errors.New("the policy has no bucketing seed (Policy.Seed 0): set one, e.g. engine.NewSeed()")

// NewSeed draws a random non-zero bucketing seed from crypto/rand, for a
// service that starts a new guarded rollout (LaunchDarkly draws a fresh
// seed per rollout). Simulations and backtests pass their own seeds.
func NewSeed() int64 {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		// LaunchDarkly's seeds are non-negative ints in its JSON.
		if s := int64(binary.BigEndian.Uint64(b[:]) >> 11); s != 0 {
			return s
		}
	}
}

// emit hands the timeline rows added since the last call to the decision
// callback, each as a copy the callback may keep.
func (r *Rollout) emit() {
	if r.lib.onDecision == nil {
		return
	}
	for r.lib.reported < len(r.timeline) {
		c := cloneCheck(r.timeline[r.lib.reported])
		r.lib.reported++
		r.lib.onDecision(c)
	}
}

// cloneCheck copies a check so that the copy shares no memory with it.
func cloneCheck(c Check) Check {
	if c.Metrics != nil {
		ms := make([]MetricCheck, len(c.Metrics))
		copy(ms, c.Metrics)
		for i := range ms {
			if d := ms[i].Detail; d != nil {
				dd := *d
				ms[i].Detail = &dd
			}
		}
		c.Metrics = ms
	}
	if c.Health != nil {
		c.Health = append([]HealthIssue(nil), c.Health...)
	}
	return c
}

func cloneChecks(cs []Check) []Check {
	if cs == nil {
		return nil
	}
	out := make([]Check, len(cs))
	for i := range cs {
		out[i] = cloneCheck(cs[i])
	}
	return out
}

// TimelineFrom returns copies of the timeline rows from index i on (none
// when i is at or past the end), for callers that poll for new checks.
func (r *Rollout) TimelineFrom(i int) []Check {
	if i < 0 {
		i = 0
	}
	if i >= len(r.timeline) {
		return nil
	}
	return cloneChecks(r.timeline[i:])
}

// TimelineLen is the number of timeline rows so far.
func (r *Rollout) TimelineLen() int { return len(r.timeline) }

// Tick tells the rollout that time t has come with no (further) events
// before it, and runs the checks and scripted actions due at or before t.
// A service calls it from a timer so that a rollout whose traffic has
// stopped still reaches its checks (and notices the missing traffic). It
// returns the timeline rows the tick added (copies).
//
// A rollout not yet started starts at t. Events before t are out of order
// afterwards. With Options.Reorder, buffered events up to t − window are
// fed first and the checks run up to t − window only, since events that
// late may still arrive.
func (r *Rollout) Tick(ctx context.Context, t time.Time) ([]Check, error) {
	n := len(r.timeline)
	ts := t.UnixNano()
	if rb := r.lib.reorder; rb != nil {
		if ts > rb.maxSeen {
			rb.maxSeen = ts
		}
		if err := r.release(ctx, rb.maxSeen-rb.window); err != nil {
			return r.TimelineFrom(n), err
		}
		ts = rb.maxSeen - rb.window
		if r.startSet && ts < r.last {
			return r.TimelineFrom(n), nil // nothing can be due yet
		}
	}
	if !r.startSet {
		r.begin(ts)
	}
	if ts < r.last {
		return nil, fmt.Errorf("tick: %w: time %s is before the previous event's %s",
			ErrOutOfOrder, fmtTime(ts), fmtTime(r.last))
	}
	r.last = ts
	if r.live() && ts >= r.nextEval {
		r.advance(ctx, ts)
	}
	return r.TimelineFrom(n), nil
}

func fmtTime(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339Nano) }

// describe names an event in errors: its time, kind and context.
func describe(ev *Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s event at %s for context %q", ev.Kind, fmtTime(ev.Time), ev.ContextKey)
	if ev.Kind == KindMetric {
		fmt.Fprintf(&b, " (metric %d)", ev.Metric)
	}
	return b.String()
}

// Observe feeds one event. Checks whose time has come (before ev.Time) run
// first. Events after the rollout ended are counted and ignored.
//
// Events must come in time order, unless Options.Reorder allows them to be
// up to that window late: such events are held back and fed in time order
// (equal times in arrival order) once no event earlier than them can still
// arrive; an event later than the window is an error naming it, wrapping
// ErrOutOfOrder, and leaves the rollout as it was.
func (r *Rollout) Observe(ctx context.Context, ev *Event) error {
	if r.lib.reorder == nil {
		return r.observe(ctx, ev)
	}
	return r.observeReordered(ctx, ev)
}

// reorderBuf holds the events of the out-of-order window, a min-heap by
// (time, arrival).
type reorderBuf struct {
	window  int64
	maxSeen int64 // the latest event time seen (math.MinInt64: none)
	seq     uint64
	items   []heldEvent
}

type heldEvent struct {
	ev  Event
	seq uint64
}

func (b *reorderBuf) Len() int { return len(b.items) }
func (b *reorderBuf) Less(i, j int) bool {
	if b.items[i].ev.Time != b.items[j].ev.Time {
		return b.items[i].ev.Time < b.items[j].ev.Time
	}
	return b.items[i].seq < b.items[j].seq
}
func (b *reorderBuf) Swap(i, j int) { b.items[i], b.items[j] = b.items[j], b.items[i] }
func (b *reorderBuf) Push(x any)    { b.items = append(b.items, x.(heldEvent)) }
func (b *reorderBuf) Pop() any {
	n := len(b.items) - 1
	x := b.items[n]
	b.items = b.items[:n]
	return x
}

func newReorderBuf(window time.Duration) *reorderBuf {
	return &reorderBuf{window: int64(window), maxSeen: math.MinInt64}
}

func (r *Rollout) observeReordered(ctx context.Context, ev *Event) error {
	rb := r.lib.reorder
	if rb.maxSeen != math.MinInt64 && ev.Time < rb.maxSeen-rb.window {
		return fmt.Errorf("%w: %s is %s before the latest event (%s), beyond the out-of-order window of %s",
			ErrOutOfOrder, describe(ev), time.Duration(rb.maxSeen-ev.Time), fmtTime(rb.maxSeen), time.Duration(rb.window))
	}
	if r.startSet && ev.Time < r.last {
		return fmt.Errorf("%w: %s is before the rollout's clock (%s)", ErrOutOfOrder, describe(ev), fmtTime(r.last))
	}
	if err := r.validate(ev); err != nil {
		return fmt.Errorf("%s: %w", describe(ev), err)
	}
	held := *ev
	held.ContextKey = strings.Clone(ev.ContextKey) // sources may reuse the bytes
	held.ContextKind = strings.Clone(ev.ContextKind)
	rb.seq++
	heap.Push(rb, heldEvent{ev: held, seq: rb.seq})
	if ev.Time > rb.maxSeen {
		rb.maxSeen = ev.Time
	}
	return r.release(ctx, rb.maxSeen-rb.window)
}

// release feeds the held events with time ≤ upTo, in order.
func (r *Rollout) release(ctx context.Context, upTo int64) error {
	rb := r.lib.reorder
	for rb.Len() > 0 && rb.items[0].ev.Time <= upTo {
		h := heap.Pop(rb).(heldEvent)
		if err := r.observe(ctx, &h.ev); err != nil {
			return fmt.Errorf("%s: %w", describe(&h.ev), err)
		}
	}
	return nil
}

// Flush feeds every event held in the out-of-order window (Options.Reorder)
// now, at the end of a stream; Close does it too. No later event may be
// earlier than the last one flushed.
func (r *Rollout) Flush(ctx context.Context) error {
	if r.lib.reorder == nil {
		return nil
	}
	return r.release(ctx, math.MaxInt64)
}

// allocationTime is the time up to which Allocation may run checks: t,
// or with an out-of-order window no later than the window's watermark
// (events up to it are fed first), since earlier events may still come.
func (r *Rollout) allocationTime(ctx context.Context, t int64) int64 {
	rb := r.lib.reorder
	if rb == nil || rb.maxSeen == math.MinInt64 {
		return t
	}
	_ = r.release(ctx, rb.maxSeen-rb.window) // held events were validated on arrival
	if r.startSet {
		return min(t, max(r.last, rb.maxSeen-rb.window))
	}
	return t
}

// Pending is the number of events held in the out-of-order window.
func (r *Rollout) Pending() int {
	if r.lib.reorder == nil {
		return 0
	}
	return r.lib.reorder.Len()
}

// validate checks what observe would reject, so that a held event cannot
// fail when it is fed later.
func (r *Rollout) validate(ev *Event) error {
	switch ev.Kind {
	case KindExposure:
		switch ev.Variation {
		case Unassigned, New, Original, Outside:
		default:
			return fmt.Errorf("exposure with unknown variation %d", ev.Variation)
		}
	case KindMetric:
		nkeys := len(r.pol.Metrics)
		if r.kinds != nil {
			nkeys = r.kinds.nkeys
		}
		if m := int(ev.Metric); m < 0 || m >= nkeys {
			return fmt.Errorf("metric event with metric index %d out of range [0, %d)", m, nkeys)
		}
		if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
			return fmt.Errorf("metric %q: value %v is not finite", r.pol.MetricKeys()[ev.Metric], ev.Value)
		}
	default:
		return fmt.Errorf("unknown event kind %d", ev.Kind)
	}
	return nil
}
