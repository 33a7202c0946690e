package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestYAMLErrorsInFileVocabulary: decoding errors name the field by its
// path in the file and say what it wants, never a Go type.
func TestYAMLErrorsInFileVocabulary(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown top-level field", "name: x\nfoo: 1\n", `line 2: unknown field "foo" at the top level (known fields: name, description, seed,`},
		{"unknown nested field", "name: x\nmetrics:\n  - key: m\n    rat: 0.1\n", `line 4: unknown field "rat" in metrics[0] (known fields: key, kind,`},
		{"text for a number", "name: x\nrollout:\n  alpha: abc\n", `line 3: rollout.alpha: want a number, got text "abc"`},
		{"list for a number", "name: x\ntraffic:\n  rate_per_hour: [1, 2]\n", `line 3: traffic.rate_per_hour: want a number, got a list`},
		{"text for a bool", "name: x\nmetrics:\n  - key: m\n    auto_rollback: maybe\n", `line 4: metrics[0].auto_rollback: want true or false, got text "maybe"`},
		{"fraction for a whole number", "name: x\nmetrics:\n  - key: m\n    events_per_exposure: 1.5\n", `line 4: metrics[0].events_per_exposure: want a whole number, got the number 1.5`},
		{"text for a whole number", "name: x\nrollout:\n  min_per_arm: lots\n", `line 3: rollout.min_per_arm: want a whole number, got text "lots"`},
		{"scalar for a list", "name: x\nrollout:\n  steps: 5\n", `line 3: rollout.steps: want a list, got the whole number 5`},
		{"bad duration in a list", "name: x\nrollout:\n  steps:\n    - percent: 5\n      duration: soon\n", `line 5: rollout.steps[0].duration: invalid duration "soon"`},
		{"syntax error", "name: x\nrollout:\n  alpha: 0.1\n   bad: 1\n", "line 4: mapping values are not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRollout([]byte(tc.yaml), "f.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "f.yaml: "+tc.want)
			msg := strings.TrimPrefix(err.Error(), "f.yaml: ")
			for _, goish := range []string{"scenarios.", "float64", "!!", "yaml:", "unmarshal"} {
				assert.NotContains(t, msg, goish)
			}
		})
	}
}
