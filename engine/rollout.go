package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/guardsim/guardsim/engine/bucket"
	"github.com/guardsim/guardsim/engine/stats"
)

// Options are the run-time collaborators of a Rollout.
type Options struct {
	// Start is the start of the rollout; zero means the first event's time.
	Start time.Time
	// Notifier receives regression and revert alerts; nil sends none.
	Notifier Notifier
	// OnDecision, when set, is called with every timeline row (the start,
	// each check, scripted actions) right after the engine made it, before
	// the event that brought the check's time is analysed (library.go).
	OnDecision func(Check)
	// Reorder is the out-of-order tolerance: events may arrive up to this
	// much later than an event with a later time and are still analysed in
	// time order; zero requires time order (library.go). Checks then run
	// once the window has passed them (Allocation and Tick too).
	Reorder time.Duration
}

// ctxState is the engine's memory of one context (the first cell of its
// record in the contextTable).
type ctxState struct {
	bucket      float32
	hasBucket   bool
	used        bool      // the record holds a context (contexts.go)
	arm         Variation // Unassigned until the first analysed exposure
	seenOutside bool      // served outside the analysis before
	stratum     int16     // step index of the first analysed exposure
	lastNewStep int16     // last step in which the context was served new
	switched    bool      // seen in both analysed arms (health.go)
}

// metricVal is one context's running value of one metric (a ratio
// metric's numerator sum; its denominator sum is the v of a cell of its
// own, kindState.den).
type metricVal struct {
	count uint32
	// dataStep is 1 + the last step in which the context had an event of
	// the metric (0: none yet); see minimum.go.
	dataStep int16
	v        float64
}

// Rollout is the guarded-rollout state machine. It is not safe for
// concurrent use.
type Rollout struct {
	pol      Policy
	notifier Notifier
	hasher   bucket.Hasher
	kind     string
	nsteps   int

	startSet bool
	start    int64
	last     int64

	status    Status
	outcome   Outcome
	step      int // 0-based index of the current step
	stepEnd   int64
	extended  bool
	holding   bool
	nextCheck int64
	nextEval  int64
	weights   []int

	ctxIdx  contextTable // the contexts and their state
	strata  [][]stats.Stratum
	stepNew []int
	arms    [NumArms]int
	// stepData[m][k] counts the new-variation contexts with data for metric
	// m in step k, for the metrics with their own minimum (minMetrics).
	stepData   [][]int
	minMetrics []int

	srm        *stats.SequentialSRM
	equalSoFar bool // every step so far had control share == percent
	srmPending [NumArms]float64
	srmCum     [NumArms]float64
	srmExp     [NumArms]float64 // expected counts, Σ over steps

	detectors    []Detector
	detectorName string
	scorer       Scorer
	verdicts     []Verdict // of the current check
	// kinds is the state of percentile and ratio metrics (nil without them).
	kinds *kindState
	// customDetector: the policy's detector is not the default, so checks
	// carry its verdict details.
	customDetector bool
	triggered      bool
	timeline       []Check

	man       manualState  // scripted actions and pauses (manual.go)
	hs        healthState  // health checks (health.go)
	healthCfg HealthPolicy // the policy's health settings with defaults

	lib libState // decision callback, out-of-order window (library.go)

	// startPending: the start change event waits for the first call with
	// a context (nextEval is held at the start time meanwhile; notify.go).
	startPending bool
}

// NewRollout returns a rollout for the policy (defaults applied and validated).
func NewRollout(p Policy, opts Options) (*Rollout, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("invalid policy: %w", err)
	}
	m := len(p.Metrics)
	r := &Rollout{
		pol:      p,
		notifier: opts.Notifier,
		hasher:   bucket.ForSeed(p.Seed),
		kind:     p.ContextKind,
		nsteps:   len(p.Steps),
		status:   StatusRunning,
		strata:   make([][]stats.Stratum, m),
		stepNew:  make([]int, len(p.Steps)),
		srm:      stats.NewSequentialSRM(p.SRMConcentration),
	}
	for i := range r.strata {
		r.strata[i] = make([]stats.Stratum, len(p.Steps))
	}
	r.kinds = newKindState(p)
	r.ctxIdx.init(m, r.kinds.ndens())
	r.initMinimums()
	r.healthCfg = p.HealthSettings()
	f := p.DetectorFactory()
	_, def := f.(ConfidenceSequence)
	r.customDetector = !def
	r.detectorName = f.Name()
	r.scorer, _ = f.(Scorer)
	r.verdicts = make([]Verdict, m)
	ds, err := f.NewDetectors(p)
	if err != nil {
		return nil, fmt.Errorf("detector %s: %w", f.Name(), err)
	}
	if len(ds) != m {
		return nil, fmt.Errorf("detector %s made %d detectors for %d metrics", f.Name(), len(ds), m)
	}
	r.detectors = ds
	r.lib.onDecision = opts.OnDecision
	if opts.Reorder < 0 {
		return nil, fmt.Errorf("out-of-order window %s is negative", opts.Reorder)
	}
	if opts.Reorder > 0 {
		r.lib.reorder = newReorderBuf(opts.Reorder)
	}
	if !opts.Start.IsZero() {
		r.begin(opts.Start.UnixNano())
	}
	return r, nil
}

