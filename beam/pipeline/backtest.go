package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/guardsim/guardsim/reports"
	"github.com/guardsim/guardsim/sim/fleet"
)

func init() {
	register.DoFn4x1[context.Context, *sdf.LockRTracker, []byte, func(string), error](&replayFn{})
	register.DoFn3x1[context.Context, []byte, func(*string) bool, error](&writeFleetFn{})
}

// PolicyFile is a candidate policy file's name and YAML.
type PolicyFile struct {
	Path string
	Data []byte
}

// BacktestSpec is the compact description of a fleet backtest.
type BacktestSpec struct {
	Entries   []fleet.Entry
	Policies  []PolicyFile
	Tolerance time.Duration
}

// policies parses the candidate policies, after the recorded one.
func (b BacktestSpec) policies() ([]fleet.Policy, error) {
	pols := []fleet.Policy{{Name: fleet.Recorded}}
	for _, f := range b.Policies {
		p, err := fleet.ParsePolicy(f.Data, f.Path)
		if err != nil {
			return nil, err
		}
		pols = append(pols, p)
	}
	return pols, nil
}

// replayFn is a splittable DoFn over the fleet's entries: its restriction
// is a range of entry indexes, so runners split and rebalance the fleet
// (each rollout's replay is long enough to be worth it).
type replayFn struct {
	Spec BacktestSpec
	pols []fleet.Policy
}

func (fn *replayFn) Setup() error {
	p, err := fn.Spec.policies()
	fn.pols = p
	return err
}

func (fn *replayFn) CreateInitialRestriction([]byte) offsetrange.Restriction {
	return offsetrange.Restriction{Start: 0, End: int64(len(fn.Spec.Entries))}
}

func (fn *replayFn) SplitRestriction(_ []byte, rest offsetrange.Restriction) []offsetrange.Restriction {
	return rest.SizedSplits(1)
}

func (fn *replayFn) RestrictionSize(_ []byte, rest offsetrange.Restriction) float64 {
	return rest.Size()
}

func (fn *replayFn) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(offsetrange.NewTracker(rest))
}

func (fn *replayFn) ProcessElement(ctx context.Context, rt *sdf.LockRTracker, _ []byte, emit func(string)) error {
	for i := rt.GetRestriction().(offsetrange.Restriction).Start; rt.TryClaim(i); i++ {
		row := replayRemote(ctx, fn.Spec.Entries[i], fn.pols, fn.Spec.Tolerance)
		b, err := json.Marshal(row)
		if err != nil {
			return err
		}
		emit(string(b))
	}
	return nil
}

// replayRemote replays an entry, first copying object-store files to local
// temporary files for guardsim's reader.
func replayRemote(ctx context.Context, e fleet.Entry, pols []fleet.Policy, tol time.Duration) fleet.Row {
	if e.Err != "" {
		return fleet.ReplayEntry(ctx, e, pols, tol)
	}
	local := e
	local.Events = nil
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	fail := func(err error) fleet.Row {
		return fleet.Row{ID: e.ID, Label: e.Label, Err: err.Error()}
	}
	for _, ev := range e.Events {
		files, err := expandRemote(ctx, ev)
		if err != nil {
			return fail(err)
		}
		for _, f := range files {
			p, c, err := localCopy(ctx, f)
			if err != nil {
				return fail(err)
			}
			cleanups = append(cleanups, c)
			local.Events = append(local.Events, p)
		}
	}
	p, c, err := localCopy(ctx, e.Rollout)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, c)
	local.Rollout = p
	row := fleet.ReplayEntry(ctx, local, pols, tol)
	if row.Err != "" { // name the original files, not the copies
		for i, f := range local.Events {
			if f != e.Events[min(i, len(e.Events)-1)] {
				row.Err = strings.ReplaceAll(row.Err, f, "copy of remote events")
			}
		}
		row.Err = strings.ReplaceAll(row.Err, local.Rollout, e.Rollout)
	}
	return row
}

