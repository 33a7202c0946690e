package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// PartialFormat identifies the partial-result encoding; a reader refuses
// any other.
const PartialFormat = "guardsim-sweep-partial/1"

// Shard is shard K (0-based, as Kubernetes' JOB_COMPLETION_INDEX) of N:
// replications [K·R/N, (K+1)·R/N) of every cell. Splitting replications,
// not cells, gives every shard the same mix of cheap and costly cells.
type Shard struct {
	K, N int
}

// ParseShard parses "K/N" with 0 ≤ K < N.
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(ks))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want K/N, e.g. 0/4 (K counts from 0)", s)
	}
	sh := Shard{K: k, N: n}
	return sh, sh.Validate()
}

// Validate checks 0 ≤ K < N.
func (s Shard) Validate() error {
	if s.N < 1 || s.K < 0 || s.K >= s.N {
		return fmt.Errorf("shard %d/%d: want 0 ≤ K < N (K counts from 0)", s.K, s.N)
	}
	return nil
}

// Reps returns the replications [lo, hi) of the shard out of reps.
func (s Shard) Reps(reps int) (lo, hi int) {
	return int(int64(s.K) * int64(reps) / int64(s.N)), int(int64(s.K+1) * int64(reps) / int64(s.N))
}

// Partial is the mergeable result of some shards of a sweep: the sweep's
// identity and, per cell, a Tally of the replications those shards ran.
type Partial struct {
	Format   string   `json:"format"`
	Scenario string   `json:"scenario"`
	Fidelity Fidelity `json:"fidelity"`
	Seed     uint64   `json:"seed"`
	// Reps is the number of replications per cell of the whole sweep.
	Reps int    `json:"reps"`
	Grid string `json:"grid"`
	// Fingerprint is a SHA-256 over every cell's policy and model: two
	// partials merge only when they come from the same sweep.
	Fingerprint string `json:"fingerprint"`
	// Shards is N; Done lists the shards included, in increasing order.
	Shards int           `json:"shards"`
	Done   []int         `json:"done"`
	Cells  []PartialCell `json:"cells"`
}

// PartialCell is one cell of a Partial.
type PartialCell struct {
	Params []Param `json:"params"`
	Policy string  `json:"policy"`
	Alpha  float64 `json:"alpha"`
	Effect float64 `json:"effect"`
	// Metrics are the policy's metric keys; FamilyBound and FamilyRule the
	// bound on its any-metric false-rollback rate (Cell).
	Metrics     []string `json:"metrics"`
	FamilyBound float64  `json:"family_bound"`
	FamilyRule  string   `json:"family_rule"`
	Tally       Tally    `json:"tally"`
}

// fingerprint hashes every cell's policy and model.
func fingerprint(cells []cellPlan) (string, error) {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, c := range cells {
		if err := enc.Encode(c.params); err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		if err := enc.Encode(c.pol); err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		if err := enc.Encode(c.model); err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Partial returns the partial result of shard sh with the given per-cell
// tallies (one per cell, in grid order).
func (p *Plan) Partial(sh Shard, tallies []Tally) (*Partial, error) {
	if err := sh.Validate(); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if len(tallies) != len(p.cells) {
		return nil, fmt.Errorf("sweep: %d tallies for %d cells", len(tallies), len(p.cells))
	}
	return p.partial(sh, tallies), nil
}

func (p *Plan) partial(sh Shard, tallies []Tally) *Partial {
	out := &Partial{
		Format: PartialFormat, Scenario: p.cfg.Name, Fidelity: p.cfg.Fidelity,
		Seed: p.cfg.Seed, Reps: p.cfg.Reps, Grid: p.cfg.Grid, Fingerprint: p.fingerprint,
		Shards: sh.N, Done: []int{sh.K}, Cells: make([]PartialCell, len(p.cells)),
	}
	for i, c := range p.cells {
		params := c.params
		if params == nil {
			params = []Param{}
		}
		keys := make([]string, len(c.pol.Metrics))
		for m, mt := range c.pol.Metrics {
			keys[m] = mt.Key
		}
		bound, rule := familyBound(c.pol.OverallAlpha, c.pol.MetricAlpha(), len(keys))
		out.Cells[i] = PartialCell{Params: params, Policy: PolicyLabel(c.params), Alpha: c.pol.MetricAlpha(), Effect: c.effect,
			Metrics: keys, FamilyBound: bound, FamilyRule: rule, Tally: tallies[i]}
		if out.Cells[i].Tally.Detect == nil {
			out.Cells[i].Tally.Detect = []TimeCount{}
		}
	}
	return out
}

// ErrPartial is wrapped by every error about partials that do not fit
// together or are malformed.
var ErrPartial = errors.New("sweep partial")

// MergePartials merges partials of one sweep covering distinct shards. The
// merge is exact, associative and commutative: any grouping and order of
// the same shards gives the same Partial.
func MergePartials(parts ...*Partial) (*Partial, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrPartial)
	}
	first := parts[0]
	out := &Partial{
		Format: first.Format, Scenario: first.Scenario, Fidelity: first.Fidelity, Seed: first.Seed,
		Reps: first.Reps, Grid: first.Grid, Fingerprint: first.Fingerprint, Shards: first.Shards,
		Cells: make([]PartialCell, len(first.Cells)),
	}
	for i, c := range first.Cells {
		out.Cells[i] = PartialCell{Params: c.Params, Policy: c.Policy, Alpha: c.Alpha, Effect: c.Effect,
			Metrics: c.Metrics, FamilyBound: c.FamilyBound, FamilyRule: c.FamilyRule, Tally: Tally{Detect: []TimeCount{}}}
	}
	owner := map[int]int{}
	for pi, p := range parts {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("part %d: %w", pi+1, err)
		}
		if err := sameSweep(first, p); err != nil {
			return nil, fmt.Errorf("%w: part %d is not of the same sweep as part 1: %v", ErrPartial, pi+1, err)
		}
		for _, k := range p.Done {
			if prev, dup := owner[k]; dup {
				return nil, fmt.Errorf("%w: shard %d/%d is in part %d and part %d", ErrPartial, k, p.Shards, prev+1, pi+1)
			}
			owner[k] = pi
			out.Done = append(out.Done, k)
		}
		for i := range out.Cells {
			out.Cells[i].Tally.Merge(p.Cells[i].Tally)
		}
	}
	slices.Sort(out.Done)
	return out, nil
}