// Policy returns the policy in force (with defaults applied).
func (r *Rollout) Policy() Policy { return r.pol }

// Done reports whether the rollout has ended (completed, rolled back or halted).
func (r *Rollout) Done() bool { return !r.live() }

func (r *Rollout) begin(t int64) {
	r.startSet = true
	r.start = t
	r.last = t
	r.enterStep(0, t)
	r.nextCheck = t + int64(r.pol.CheckInterval)
	r.updateNextEval()
	c := r.snapshot(t, false, true)
	c.Decision = DecisionStart
	c.Note = fmt.Sprintf("step 1 starts at %g%%", r.pol.Steps[0].Percent)
	r.timeline = append(r.timeline, c)
	if r.pol.Alerts.Sends(ChangeStarted) {
		r.startPending, r.nextEval = true, t
	}
	r.emit()
}

func (r *Rollout) enterStep(i int, t int64) {
	r.step = i
	s := r.pol.Steps[i]
	r.stepEnd = t + int64(s.Duration)
	r.extended = false
	r.holding = false
	w := s.Weights()
	r.weights = w[:]
	if i == 0 {
		r.equalSoFar = true
	}
	r.equalSoFar = r.equalSoFar && s.Control() == s.Percent
	share := s.ExpectedNewShare()
	r.srm.StartStep([]float64{1 - share, share})
}

func (r *Rollout) updateNextEval() {
	r.nextEval = r.nextCheck
	if r.stepEnd < r.nextEval {
		r.nextEval = r.stepEnd
	}
	r.nextEvalWithActions()
}

// ErrOutOfOrder is wrapped by Observe when an event is earlier than the
// previous one.
var ErrOutOfOrder = errors.New("event out of time order")

// observe feeds one event in time order (Observe in library.go).
func (r *Rollout) observe(ctx context.Context, ev *Event) error {
	if !r.startSet {
		r.begin(ev.Time)
	}
	if ev.Time < r.last {
		return fmt.Errorf("%w: time %s is before the previous event's %s",
			ErrOutOfOrder, time.Unix(0, ev.Time).UTC().Format(time.RFC3339Nano), time.Unix(0, r.last).UTC().Format(time.RFC3339Nano))
	}
	r.last = ev.Time
	if ev.Time >= r.nextEval && r.live() {
		r.advance(ctx, ev.Time)
	}
	r.outcome.Counters.Events++
	if !r.live() {
		r.outcome.Counters.AfterEnd++
		return nil
	}
	switch ev.Kind {
	case KindExposure:
		return r.expose(ev)
	case KindMetric:
		return r.metric(ev)
	}
	return fmt.Errorf("unknown event kind %d", ev.Kind)
}

// advance runs every check with time ≤ t.
func (r *Rollout) advance(ctx context.Context, t int64) {
	r.flushStart(ctx)
	for r.live() && t >= r.nextEval {
		if at := r.nextEval; r.man.next < len(r.pol.Actions) && r.actionAt(r.man.next) <= at {
			r.applyActions(ctx, at)
			continue
		}
		r.evaluate(ctx, r.nextEval)
	}
	r.emit()
}

// Close runs the checks due up to and including t (zero: the last event's
// time) and returns the result.
func (r *Rollout) Close(ctx context.Context, t time.Time) *Result {
	_ = r.Flush(ctx) // held events were validated on arrival: cannot fail
	if r.startSet {
		end := r.last
		if !t.IsZero() {
			end = t.UnixNano()
		}
		if end >= r.nextEval {
			r.advance(ctx, end)
		}
	}
	return r.Result()
}

// lookup returns the index of ev's context, adding a new one.
func (r *Rollout) lookup(ev *Event) int32 {
	if i := r.ctxIdx.lookup(ev); i >= 0 {
		return i
	}
	return r.ctxIdx.add(ev)
}

