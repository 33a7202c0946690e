package engine

import (
	"bytes"
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/guardsim/guardsim/engine/stats"
)

// Snapshots: a Rollout's whole state written as bytes and read back into
// a new Rollout, so that a service embedding the engine survives a
// restart. A rollout restored from a snapshot and fed the rest of the
// events gives the timeline and decisions of one that never stopped, byte
// for byte.
//
// Format (version 1): the magic "guardsim-rollout\n", the version as a
// big-endian uint16, the state in encoding/gob (snapState), then the
// SHA-256 of everything before it. Restore refuses another magic, a
// version it does not know, a checksum that does not match (corruption,
// truncation), a policy other than the one the snapshot was taken under
// and state that does not fit the policy, each with its own error
// wrapping ErrSnapshot.

// SnapshotVersion is the snapshot format version Snapshot writes.
const SnapshotVersion = 1

const snapMagic = "guardsim-rollout\n"

// ErrSnapshot is wrapped by every error of Restore about the snapshot.
var ErrSnapshot = errors.New("invalid rollout snapshot")

// StatefulDetector is implemented by detectors whose state can be carried
// by a snapshot: the default ConfidenceSequence's and those of every
// named policy in engine/detect do. Snapshot refuses a rollout whose
// detectors do not implement it.
type StatefulDetector interface {
	Detector
	// MarshalState writes the detector's state; UnmarshalState restores it
	// into a detector freshly made by the same factory for the same policy.
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// MarshalState implements StatefulDetector: the running minimum p-value.
func (d *csDetector) MarshalState() ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(d.pmin)), nil
}

// UnmarshalState implements StatefulDetector.
func (d *csDetector) UnmarshalState(b []byte) error {
	if len(b) != 8 {
		return fmt.Errorf("confidence-sequence state: %d bytes, want 8", len(b))
	}
	d.pmin = math.Float64frombits(binary.BigEndian.Uint64(b))
	return nil
}

// snapState is the gob-encoded state (exported fields for gob; column
// slices for the per-context state, which may hold millions of entries).
type snapState struct {
	Policy [32]byte // policyFingerprint

	StartSet              bool
	Start, Last           int64
	Status                Status
	Outcome               Outcome
	Step                  int
	StepEnd               int64
	Extended, Holding     bool
	NextCheck, NextEval   int64
	Triggered, EqualSoFar bool
	StartPending          bool // the start change event is not sent yet (notify.go)

	// The context table: keys in index order, the ContextID → index pairs,
	// whether the key map was built.
	Keys       []string
	IDs        []uint32
	IDIndex    []int32
	IndexBuilt bool
	// DenseIDs: every context came with ContextID index+1 (contexts.go);
	// IDs is then empty. False in snapshots from before it existed, whose
	// IDs list every mapping.
	DenseIDs bool

	// Per context (ctxState) and per context and metric (metricVal).
	Bucket               []float32
	Flags                []uint8 // ctxHasBucket | ctxSeenOutside | ctxSwitched
	Arm                  []int8
	Stratum, LastNewStep []int16
	Count                []uint32
	DataStep             []int16
	Value, Denominator   []float64
	Strata               [][]stats.Stratum
	StepNew              []int
	Arms                 [NumArms]int
	StepData             [][]int
	SRM                  []byte
	SRMPending, SRMCum   [NumArms]float64
	SRMExp               [NumArms]float64
	Detectors            [][]byte
	Verdicts             []Verdict
	Quantiles            [][][2][]byte // [metric][step][arm]
	Ratios               [][]stats.RatioStratum
	Timeline             []Check
	ManNext              int
	ManPaused            bool
	ManStoppedAt         int64
	ManDismissed         []bool
	HealthLastAnalysed   int64
	HealthMulti          int
	HealthFailing        []Reason
	Held                 []Event // the out-of-order window's events, arrival order
	HeldSeq              []uint64
	ReorderMaxSeen       int64
	ReorderSeq           uint64
}

