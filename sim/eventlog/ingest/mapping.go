package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/guardsim/guardsim/engine"
)

// Fields are the event fields a column may be mapped to (guardsim's
// schema, docs/EVENTS.md).
var Fields = []string{"time", "kind", "context_kind", "context_key", "flag_key", "variation", "metric_key", "value"}

// ParseColumns parses a column mapping "time=ts,context_key=user_id,…":
// event field = column name in the files. Each field may appear once.
func ParseColumns(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		field, col, ok := strings.Cut(strings.TrimSpace(part), "=")
		field, col = strings.TrimSpace(field), strings.TrimSpace(col)
		if !ok || col == "" {
			return nil, fmt.Errorf("column mapping %q: want FIELD=COLUMN (fields: %s)", part, strings.Join(Fields, ", "))
		}
		if !slices.Contains(Fields, field) {
			return nil, fmt.Errorf("column mapping %q: unknown field %q (fields: %s)", part, field, strings.Join(Fields, ", "))
		}
		if _, dup := m[field]; dup {
			return nil, fmt.Errorf("column mapping: field %s mapped twice", field)
		}
		m[field] = col
	}
	return m, nil
}

// ParseVariations parses a variation value mapping "new=on,original=off|control":
// arm = the value (or values, separated by '|') the files use for it. Arms
// are original, new and outside (engine.ParseVariation names).
func ParseVariations(s string) (map[string]engine.Variation, error) {
	m := map[string]engine.Variation{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		arm, vals, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(vals) == "" {
			return nil, fmt.Errorf("variation mapping %q: want ARM=VALUE[|VALUE…], e.g. new=true,original=false", part)
		}
		v, err := engine.ParseVariation(strings.TrimSpace(arm))
		if err != nil || v == engine.Unassigned {
			return nil, fmt.Errorf("variation mapping %q: arm %q: want original, new or outside", part, strings.TrimSpace(arm))
		}
		for _, val := range strings.Split(vals, "|") {
			val = strings.TrimSpace(val)
			if prev, dup := m[val]; dup && prev != v {
				return nil, fmt.Errorf("variation mapping: value %q given for both %s and %s", val, prev, v)
			}
			m[val] = v
		}
	}
	return m, nil
}
