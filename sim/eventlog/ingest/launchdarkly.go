package ingest

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/guardsim/guardsim/engine"
)

// LaunchDarkly streaming Data Export: one JSON object per line, either the
// event itself or wrapped as {"project":…, "environment":…, "event":{…}}.
// feature events (flag evaluations) become exposures: flag in "key";
// without Options.Variations the exposure is unassigned and the engine
// buckets the context with the rollout's seed (an export shows the variation
// served, which does not tell the control arm from the traffic outside the
// analysis); with it, the variation index in "variation" (or its
// "variationName") is mapped to an arm; contexts in "contextKeys" (kind → key;
// a multi-context gives one exposure per kind), else "context" or the
// older "userKey". custom events become metric events: the event key in
// "key", "metricValue" (absent: 1, a conversion). creationDate is Unix
// milliseconds. Other kinds (index, identify, summary, click, pageview,
// debug) are skipped.

// ldRecord is the event object of a streaming export line.
type ldRecord struct{ m map[string]any }

func ldEvent(rec record) ldRecord {
	j, ok := rec.(jsonRecord)
	if !ok {
		return ldRecord{}
	}
	if inner, ok := j["event"].(map[string]any); ok {
		return ldRecord{inner}
	}
	return ldRecord{j}
}

func (r ldRecord) cell(key string) (cell, bool) {
	v, ok := r.m[key]
	if !ok {
		return cell{}, false
	}
	return jsonCell(v), true
}

func (r ldRecord) text(key string) string {
	c, ok := r.cell(key)
	if !ok || c.null {
		return ""
	}
	return c.String()
}

// contexts lists (kind, key) pairs of the event, sorted by kind.
func (r ldRecord) contexts() [][2]string {
	var out [][2]string
	if ck, ok := r.m["contextKeys"].(map[string]any); ok {
		for kind, key := range ck {
			if s, ok := key.(string); ok && s != "" {
				out = append(out, [2]string{kind, s})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
		return out
	}
	if c, ok := r.m["context"].(map[string]any); ok {
		kind, _ := c["kind"].(string)
		if key, ok := c["key"].(string); ok && key != "" && kind != "multi" {
			return [][2]string{{kind, key}}
		}
		if kind == "multi" {
			for k, v := range c {
				if sub, ok := v.(map[string]any); ok {
					if key, ok := sub["key"].(string); ok && key != "" {
						out = append(out, [2]string{k, key})
					}
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
			return out
		}
	}
	if k := r.text("userKey"); k != "" {
		return [][2]string{{"user", k}}
	}
	return nil
}

func (l *layout) convertLD(rec record, tp *timeParser) ([]engine.Event, skipReason, string, error) {
	ev := ldEvent(rec)
	var kind engine.EventKind
	switch ev.text("kind") {
	case "feature":
		kind = engine.KindExposure
	case "custom":
		kind = engine.KindMetric
	case "":
		return nil, keep, "kind", errors.New("no event kind")
	default:
		return nil, skipOtherKind, "", nil
	}
	tc, ok := ev.cell("creationDate")
	if !ok {
		return nil, keep, "creationDate", errors.New("missing creationDate")
	}
	t, err := parseTime(tp, tc)
	if err != nil {
		return nil, keep, "creationDate", err
	}
	if ev.text("key") == "" {
		return nil, keep, "key", fmt.Errorf("%s event without a key", ev.text("kind"))
	}
	ctxs := ev.contexts()
	if len(ctxs) == 0 {
		return nil, keep, "contextKeys", errors.New("no context key (contextKeys, context or userKey)")
	}
	base := engine.Event{Time: t, Kind: kind, Variation: engine.Unassigned}
	if kind == engine.KindMetric {
		base.Value = 1
	}
	if kind == engine.KindExposure && len(l.arms) > 0 {
		name, idx := ev.text("variationName"), ev.text("variation")
		switch {
		case name != "" && hasArm(l.arms, name):
			base.Variation = l.arms[name]
		case idx != "":
			v, err := l.variation(idx)
			if err != nil {
				return nil, keep, "variation", fmt.Errorf("flag %s: %w", ev.text("key"), err)
			}
			base.Variation = v
		default:
			return nil, keep, "variation", fmt.Errorf("feature event of flag %s without a variation", ev.text("key"))
		}
	} else if c, ok := ev.cell("metricValue"); ok && !c.null {
		v := c.num
		if !c.isNum {
			if v, err = strconv.ParseFloat(c.text, 64); err != nil {
				return nil, keep, "metricValue", fmt.Errorf("metricValue %q is not a number", c.text)
			}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, keep, "metricValue", fmt.Errorf("metricValue %v is not finite", v)
		}
		base.Value = v
	}
	out := make([]engine.Event, len(ctxs))
	for i, c := range ctxs {
		e := base
		e.ContextKind = c[0]
		e.ContextKey = c[1]
		out[i] = e
	}
	return out, keep, "", nil
}

func hasArm(m map[string]engine.Variation, k string) bool { _, ok := m[k]; return ok }