const (
	ctxHasBucket uint8 = 1 << iota
	ctxSeenOutside
	ctxSwitched
)

// policyFingerprint identifies the policy a snapshot belongs to: its JSON
// with defaults (alert presentation excluded: it does not change any
// decision) and the detector's name.
func policyFingerprint(p Policy) ([32]byte, error) {
	p.Alerts = nil
	b, err := json.Marshal(p)
	if err != nil {
		return [32]byte{}, err
	}
	b = append(b, 0)
	b = append(b, p.DetectorFactory().Name()...)
	return sha256.Sum256(b), nil
}

// Snapshot writes the rollout's state (see the format above). The
// notifier and decision callback are not part of it: Restore takes them
// again in its Options.
func (r *Rollout) Snapshot() ([]byte, error) {
	fp, err := policyFingerprint(r.pol)
	if err != nil {
		return nil, fmt.Errorf("snapshot: policy: %w", err)
	}
	s := snapState{
		Policy: fp, StartSet: r.startSet, Start: r.start, Last: r.last,
		Status: r.status, Outcome: r.outcome, Step: r.step, StepEnd: r.stepEnd,
		Extended: r.extended, Holding: r.holding, NextCheck: r.nextCheck, NextEval: r.nextEval,
		Triggered: r.triggered, EqualSoFar: r.equalSoFar, StartPending: r.startPending,
		Strata: r.strata, StepNew: r.stepNew, Arms: r.arms, StepData: r.stepData,
		SRMPending: r.srmPending, SRMCum: r.srmCum, SRMExp: r.srmExp,
		Verdicts: r.verdicts, Timeline: r.timeline,
		ManNext: r.man.next, ManPaused: r.man.paused, ManStoppedAt: r.man.stoppedAt, ManDismissed: r.man.dismissed,
		HealthLastAnalysed: r.hs.lastAnalysed, HealthMulti: r.hs.multi,
	}
	t := &r.ctxIdx
	n, nm := t.n, len(r.pol.Metrics)
	s.Keys = make([]string, n)
	for j := range n {
		s.Keys[j] = t.store.key(j)
	}
	// Contexts in order of appearance (j); the ID → j pairs in order of ID.
	s.DenseIDs = !t.sparse && t.order == nil
	switch {
	case t.sparse:
		for id, i := range t.byID {
			if i != 0 {
				s.IDs = append(s.IDs, uint32(id))
				s.IDIndex = append(s.IDIndex, i-1)
			}
		}
	case t.order != nil:
		inv := make([]int32, t.slots())
		for j, h := range t.order {
			inv[h] = int32(j) + 1
		}
		for h, j := range inv {
			if j != 0 {
				s.IDs = append(s.IDs, uint32(h)+1)
				s.IDIndex = append(s.IDIndex, j-1)
			}
		}
	}
	s.IndexBuilt = t.index != nil
	s.Bucket, s.Flags, s.Arm = make([]float32, n), make([]uint8, n), make([]int8, n)
	s.Stratum, s.LastNewStep = make([]int16, n), make([]int16, n)
	s.Count, s.DataStep, s.Value, s.Denominator = make([]uint32, n*nm), make([]int16, n*nm), make([]float64, n*nm), make([]float64, n*nm)
	for j := range n {
		h := t.handle(j)
		c := t.ctx(h)
		s.Bucket[j], s.Arm[j], s.Stratum[j], s.LastNewStep[j] = c.bucket, int8(c.arm), c.stratum, c.lastNewStep
		if c.hasBucket {
			s.Flags[j] |= ctxHasBucket
		}
		if c.seenOutside {
			s.Flags[j] |= ctxSeenOutside
		}
		if c.switched {
			s.Flags[j] |= ctxSwitched
		}
		rec := t.rec(h)
		for m := range nm {
			v, k := rec[1+m], j*nm+m
			s.Count[k], s.DataStep[k], s.Value[k] = v.count, v.dataStep, v.v
			if r.kinds != nil && r.kinds.den[m] != 0 {
				s.Denominator[k] = rec[r.kinds.den[m]].v
			}
		}
	}
	if s.SRM, err = r.srm.MarshalBinary(); err != nil {
		return nil, fmt.Errorf("snapshot: SRM test: %w", err)
	}
	for m, d := range r.detectors {
		sd, ok := d.(StatefulDetector)
		if !ok {
			return nil, fmt.Errorf("snapshot: detector %s of metric %q does not implement engine.StatefulDetector", r.detectorName, r.pol.Metrics[m].Key)
		}
		b, err := sd.MarshalState()
		if err != nil {
			return nil, fmt.Errorf("snapshot: detector %s of metric %q: %w", r.detectorName, r.pol.Metrics[m].Key, err)
		}
		s.Detectors = append(s.Detectors, b)
	}
	if ks := r.kinds; ks != nil {
		s.Ratios = ks.ratio
		s.Quantiles = make([][][2][]byte, len(ks.quant))
		for m, steps := range ks.quant {
			for _, q := range steps {
				a, err := q.A.MarshalBinary()
				if err != nil {
					return nil, fmt.Errorf("snapshot: metric %q: %w", r.pol.Metrics[m].Key, err)
				}
				b, err := q.B.MarshalBinary()
				if err != nil {
					return nil, fmt.Errorf("snapshot: metric %q: %w", r.pol.Metrics[m].Key, err)
				}
				s.Quantiles[m] = append(s.Quantiles[m], [2][]byte{a, b})
			}
		}
	}
	for reason, failing := range r.hs.failing {
		if failing {
			s.HealthFailing = append(s.HealthFailing, reason)
		}
	}
	slices.Sort(s.HealthFailing)
	if rb := r.lib.reorder; rb != nil {
		s.ReorderMaxSeen, s.ReorderSeq = rb.maxSeen, rb.seq
		for _, h := range rb.items {
			s.Held = append(s.Held, h.ev)
			s.HeldSeq = append(s.HeldSeq, h.seq)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(snapMagic)
	buf.Write(binary.BigEndian.AppendUint16(nil, SnapshotVersion))
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// Restore makes a rollout from a snapshot taken under policy p (the same
// policy: a different one is refused) with the run-time collaborators of
// opts (Options.Start is ignored: the snapshot has its own; Reorder must
// be set as when the snapshot was taken, or zero for an in-order one).
// The decision callback sees only rows made after the restore.
func Restore(p Policy, opts Options, data []byte) (*Rollout, error) {
	var s snapState
	if err := decodeSnapshot(data, &s); err != nil {
		return nil, err
	}
	opts.Start = time.Time{}
	r, err := NewRollout(p, opts)
	if err != nil {
		return nil, err
	}
	fp, err := policyFingerprint(r.pol)
	if err != nil {
		return nil, fmt.Errorf("restore: policy: %w", err)
	}
	if fp != s.Policy {
		return nil, fmt.Errorf("%w: it was taken under another policy (flag %q's policy differs, or its detector)", ErrSnapshot, r.pol.FlagKey)
	}
	if err := r.load(&s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	return r, nil
}

func decodeSnapshot(data []byte, s *snapState) error {
	hdr := len(snapMagic) + 2
	if len(data) < hdr || string(data[:len(snapMagic)]) != snapMagic {
		return fmt.Errorf("%w: not a guardsim rollout snapshot", ErrSnapshot)
	}
	if v := binary.BigEndian.Uint16(data[len(snapMagic):hdr]); v != SnapshotVersion {
		return fmt.Errorf("%w: format version %d is not supported (this build reads version %d)", ErrSnapshot, v, SnapshotVersion)
	}
	if len(data) < hdr+sha256.Size {
		return fmt.Errorf("%w: truncated (%d bytes)", ErrSnapshot, len(data))
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if want := sha256.Sum256(body); !bytes.Equal(want[:], sum) {
		return fmt.Errorf("%w: corrupt or truncated (checksum mismatch)", ErrSnapshot)
	}
	if err := gob.NewDecoder(bytes.NewReader(body[hdr:])).Decode(s); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	return nil
}

// load sets the state of a fresh rollout of the snapshot's policy,
// checking that every part fits the policy.
func (r *Rollout) load(s *snapState) error {
	nm, ns := len(r.pol.Metrics), r.nsteps
	n := len(s.Keys)
	switch {
	case s.Step < 0 || s.Step >= ns:
		return fmt.Errorf("step %d outside the policy's %d steps", s.Step+1, ns)
	case len(s.Bucket) != n || len(s.Flags) != n || len(s.Arm) != n || len(s.Stratum) != n || len(s.LastNewStep) != n:
		return fmt.Errorf("per-context state of %d contexts does not match %d keys", len(s.Bucket), n)
	case len(s.Count) != n*nm || len(s.DataStep) != n*nm || len(s.Value) != n*nm || len(s.Denominator) != n*nm:
		return fmt.Errorf("per-metric state of %d values does not match %d contexts × %d metrics", len(s.Count), n, nm)
	case len(s.IDs) != len(s.IDIndex):
		return errors.New("context IDs and their indexes differ in length")
	case len(s.Strata) != nm || len(s.Detectors) != nm || len(s.Verdicts) != nm:
		return fmt.Errorf("state of %d metrics for a policy of %d", len(s.Strata), nm)
	case len(s.StepNew) != ns:
		return fmt.Errorf("state of %d steps for a policy of %d", len(s.StepNew), ns)
	case len(s.Held) != len(s.HeldSeq):
		return errors.New("held events and their arrival numbers differ in length")
	case (len(s.Held) > 0 || s.ReorderSeq > 0) && r.lib.reorder == nil:
		return errors.New("the snapshot has an out-of-order window (Options.Reorder) but the restored rollout has none")
	}
	for m := range s.Strata {
		if len(s.Strata[m]) != ns {
			return fmt.Errorf("metric %q: %d steps of moments for a policy of %d", r.pol.Metrics[m].Key, len(s.Strata[m]), ns)
		}
	}
	if len(s.StepData) != len(r.stepData) {
		return fmt.Errorf("per-step data counts of %d metrics for %d", len(s.StepData), len(r.stepData))
	}
	for i := range s.StepData {
		if len(s.StepData[i]) != len(r.stepData[i]) {
			return fmt.Errorf("per-step data counts of %d steps for %d", len(s.StepData[i]), len(r.stepData[i]))
		}
	}
	r.startSet, r.start, r.last = s.StartSet, s.Start, s.Last
	r.status, r.outcome = s.Status, s.Outcome
	if s.StartSet {
		r.step = s.Step
		w := r.pol.Steps[s.Step].Weights()
		r.weights = w[:]
	}
	r.stepEnd, r.extended, r.holding = s.StepEnd, s.Extended, s.Holding
	r.nextCheck, r.nextEval = s.NextCheck, s.NextEval
	r.triggered, r.equalSoFar = s.Triggered, s.EqualSoFar
	r.startPending = s.StartPending

	t := &r.ctxIdx
	for _, k := range s.Keys {
		t.store.add(k)
	}
	t.n = n
	t.sparse = !s.DenseIDs
	for j, id := range s.IDs {
		i := s.IDIndex[j]
		if id == 0 || i < 0 || int(i) >= n {
			return fmt.Errorf("context ID %d maps to index %d of %d contexts", id, i, n)
		}
		t.setID(id, i)
	}
	// Handles in order of appearance: dense IDs are the handles + 1;
	// other IDs are mapped by byID.
	t.grow(n)
	for j := range n {
		arm := Variation(s.Arm[j])
		if arm != Unassigned && arm != Original && arm != New {
			return fmt.Errorf("context %d has arm %d", j, arm)
		}
		*t.ctx(int32(j)) = ctxState{bucket: s.Bucket[j], hasBucket: s.Flags[j]&ctxHasBucket != 0, used: true, arm: arm,
			stratum: s.Stratum[j], lastNewStep: s.LastNewStep[j],
			seenOutside: s.Flags[j]&ctxSeenOutside != 0, switched: s.Flags[j]&ctxSwitched != 0}
		rec := t.rec(int32(j))
		for m := range nm {
			k := j*nm + m
			rec[1+m] = metricVal{count: s.Count[k], dataStep: s.DataStep[k], v: s.Value[k]}
			if r.kinds != nil && r.kinds.den[m] != 0 {
				rec[r.kinds.den[m]].v = s.Denominator[k]
			}
		}
	}
	if s.IndexBuilt {
		t.buildIndex()
	}
	r.strata, r.stepNew, r.arms = s.Strata, s.StepNew, s.Arms
	for i := range s.StepData {
		copy(r.stepData[i], s.StepData[i])
	}
	if err := r.srm.UnmarshalBinary(s.SRM); err != nil {
		return err
	}
	r.srmPending, r.srmCum, r.srmExp = s.SRMPending, s.SRMCum, s.SRMExp
	for m, d := range r.detectors {
		sd, ok := d.(StatefulDetector)
		if !ok {
			return fmt.Errorf("detector %s of metric %q does not implement engine.StatefulDetector", r.detectorName, r.pol.Metrics[m].Key)
		}
		if err := sd.UnmarshalState(s.Detectors[m]); err != nil {
			return fmt.Errorf("detector %s of metric %q: %w", r.detectorName, r.pol.Metrics[m].Key, err)
		}
	}
	copy(r.verdicts, s.Verdicts)
	if ks := r.kinds; ks != nil {
		if len(s.Quantiles) != len(ks.quant) || len(s.Ratios) != len(ks.ratio) {
			return errors.New("percentile or ratio state does not fit the policy's metrics")
		}
		for m := range ks.quant {
			if len(s.Quantiles[m]) != len(ks.quant[m]) || len(s.Ratios[m]) != len(ks.ratio[m]) {
				return fmt.Errorf("metric %q: percentile or ratio state of the wrong size", r.pol.Metrics[m].Key)
			}
			for st := range ks.quant[m] {
				if err := ks.quant[m][st].A.UnmarshalBinary(s.Quantiles[m][st][0]); err != nil {
					return fmt.Errorf("metric %q: %w", r.pol.Metrics[m].Key, err)
				}
				if err := ks.quant[m][st].B.UnmarshalBinary(s.Quantiles[m][st][1]); err != nil {
					return fmt.Errorf("metric %q: %w", r.pol.Metrics[m].Key, err)
				}
			}
			copy(ks.ratio[m], s.Ratios[m])
		}
	} else if len(s.Quantiles) > 0 || len(s.Ratios) > 0 {
		return errors.New("percentile or ratio state for a policy without such metrics")
	}
	r.timeline = s.Timeline
	r.lib.reported = len(r.timeline)
	r.man.next, r.man.paused, r.man.stoppedAt = s.ManNext, s.ManPaused, s.ManStoppedAt
	if s.ManDismissed != nil {
		r.man.dismissed = s.ManDismissed
	}
	r.hs.lastAnalysed, r.hs.multi = s.HealthLastAnalysed, s.HealthMulti
	for _, reason := range s.HealthFailing {
		if r.hs.failing == nil {
			r.hs.failing = map[Reason]bool{}
		}
		r.hs.failing[reason] = true
	}
	if rb := r.lib.reorder; rb != nil {
		rb.maxSeen, rb.seq = s.ReorderMaxSeen, s.ReorderSeq
		if len(s.Held) == 0 && s.ReorderSeq == 0 {
			rb.maxSeen = math.MinInt64
		}
		for i, ev := range s.Held {
			rb.items = append(rb.items, heldEvent{ev: ev, seq: s.HeldSeq[i]})
		}
		heap.Init(rb)
	}
	return nil
}
