package pagerduty

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// event is a validated event, reduced to what the state machine needs.
type event struct {
	routingKey, action, dedupKey string
	summary, source, severity    string
}

// fields is a JSON object with its members undecoded.
type fields map[string]json.RawMessage

// str reads an optional string member: absent and null are "not present";
// ok is false when the member is another JSON type.
func (f fields) str(name string) (val string, present, ok bool) {
	raw, has := f[name]
	if !has || isNull(raw) {
		return "", false, true
	}
	if err := json.Unmarshal(raw, &val); err != nil {
		return "", false, false
	}
	return val, true, true
}

// obj reads an optional object member, like str.
func (f fields) obj(name string) (val fields, present, ok bool) {
	raw, has := f[name]
	if !has || isNull(raw) {
		return nil, false, true
	}
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return nil, false, false
	}
	if err := json.Unmarshal(raw, &val); err != nil {
		return nil, false, false
	}
	return val, true, true
}

// arr reads an optional array of objects, like str; ok is false when the
// member is not an array or an element is not an object.
func (f fields) arr(name string) (val []fields, present, ok bool) {
	raw, has := f[name]
	if !has || isNull(raw) {
		return nil, false, true
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, false, false
	}
	for _, e := range elems {
		var o fields
		if !bytes.HasPrefix(bytes.TrimSpace(e), []byte("{")) || json.Unmarshal(e, &o) != nil {
			return nil, true, false
		}
		val = append(val, o)
	}
	return val, true, true
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// change is a validated change event.
type change struct {
	routingKey, summary, source, timestamp string
	customDetails                          json.RawMessage
	links                                  int
}

// validateChange checks a change event (POST /v2/change/enqueue) against
// PagerDuty's contract: routing_key (32 characters) and payload.summary
// (≤ 1024 characters) required; payload.source, payload.timestamp (ISO
// 8601), payload.custom_details (object), links ({href, text}) and
// images optional. Stricter than PagerDuty on one point, to catch a
// client mixing up the two APIs: event_action and dedup_key, which change
// events do not have, are rejected.
func validateChange(body []byte) (change, int, []string) {
	if len(body) > MaxBodyBytes {
		return change{}, 0, []string{fmt.Sprintf("Event object is too large (max %d bytes)", MaxBodyBytes)}
	}
	var f fields
	if err := json.Unmarshal(body, &f); err != nil {
		if json.Valid(body) {
			return change{}, 0, []string{"Event object must be a JSON object"}
		}
		return change{}, statusUnrecognized, []string{"JSON parse error"}
	}
	if f == nil {
		return change{}, 0, []string{"Event object must be a JSON object"}
	}
	var e errs
	var c change
	c.routingKey = e.reqString(f, "routing_key", "routing_key")
	if c.routingKey != "" && utf8.RuneCountInString(c.routingKey) != RoutingKeyLen {
		e.add("Length of 'routing_key' is incorrect (should be %d characters)", RoutingKeyLen)
	}
	for _, name := range []string{"event_action", "dedup_key"} {
		if _, has := f[name]; has {
			e.add("'%s' is not a change event field (change events have no action or dedup key)", name)
		}
	}
	e.links(f, "links")
	if ls, _, ok := f.arr("links"); ok {
		c.links = len(ls)
	}
	e.images(f, "images")
	p, present, ok := f.obj("payload")
	switch {
	case !ok:
		e.add("'payload' must be an object")
	case !present:
		e.add("'payload' is missing")
	default:
		c.summary = e.reqString(p, "summary", "payload.summary")
		e.maxLen(c.summary, "payload.summary", MaxSummaryLen)
		c.source = e.optString(p, "source", "payload.source")
		c.timestamp = e.optString(p, "timestamp", "payload.timestamp")
		if c.timestamp != "" {
			if _, ok := parseTimestamp(c.timestamp); !ok {
				e.add("'payload.timestamp' is not a valid ISO 8601 timestamp")
			}
		}
		if _, _, ok := p.obj("custom_details"); !ok {
			e.add("'payload.custom_details' must be an object")
		} else {
			c.customDetails = p["custom_details"]
		}
	}
	return c, 0, e
}

// peeked is what the mock records of any event, valid or not.
type peeked struct{ routingKey, action, dedupKey, summary, severity string }

// peek extracts the recordable fields of a body, best effort.
func peek(body []byte, v Version) peeked {
	var f fields
	if json.Unmarshal(body, &f) != nil {
		return peeked{}
	}
	var p peeked
	clip := func(s string) string { return Truncate(s, 300) }
	if v == versionChange {
		p.routingKey, _, _ = f.str("routing_key")
		p.action = ActionChange
		if pl, _, _ := f.obj("payload"); pl != nil {
			p.summary, _, _ = pl.str("summary")
		}
	} else if v == V1 {
		p.routingKey, _, _ = f.str("service_key")
		p.action, _, _ = f.str("event_type")
		p.dedupKey, _, _ = f.str("incident_key")
		p.summary, _, _ = f.str("description")
	} else {
		p.routingKey, _, _ = f.str("routing_key")
		p.action, _, _ = f.str("event_action")
		p.dedupKey, _, _ = f.str("dedup_key")
		if pl, _, _ := f.obj("payload"); pl != nil {
			p.summary, _, _ = pl.str("summary")
			p.severity, _, _ = pl.str("severity")
		}
	}
	p.action, p.dedupKey, p.summary, p.severity = clip(p.action), clip(p.dedupKey), clip(p.summary), clip(p.severity)
	return p
}

// statusUnrecognized marks a body that is not a JSON object at all.
const statusUnrecognized = 1

// validate checks body against version v's rules and returns the event, or
// the list of errors (statusUnrecognized when the JSON does not parse).
// Error texts name fields, never values, so no routing key leaks into them.
func validate(body []byte, v Version) (event, int, []string) {
	if len(body) > MaxBodyBytes {
		return event{}, 0, []string{fmt.Sprintf("Event object is too large (max %d bytes)", MaxBodyBytes)}
	}
	var f fields
	if err := json.Unmarshal(body, &f); err != nil {
		if json.Valid(body) {
			return event{}, 0, []string{"Event object must be a JSON object"}
		}
		return event{}, statusUnrecognized, []string{"JSON parse error"}
	}
	if f == nil { // the body was null
		return event{}, 0, []string{"Event object must be a JSON object"}
	}
	if v == V1 {
		return validateV1(f)
	}
	return validateV2(f)
}

// errs collects validation errors.
type errs []string

func (e *errs) add(format string, args ...any) { *e = append(*e, fmt.Sprintf(format, args...)) }

// reqString checks a required non-blank string member.
func (e *errs) reqString(f fields, name, label string) string {
	s, present, ok := f.str(name)
	switch {
	case !ok:
		e.add("'%s' must be a string", label)
	case !present || strings.TrimSpace(s) == "":
		e.add("'%s' is missing or blank", label)
	}
	return s
}

// optString checks an optional string member (null allowed).
func (e *errs) optString(f fields, name, label string) string {
	s, _, ok := f.str(name)
	if !ok {
		e.add("'%s' must be a string", label)
	}
	return s
}

func (e *errs) maxLen(s, label string, n int) {
	if utf8.RuneCountInString(s) > n {
		e.add("'%s' is too long (max %d characters)", label, n)
	}
}

func (e *errs) action(f fields, name string) string {
	a := e.reqString(f, name, name)
	if a != "" && a != ActionTrigger && a != ActionAcknowledge && a != ActionResolve {
		e.add("'%s' is invalid (must be one of: trigger acknowledge resolve)", name)
	}
	return a
}

// key checks the dedup/incident key: ≤ 255 characters, required unless
// the action is trigger.
func (e *errs) key(f fields, name, action string) string {
	k, present, ok := f.str(name)
	switch {
	case !ok:
		e.add("'%s' must be a string", name)
	case (action == ActionAcknowledge || action == ActionResolve) && (!present || k == ""):
		e.add("'%s' is required for %s events", name, action)
	}
	e.maxLen(k, name, MaxDedupKeyLen)
	return k
}

func (e *errs) links(f fields, name string) {
	ls, _, ok := f.arr(name)
	if !ok {
		e.add("'%s' must be an array of objects", name)
		return
	}
	for i, l := range ls {
		e.reqString(l, "href", fmt.Sprintf("%s[%d].href", name, i))
		e.optString(l, "text", fmt.Sprintf("%s[%d].text", name, i))
	}
}

func (e *errs) images(f fields, name string) {
	is, _, ok := f.arr(name)
	if !ok {
		e.add("'%s' must be an array of objects", name)
		return
	}
	for i, im := range is {
		label := fmt.Sprintf("%s[%d]", name, i)
		e.image(im, label)
	}
}

func (e *errs) image(im fields, label string) {
	src := e.reqString(im, "src", label+".src")
	if src != "" && !strings.HasPrefix(strings.ToLower(src), "https://") {
		e.add("'%s.src' must be an HTTPS URL", label)
	}
	e.optString(im, "href", label+".href")
	e.optString(im, "alt", label+".alt")
}

func validateV2(f fields) (event, int, []string) {
	var e errs
	var ev event
	ev.routingKey = e.reqString(f, "routing_key", "routing_key")
	if ev.routingKey != "" && utf8.RuneCountInString(ev.routingKey) != RoutingKeyLen {
		e.add("Length of 'routing_key' is incorrect (should be %d characters)", RoutingKeyLen)
	}
	ev.action = e.action(f, "event_action")
	ev.dedupKey = e.key(f, "dedup_key", ev.action)
	e.optString(f, "client", "client")
	e.optString(f, "client_url", "client_url")
	e.links(f, "links")
	e.images(f, "images")
	p, present, ok := f.obj("payload")
	switch {
	case !ok:
		e.add("'payload' must be an object")
	case !present && ev.action == ActionTrigger:
		e.add("'payload' is missing")
	case present:
		ev.summary = e.reqString(p, "summary", "payload.summary")
		e.maxLen(ev.summary, "payload.summary", MaxSummaryLen)
		ev.source = e.reqString(p, "source", "payload.source")
		ev.severity = e.reqString(p, "severity", "payload.severity")
		if ev.severity != "" && !ValidSeverity(ev.severity) {
			e.add("'payload.severity' is invalid (must be one of: %s)", strings.Join(Severities, " "))
		}
		if ts, has, _ := p.str("timestamp"); has {
			if _, ok := parseTimestamp(ts); !ok {
				e.add("'payload.timestamp' is not a valid ISO 8601 timestamp")
			}
		}
		e.optString(p, "timestamp", "payload.timestamp")
		for _, name := range []string{"component", "group", "class"} {
			e.optString(p, name, "payload."+name)
		}
	}
	return ev, 0, e
}

func validateV1(f fields) (event, int, []string) {
	var e errs
	var ev event
	ev.routingKey = e.reqString(f, "service_key", "service_key")
	ev.action = e.action(f, "event_type")
	ev.dedupKey = e.key(f, "incident_key", ev.action)
	desc, present, ok := f.str("description")
	switch {
	case !ok:
		e.add("'description' must be a string")
	case ev.action == ActionTrigger && (!present || strings.TrimSpace(desc) == ""):
		e.add("'description' is missing or blank")
	}
	e.maxLen(desc, "description", MaxSummaryLen)
	ev.summary = desc
	e.optString(f, "client", "client")
	e.optString(f, "client_url", "client_url")
	if _, _, ok := f.obj("details"); !ok {
		e.add("'details' must be an object")
	}
	cs, _, ok := f.arr("contexts")
	if !ok {
		e.add("'contexts' must be an array of objects")
	}
	for i, c := range cs {
		label := fmt.Sprintf("contexts[%d]", i)
		switch t, _, _ := c.str("type"); t {
		case "link":
			e.reqString(c, "href", label+".href")
			e.optString(c, "text", label+".text")
		case "image":
			e.image(c, label)
		default:
			e.add("'%s.type' is invalid (must be one of: link image)", label)
		}
	}
	return ev, 0, e
}