func (r *Rollout) expose(ev *Event) error {
	c := &r.outcome.Counters
	c.Exposures++
	if ev.ContextKind != r.kind && !(ev.ContextKind == "" && r.kind == "user") {
		c.WrongKind++
		return nil
	}
	if ev.Variation == Unassigned && r.pol.Seed == 0 {
		return fmt.Errorf("exposure of context %q carries no variation: %w", ev.ContextKey, ErrNoSeed)
	}
	i := r.lookup(ev)
	st := r.ctxIdx.ctx(i)
	v := ev.Variation
	switch v {
	case Unassigned:
		if !st.hasBucket {
			st.bucket = r.hasher.Value(ev.ContextKey)
			st.hasBucket = true
		}
		switch bucket.PickWeights(st.bucket, r.weights) {
		case 0:
			v = New
		case 1:
			v = Outside
		default:
			v = Original
		}
	case New, Original, Outside:
	default:
		return fmt.Errorf("exposure with unknown variation %d", v)
	}
	if v == Outside {
		c.OutsideExposures++
		st.seenOutside = true
		return nil
	}
	if st.arm == Unassigned {
		st.arm = v
		st.stratum = int16(r.step)
		r.arms[v]++
		// The SRM test counts contexts whose arm is a fresh draw from the
		// step's split: contexts never seen before, and contexts seen only
		// outside the analysis as long as every step so far had an equal
		// control share (then both arms' ranges grew alike).
		if !st.seenOutside || r.equalSoFar {
			r.srmPending[v]++
		}
		// Binary and sum metrics count every exposed context (value 0
		// until its events arrive); mean metrics only contexts with events.
		for m, met := range r.pol.Metrics {
			if met.Kind == Binary || met.Kind == Ratio || met.Aggregation == Sum {
				r.arm(m, r.step, v).Add(0)
			}
		}
		if r.kinds != nil {
			r.kinds.expose(r.step, v)
		}
	} else if st.arm != v {
		c.Switched++
		v = st.arm
		if !st.switched {
			st.switched = true
			r.hs.multi++
		}
	}
	r.hs.lastAnalysed = ev.Time
	if v == New && int(st.lastNewStep) != r.step {
		st.lastNewStep = int16(r.step)
		r.stepNew[r.step]++
		r.servedNew(i)
	}
	return nil
}

func (r *Rollout) arm(m, step int, v Variation) *stats.Moments {
	s := &r.strata[m][step]
	if v == New {
		return &s.B
	}
	return &s.A
}

func (r *Rollout) metric(ev *Event) error {
	c := &r.outcome.Counters
	c.MetricEvents++
	m := int(ev.Metric)
	nkeys := len(r.pol.Metrics)
	if r.kinds != nil {
		nkeys = r.kinds.nkeys
	}
	if m < 0 || m >= nkeys {
		return fmt.Errorf("metric event with metric index %d out of range [0, %d)", m, nkeys)
	}
	if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
		return fmt.Errorf("metric %q: value %v is not finite", r.pol.MetricKeys()[m], ev.Value)
	}
	i := r.ctxIdx.lookup(ev)
	if i < 0 {
		c.Unattributed++
		return nil
	}
	rec := r.ctxIdx.rec(i)
	st := (*ctxState)(unsafe.Pointer(&rec[0]))
	if st.arm == Unassigned { // exposed only outside the analysis so far
		c.OutsideMetrics++
		return nil
	}
	if r.kinds != nil {
		r.kinds.event(m, ev.Value, int(st.stratum), st.arm, rec)
		if st.arm == New {
			r.componentData(st, rec, m)
		}
		if m >= len(r.pol.Metrics) || r.pol.Metrics[m].Kind == Ratio {
			return nil // a ratio component key, or a ratio metric's own key (no value of its own)
		}
	}
	mv := &rec[1+m]
	mo := r.arm(m, int(st.stratum), st.arm)
	met := &r.pol.Metrics[m]
	if met.MinContexts > 0 && st.arm == New {
		r.hadData(st, mv, m)
	}
	switch {
	case met.Kind == Binary:
		if mv.count == 0 {
			mo.Replace(0, 1)
			mv.v = 1
		}
	case met.Aggregation == Sum:
		mo.Replace(mv.v, mv.v+ev.Value)
		mv.v += ev.Value
	default: // numeric mean
		if mv.count == 0 {
			mo.Add(ev.Value)
			mv.v = ev.Value
		} else {
			nv := mv.v + (ev.Value-mv.v)/float64(mv.count+1)
			mo.Replace(mv.v, nv)
			mv.v = nv
		}
	}
	mv.count++
	return nil
}
