package fleet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Label is what is known of a past rollout: whether it really was a
// regression.
type Label string

// Labels.
const (
	Unlabelled Label = ""
	Regression Label = "regression"
	Good       Label = "good"
)

// ParseLabel parses "regression" or "good" (any case; empty is unlabelled).
func ParseLabel(s string) (Label, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return Unlabelled, nil
	case "regression":
		return Regression, nil
	case "good":
		return Good, nil
	}
	return "", fmt.Errorf("label %q: want regression, good or nothing", strings.TrimSpace(s))
}

// File names of a rollout folder and of a fleet manifest.
const (
	ManifestFile = "fleet.csv"
	RolloutFile  = "rollout.yaml"
	LabelFile    = "label.txt"
	EventsName   = "events" // events.parquet, or a folder events/ of parts
)

// Entry is one past rollout of a fleet.
type Entry struct {
	// ID names the rollout (its folder name or manifest id).
	ID string `json:"id"`
	// Events are its event files or folders of parts.
	Events []string `json:"events"`
	// Rollout is its rollout (or scenario) YAML file: the recorded policy.
	Rollout string `json:"rollout"`
	Label   Label  `json:"label"`
	// Err is why the entry could not be read (it is reported and skipped).
	Err string `json:"err,omitempty"`
}

// Discover lists the rollouts of a fleet directory, sorted by ID.
//
// With a manifest dir/fleet.csv, each row is a rollout: header
// id,events,rollout[,label]; events are files or folders, several
// separated by ';'; relative paths are relative to dir.
//
// Otherwise each subfolder of dir (hidden ones skipped) is a rollout: its
// rollout.yaml, its events (events.parquet, an events/ folder of parts, or
// else every *.parquet file in the folder) and an optional label.txt
// holding "regression" or "good".
//
// A rollout whose files are missing or malformed is still listed, with Err
// set; only an unreadable directory or manifest is an error.
func Discover(dir string) ([]Entry, error) {
	f, err := os.Open(filepath.Join(dir, ManifestFile))
	if err == nil {
		defer f.Close()
		return ParseManifest(f, filepath.Join(dir, ManifestFile), func(p string) string {
			if filepath.IsAbs(p) || strings.Contains(p, "://") {
				return p
			}
			return filepath.Join(dir, p)
		})
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	var out []Entry
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		out = append(out, folderEntry(filepath.Join(dir, de.Name()), de.Name()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fleet: %s has no rollout folders and no %s", dir, ManifestFile)
	}
	return out, nil
}

func folderEntry(path, id string) Entry {
	e := Entry{ID: id, Rollout: filepath.Join(path, RolloutFile)}
	var errs []string
	if _, err := os.Stat(e.Rollout); err != nil {
		errs = append(errs, "no "+RolloutFile)
	}
	for _, cand := range []string{filepath.Join(path, EventsName+".parquet"), filepath.Join(path, EventsName)} {
		if _, err := os.Stat(cand); err == nil {
			e.Events = []string{cand}
			break
		}
	}
	if e.Events == nil {
		parts, _ := filepath.Glob(filepath.Join(path, "*.parquet"))
		sort.Strings(parts)
		e.Events = parts
	}
	if len(e.Events) == 0 {
		errs = append(errs, "no events (events.parquet, events/ or *.parquet)")
	}
	if b, err := os.ReadFile(filepath.Join(path, LabelFile)); err == nil {
		l, err := ParseLabel(string(b))
		if err != nil {
			errs = append(errs, LabelFile+": "+err.Error())
		}
		e.Label = l
	} else if !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		e.Err = path + ": " + strings.Join(errs, "; ")
	}
	return e
}

// ParseManifest reads a fleet manifest (see Discover) named name;
// resolve turns each path in it into the path to open (relative paths are
// relative to the manifest's folder; object-store URLs are kept).
func ParseManifest(r io.Reader, name string, resolve func(string) string) ([]Entry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("fleet: %s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"id", "events", "rollout"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("fleet: %s: header %v lacks column %q (want id,events,rollout[,label])", name, header, need)
		}
	}
	abs := func(p string) string {
		p = strings.TrimSpace(p)
		if p == "" {
			return p
		}
		return resolve(p)
	}
	var out []Entry
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("fleet: %s: %w", name, err)
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		e := Entry{ID: get("id"), Rollout: abs(get("rollout"))}
		var errs []string
		if e.ID == "" {
			e.ID = fmt.Sprintf("line-%d", line)
			errs = append(errs, "empty id")
		}
		if prev, dup := seen[e.ID]; dup {
			errs = append(errs, fmt.Sprintf("id %q repeats line %d", e.ID, prev))
		}
		seen[e.ID] = line
		for _, p := range strings.Split(get("events"), ";") {
			if p = abs(p); p != "" {
				e.Events = append(e.Events, p)
			}
		}
		if len(e.Events) == 0 {
			errs = append(errs, "no events")
		}
		if e.Rollout == "" {
			errs = append(errs, "no rollout file")
		}
		if l, err := ParseLabel(get("label")); err != nil {
			errs = append(errs, err.Error())
		} else {
			e.Label = l
		}
		if len(errs) > 0 {
			e.Err = fmt.Sprintf("%s line %d: %s", name, line, strings.Join(errs, "; "))
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fleet: %s lists no rollouts", name)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
