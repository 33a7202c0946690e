package stats

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math/rand/v2"
)

// State carried by engine snapshots (engine/snapshot.go): the sequential
// SRM test and the quantile samples keep unexported state, written here
// with encoding/gob.

type srmState struct {
	K, LogBF, LogM1, LogM0, P float64
	Theta, A                  []float64
	Marginals                 bool
}

// MarshalBinary writes the test's state.
func (s *SequentialSRM) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(srmState{K: s.k, LogBF: s.logBF, LogM1: s.logM1, LogM0: s.logM0, P: s.p, Theta: s.theta, A: s.a, Marginals: s.marginals})
	return b.Bytes(), err
}

// UnmarshalBinary reads a state written by MarshalBinary.
func (s *SequentialSRM) UnmarshalBinary(data []byte) error {
	var st srmState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return fmt.Errorf("sequential SRM state: %w", err)
	}
	if len(st.Theta) != len(st.A) {
		return fmt.Errorf("sequential SRM state: %d split shares but %d prior parameters", len(st.Theta), len(st.A))
	}
	*s = SequentialSRM{k: st.K, logBF: st.LogBF, logM1: st.LogM1, logM0: st.LogM0, p: st.P, theta: st.Theta, a: st.A, marginals: st.Marginals}
	return nil
}

type quantileState struct {
	Cap    int
	Seen   int64
	Vals   []float64
	Sorted int
	Seed   uint64
	PCG    []byte // the reservoir's generator, once started
}

// MarshalBinary writes the sample: kept values, counts and the state of
// its reservoir's random generator.
func (q *QuantileSample) MarshalBinary() ([]byte, error) {
	st := quantileState{Cap: q.cap, Seen: q.seen, Vals: q.vals, Sorted: q.sorted, Seed: q.seed}
	if q.pcg != nil {
		p, err := q.pcg.MarshalBinary()
		if err != nil {
			return nil, err
		}
		st.PCG = p
	}
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(st)
	return b.Bytes(), err
}

// UnmarshalBinary reads a sample written by MarshalBinary.
func (q *QuantileSample) UnmarshalBinary(data []byte) error {
	var st quantileState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return fmt.Errorf("quantile sample: %w", err)
	}
	if st.Cap <= 0 || len(st.Vals) > st.Cap || st.Sorted < 0 || st.Sorted > len(st.Vals) || st.Seen < int64(len(st.Vals)) {
		return fmt.Errorf("quantile sample: inconsistent state (cap %d, %d values, %d sorted, %d seen)", st.Cap, len(st.Vals), st.Sorted, st.Seen)
	}
	*q = QuantileSample{cap: st.Cap, seen: st.Seen, vals: st.Vals, sorted: st.Sorted, seed: st.Seed}
	if st.PCG != nil {
		q.pcg = new(rand.PCG)
		if err := q.pcg.UnmarshalBinary(st.PCG); err != nil {
			return fmt.Errorf("quantile sample: %w", err)
		}
		q.rng = rand.New(q.pcg)
	}
	return nil
}
