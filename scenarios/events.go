package scenarios

import (
	"sort"
	"strings"
)

// EventsSpec is the events section of a rollout file: how a replay reads
// the user's event exports (see docs/EVENTS.md).
type EventsSpec struct {
	// Format is guardsim (default) or launchdarkly.
	Format string `yaml:"format"`
	// Columns maps event fields to the files' column names
	// (time: ts, context_key: user_id, …).
	Columns map[string]string `yaml:"columns"`
	// Variations maps arms (original, new, outside) to the value the files
	// use for them; several values are separated by '|' ("on|true").
	Variations map[string]string `yaml:"variations"`
	// TimeUnit is the unit of numeric times: s, ms, us or ns (default:
	// detected).
	TimeUnit string `yaml:"time_unit"`
}

// ColumnsString is Columns in the --columns syntax (FIELD=COLUMN,…).
func (e EventsSpec) ColumnsString() string { return joinMap(e.Columns) }

// VariationsString is Variations in the --variations syntax (ARM=VALUE,…).
func (e EventsSpec) VariationsString() string { return joinMap(e.Variations) }

func joinMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