// sameSweep reports how b differs from a in identity or cells.
func sameSweep(a, b *Partial) error {
	switch {
	case a.Fingerprint != b.Fingerprint:
		return fmt.Errorf("scenario, grid or policy differ (fingerprint %.12s… vs %.12s…)", a.Fingerprint, b.Fingerprint)
	case a.Scenario != b.Scenario:
		return fmt.Errorf("scenario %q vs %q", a.Scenario, b.Scenario)
	case a.Fidelity != b.Fidelity:
		return fmt.Errorf("fidelity %s vs %s", a.Fidelity, b.Fidelity)
	case a.Seed != b.Seed:
		return fmt.Errorf("seed %d vs %d", a.Seed, b.Seed)
	case a.Reps != b.Reps:
		return fmt.Errorf("reps %d vs %d", a.Reps, b.Reps)
	case a.Grid != b.Grid:
		return fmt.Errorf("grid %q vs %q", a.Grid, b.Grid)
	case a.Shards != b.Shards:
		return fmt.Errorf("%d shards vs %d", a.Shards, b.Shards)
	case len(a.Cells) != len(b.Cells):
		return fmt.Errorf("%d cells vs %d", len(a.Cells), len(b.Cells))
	}
	for i := range a.Cells {
		x, y := a.Cells[i], b.Cells[i]
		if x.Policy != y.Policy || x.Alpha != y.Alpha || x.Effect != y.Effect || !slices.Equal(x.Params, y.Params) ||
			!slices.Equal(x.Metrics, y.Metrics) || x.FamilyBound != y.FamilyBound || x.FamilyRule != y.FamilyRule {
			return fmt.Errorf("cell %d differs", i+1)
		}
	}
	return nil
}

// Validate checks a partial's format, shards and tallies.
func (p *Partial) Validate() error {
	if p.Format != PartialFormat {
		return fmt.Errorf("%w: format %q, want %q", ErrPartial, p.Format, PartialFormat)
	}
	if p.Shards < 1 || p.Reps < 1 {
		return fmt.Errorf("%w: %d shards of %d reps", ErrPartial, p.Shards, p.Reps)
	}
	if len(p.Done) == 0 {
		return fmt.Errorf("%w: no shards", ErrPartial)
	}
	want := int64(0)
	for i, k := range p.Done {
		if k < 0 || k >= p.Shards || (i > 0 && k <= p.Done[i-1]) {
			return fmt.Errorf("%w: shard list %v is not increasing within 0..%d", ErrPartial, p.Done, p.Shards-1)
		}
		lo, hi := Shard{K: k, N: p.Shards}.Reps(p.Reps)
		want += int64(hi - lo)
	}
	if len(p.Cells) == 0 {
		return fmt.Errorf("%w: no cells", ErrPartial)
	}
	for i := range p.Cells {
		t := &p.Cells[i].Tally
		if err := t.Validate(); err != nil {
			return fmt.Errorf("%w: cell %d: %v", ErrPartial, i+1, err)
		}
		if t.Reps != want {
			return fmt.Errorf("%w: cell %d has %d replications, shards %v of %d reps have %d", ErrPartial, i+1, t.Reps, p.Done, p.Reps, want)
		}
	}
	return nil
}

// Complete reports whether every shard is included.
func (p *Partial) Complete() bool { return len(p.Done) == p.Shards }

// Result is the sweep result of a complete partial (every shard merged).
func (p *Partial) Result() (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !p.Complete() {
		var missing []string
		for k := 0; k < p.Shards; k++ {
			if !slices.Contains(p.Done, k) {
				missing = append(missing, strconv.Itoa(k))
			}
		}
		return nil, fmt.Errorf("%w: shards %s of %d are missing", ErrPartial, strings.Join(missing, ", "), p.Shards)
	}
	res := &Result{Scenario: p.Scenario, Fidelity: p.Fidelity, Seed: p.Seed, Reps: p.Reps, Grid: p.Grid, Cells: make([]Cell, len(p.Cells))}
	for i, c := range p.Cells {
		res.Cells[i] = c.Tally.cell(Cell{Params: c.Params, Policy: c.Policy, Alpha: c.Alpha, Effect: c.Effect,
			FamilyBound: c.FamilyBound, FamilyRule: c.FamilyRule}, c.Metrics)
	}
	return res, nil
}

// EncodePartial writes p as indented JSON.
func EncodePartial(w io.Writer, p *Partial) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("encode sweep partial: %w", err)
	}
	return nil
}

// DecodePartial reads and validates a partial written by EncodePartial;
// unknown fields are errors.
func DecodePartial(r io.Reader) (*Partial, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Partial
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPartial, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// PartialFile is the file name `guardsim sweep --shard` writes a partial to.
const PartialFile = "sweep-partial.json"
