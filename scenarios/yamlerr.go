package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file turns the YAML decoder's messages, which speak of Go types
// ("field check_intervall not found in type scenarios.Rollout", "cannot
// unmarshal !!str `abc` into float64"), into the vocabulary of the scenario
// file: the field's path, what it wants, and the fields it knows.

var (
	reLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reNotFound = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	reType     = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// yamlPlace is a key of the document: its dotted path and where its value is.
type yamlPlace struct {
	path      string
	keyLine   int
	valueLine int
	kind      yaml.Kind
}

// indexYAML lists every mapping key and sequence item of the document.
func indexYAML(data []byte) []yamlPlace {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	var out []yamlPlace
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				out = append(out, yamlPlace{path: p, keyLine: k.Line, valueLine: v.Line, kind: v.Kind})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				out = append(out, yamlPlace{path: p, keyLine: c.Line, valueLine: c.Line, kind: c.Kind})
				walk(c, p)
			}
		}
	}
	walk(&root, "")
	return out
}

// placeAt is the innermost key whose value starts on line (of the given
// kind unless it is 0), or with byKey whose key is on line.
func placeAt(places []yamlPlace, line int, byKey bool, kind yaml.Kind) (yamlPlace, bool) {
	var best yamlPlace
	found := false
	for _, p := range places {
		l := p.valueLine
		if byKey {
			l = p.keyLine
		}
		if l != line || (kind != 0 && p.kind != kind) {
			continue
		}
		if !found || len(p.path) > len(best.path) {
			best, found = p, true
		}
	}
	return best, found
}

// knownFields lists the YAML field names of the scenario type named
// goType (e.g. "scenarios.Rollout").
func knownFields(goType string) []string {
	var names []string
	seen := map[reflect.Type]bool{}
	var find func(t reflect.Type) bool
	find = func(t reflect.Type) bool {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return false
		}
		seen[t] = true
		if t.String() == goType {
			for i := range t.NumField() {
				tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
				if tag != "" && tag != "-" {
					names = append(names, tag)
				}
			}
			return true
		}
		for i := range t.NumField() {
			if find(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	find(reflect.TypeOf(Scenario{}))
	return names
}

// wantOf says what a Go type accepts in scenario-file words.
func wantOf(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "scenarios."):
		return "a mapping of fields"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "text"
	case goType == "time.Time":
		return "a time (RFC 3339, e.g. 2026-01-05T00:00:00Z)"
	}
	return "another kind of value"
}

// gotOf names a YAML tag in words.
func gotOf(tag, value string) string {
	kind := map[string]string{"str": "text", "int": "the whole number", "float": "the number", "bool": "", "seq": "a list", "map": "a mapping", "null": "nothing"}[tag]
	if value == "" {
		if kind == "" {
			return tag
		}
		return kind
	}
	switch tag {
	case "int", "float":
		return kind + " " + value
	case "str":
		return kind + " " + strconv.Quote(value)
	}
	if kind == "" {
		return value
	}
	return kind
}

// friendlyLine rewrites one decoder message.
func friendlyLine(msg string, places []yamlPlace) string {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	if nf := reNotFound.FindStringSubmatch(rest); nf != nil {
		where := "at the top level"
		if p, ok := placeAt(places, line, true, 0); ok {
			if i := strings.LastIndex(p.path, "."); i >= 0 {
				where = "in " + p.path[:i]
			}
		}
		s := fmt.Sprintf("line %d: unknown field %q %s", line, nf[1], where)
		if known := knownFields(nf[2]); len(known) > 0 {
			s += " (known fields: " + strings.Join(known, ", ") + ")"
		}
		return s
	}
	p, ok := placeAt(places, line, false, 0)
	if te := reType.FindStringSubmatch(rest); te != nil {
		switch te[1] {
		case "seq":
			p, ok = placeAt(places, line, false, yaml.SequenceNode)
		case "map":
			p, ok = placeAt(places, line, false, yaml.MappingNode)
		}
		field := ""
		if ok {
			field = p.path + ": "
		}
		return fmt.Sprintf("line %d: %swant %s, got %s", line, field, wantOf(te[3]), gotOf(te[1], te[2]))
	}
	if ok && !strings.HasPrefix(rest, p.path+":") {
		return fmt.Sprintf("line %d: %s: %s", line, p.path, rest)
	}
	return fmt.Sprintf("line %d: %s", line, rest)
}

// friendlyYAMLError rewrites err, a decoding error of data, in the file's
// vocabulary.
func friendlyYAMLError(data []byte, err error) error {
	places := indexYAML(data)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			msgs[i] = friendlyLine(e, places)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return errors.New(friendlyLine(err.Error(), places))
}

// checkWholeNumbers reports a fractional number given for a whole-number
// field (the decoder would silently truncate 1.5 to 1).
func checkWholeNumbers(data []byte) error {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return nil
	}
	var errs []string
	var walk func(n *yaml.Node, t reflect.Type, path string)
	walk = func(n *yaml.Node, t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				for j := range t.NumField() {
					if tag, _, _ := strings.Cut(t.Field(j).Tag.Get("yaml"), ","); tag == k.Value {
						p := k.Value
						if path != "" {
							p = path + "." + k.Value
						}
						walk(v, t.Field(j).Type, p)
					}
				}
			}
		case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
			for i, c := range n.Content {
				walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float":
			switch t.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				errs = append(errs, fmt.Sprintf("line %d: %s: want a whole number, got the number %s", n.Line, path, n.Value))
			}
		}
	}
	walk(root.Content[0], reflect.TypeOf(Scenario{}), "")
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}
