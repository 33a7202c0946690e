package detect

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math/rand/v2"

	"github.com/guardsim/guardsim/engine"
)

// Snapshot support (engine.StatefulDetector): each detector writes the
// state it keeps between checks with encoding/gob; the stateless ones
// (GrowthBook, LaunchDarkly's Bayesian rule, the z-tests) write nothing.

var (
	_ engine.StatefulDetector = ldbDetector{}
	_ engine.StatefulDetector = gbDetector{}
	_ engine.StatefulDetector = (*zDetector)(nil)
	_ engine.StatefulDetector = (*flaggerDetector)(nil)
	_ engine.StatefulDetector = (*argoDetector)(nil)
	_ engine.StatefulDetector = (*kayentaDetector)(nil)
)

func gobState(v any) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(v)
	return b.Bytes(), err
}

func ungobState(name string, data []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("%s state: %w", name, err)
	}
	return nil
}

func noState(name string, data []byte) error {
	if len(data) != 0 {
		return fmt.Errorf("%s keeps no state, got %d bytes", name, len(data))
	}
	return nil
}

// MarshalState implements engine.StatefulDetector (no state).
func (ldbDetector) MarshalState() ([]byte, error) { return nil, nil }

// UnmarshalState implements engine.StatefulDetector.
func (ldbDetector) UnmarshalState(b []byte) error { return noState("launchdarkly-bayesian", b) }

// MarshalState implements engine.StatefulDetector (no state).
func (gbDetector) MarshalState() ([]byte, error) { return nil, nil }

// UnmarshalState implements engine.StatefulDetector.
func (gbDetector) UnmarshalState(b []byte) error { return noState("growthbook", b) }

// MarshalState implements engine.StatefulDetector (no state).
func (*zDetector) MarshalState() ([]byte, error) { return nil, nil }

// UnmarshalState implements engine.StatefulDetector.
func (*zDetector) UnmarshalState(b []byte) error { return noState("z-test", b) }

type intervalState struct{ N, S [2]float64 }

func (iv intervals) state() intervalState { return intervalState{iv.n, iv.s} }
func (iv *intervals) set(s intervalState) { iv.n, iv.s = s.N, s.S }

type flaggerSnap struct {
	At          int64
	CheckFailed bool
	Failed      int
	IV          intervalState
}

// MarshalState implements engine.StatefulDetector: the canary's failed
// checks (shared by the rollout's detectors) and the interval baseline.
func (d *flaggerDetector) MarshalState() ([]byte, error) {
	return gobState(flaggerSnap{At: d.st.at, CheckFailed: d.st.checkFailed, Failed: d.st.failed, IV: d.iv.state()})
}

// UnmarshalState implements engine.StatefulDetector.
func (d *flaggerDetector) UnmarshalState(b []byte) error {
	var s flaggerSnap
	if err := ungobState("flagger", b, &s); err != nil {
		return err
	}
	d.st.at, d.st.checkFailed, d.st.failed = s.At, s.CheckFailed, s.Failed
	d.iv.set(s.IV)
	return nil
}

type argoSnap struct {
	Failed, Inconclusive, Successful, Errors int
	IV                                       intervalState
}

// MarshalState implements engine.StatefulDetector: the measurement
// counters and the interval baseline.
func (d *argoDetector) MarshalState() ([]byte, error) {
	return gobState(argoSnap{d.failed, d.inconclusive, d.successful, d.errsC, d.iv.state()})
}

// UnmarshalState implements engine.StatefulDetector.
func (d *argoDetector) UnmarshalState(b []byte) error {
	var s argoSnap
	if err := ungobState("argo", b, &s); err != nil {
		return err
	}
	d.failed, d.inconclusive, d.successful, d.errsC = s.Failed, s.Inconclusive, s.Successful, s.Errors
	d.iv.set(s.IV)
	return nil
}

type kayentaSnap struct {
	PCG       []byte
	IV        intervalState
	Ctl, Expr []float64
}

// MarshalState implements engine.StatefulDetector: the interval series
// and the state of the judge's random generator.
func (d *kayentaDetector) MarshalState() ([]byte, error) {
	p, err := d.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return gobState(kayentaSnap{PCG: p, IV: d.iv.state(), Ctl: d.ctl, Expr: d.exper})
}

// UnmarshalState implements engine.StatefulDetector.
func (d *kayentaDetector) UnmarshalState(b []byte) error {
	var s kayentaSnap
	if err := ungobState("kayenta", b, &s); err != nil {
		return err
	}
	pcg := new(rand.PCG)
	if err := pcg.UnmarshalBinary(s.PCG); err != nil {
		return fmt.Errorf("kayenta state: %w", err)
	}
	d.pcg, d.rng = pcg, rand.New(pcg)
	d.iv.set(s.IV)
	d.ctl, d.exper = s.Ctl, s.Expr
	return nil
}