// expandRemote lists a remote folder's *.parquet objects (sorted, as the
// reader sorts a local folder's); files and local paths are returned as
// they are.
func expandRemote(ctx context.Context, p string) ([]string, error) {
	if !isRemote(p) || strings.HasSuffix(p, ".parquet") {
		return []string{p}, nil
	}
	fs, err := filesystem.New(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("guardsim-beam: %s: %w", p, err)
	}
	defer fs.Close()
	files, err := fs.List(ctx, strings.TrimSuffix(p, "/")+"/*.parquet")
	if err != nil {
		return nil, fmt.Errorf("guardsim-beam: list %s: %w", p, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("guardsim-beam: no *.parquet objects under %s", p)
	}
	return files, nil
}

// writeFleetFn summarises every row and writes the fleet report once.
type writeFleetFn struct {
	Spec BacktestSpec
	Out  string
}

func (fn *writeFleetFn) ProcessElement(ctx context.Context, _ []byte, rows func(*string) bool) error {
	pols, err := fn.Spec.policies()
	if err != nil {
		return err
	}
	var all []fleet.Row
	var s string
	for rows(&s) {
		var r fleet.Row
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return fmt.Errorf("guardsim-beam: row: %w", err)
		}
		all = append(all, r)
	}
	if len(all) != len(fn.Spec.Entries) {
		return fmt.Errorf("guardsim-beam: %d rows for %d rollouts", len(all), len(fn.Spec.Entries))
	}
	rep := fleet.Summarise(pols, all)
	return publish(ctx, fn.Out, func(dir string) error { return reports.WriteFleet(dir, rep) })
}

// Backtest adds the backtest of spec to the pipeline, writing the fleet
// report to out.
func Backtest(s beam.Scope, spec BacktestSpec, out string) error {
	if _, err := spec.policies(); err != nil {
		return err
	}
	if len(spec.Entries) == 0 {
		return fmt.Errorf("guardsim-beam: the fleet has no rollouts")
	}
	s = s.Scope("guardsim.Backtest")
	rows := beam.ParDo(s, &replayFn{Spec: spec}, beam.Impulse(s))
	beam.ParDo0(s, &writeFleetFn{Spec: spec, Out: out}, beam.Impulse(s), beam.SideInput{Input: rows})
	return nil
}

// ReadPolicies reads candidate policy files (local or object store).
func ReadPolicies(ctx context.Context, paths []string) ([]PolicyFile, error) {
	var out []PolicyFile
	for _, p := range paths {
		data, err := readAny(ctx, p)
		if err != nil {
			return nil, err
		}
		if _, err := fleet.ParsePolicy(data, p); err != nil {
			return nil, err
		}
		out = append(out, PolicyFile{Path: p, Data: data})
	}
	return out, nil
}

func readAny(ctx context.Context, p string) ([]byte, error) {
	if !isRemote(p) {
		return os.ReadFile(p)
	}
	fs, err := filesystem.New(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("guardsim-beam: %s: %w", p, err)
	}
	defer fs.Close()
	return filesystem.Read(ctx, fs, p)
}

// DiscoverFleet lists a fleet's rollouts: a local directory as
// `guardsim backtest` reads it, or an object-store fleet through its
// manifest (DIR/fleet.csv, relative paths resolved under DIR).
func DiscoverFleet(ctx context.Context, dir string) ([]fleet.Entry, error) {
	if !isRemote(dir) {
		return fleet.Discover(dir)
	}
	base := strings.TrimSuffix(dir, "/")
	name := base + "/" + fleet.ManifestFile
	data, err := readAny(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("guardsim-beam: an object-store fleet needs a manifest: %w", err)
	}
	return fleet.ParseManifest(strings.NewReader(string(data)), name, func(p string) string {
		if isRemote(p) || path.IsAbs(p) {
			return p
		}
		return base + "/" + p
	})
}
