package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/guardsim/guardsim/engine/schedule"
)

// JSON form of the engine's results (timeline.json, summary.json; schema in
// docs/OUTPUTS.md): durations are numbers of seconds and enumerations are
// their names, so the files read without knowing Go's conventions.

func parseName[T ~uint8 | ~int8](b []byte, what string, values ...T) (T, error) {
	for _, v := range values {
		if fmt.Sprint(v) == string(b) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, b)
}

// MarshalText writes the kind's name (binary, numeric).
func (k MetricKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (k *MetricKind) UnmarshalText(b []byte) (err error) {
	*k, err = parseName(b, "metric kind", Binary, Numeric)
	return err
}

// MarshalText writes the aggregation's name (mean, sum).
func (a Aggregation) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (a *Aggregation) UnmarshalText(b []byte) (err error) {
	*a, err = parseName(b, "aggregation", Mean, Sum)
	return err
}

// MarshalText writes the direction's name (lower_is_better, higher_is_better).
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (d *Direction) UnmarshalText(b []byte) (err error) {
	*d, err = parseName(b, "direction", LowerIsBetter, HigherIsBetter)
	return err
}

// MarshalText writes the action's name (rollback, hold).
func (a InsufficientAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (a *InsufficientAction) UnmarshalText(b []byte) (err error) {
	*a, err = ParseInsufficientAction(string(b))
	return err
}

// MarshalJSON writes the policy with its durations in seconds.
func (p Policy) MarshalJSON() ([]byte, error) {
	type plain Policy
	return json.Marshal(struct {
		plain
		CheckInterval schedule.Seconds `json:"check_interval"`
		Extension     schedule.Seconds `json:"extension"`
	}{plain(p), schedule.Seconds(p.CheckInterval), schedule.Seconds(p.Extension)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Policy) UnmarshalJSON(b []byte) error {
	type plain Policy
	aux := struct {
		*plain
		CheckInterval schedule.Seconds `json:"check_interval"`
		Extension     schedule.Seconds `json:"extension"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	p.CheckInterval, p.Extension = time.Duration(aux.CheckInterval), time.Duration(aux.Extension)
	return nil
}

// MarshalJSON writes the check with its elapsed time in seconds.
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	return json.Marshal(struct {
		plain
		Elapsed schedule.Seconds `json:"elapsed"`
	}{plain(c), schedule.Seconds(c.Elapsed)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Check) UnmarshalJSON(b []byte) error {
	type plain Check
	aux := struct {
		*plain
		Elapsed schedule.Seconds `json:"elapsed"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	c.Elapsed = time.Duration(aux.Elapsed)
	return nil
}

// MarshalJSON writes the outcome with its elapsed time in seconds.
func (o Outcome) MarshalJSON() ([]byte, error) {
	type plain Outcome
	return json.Marshal(struct {
		plain
		Elapsed schedule.Seconds `json:"elapsed"`
	}{plain(o), schedule.Seconds(o.Elapsed)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *Outcome) UnmarshalJSON(b []byte) error {
	type plain Outcome
	aux := struct {
		*plain
		Elapsed schedule.Seconds `json:"elapsed"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	o.Elapsed = time.Duration(aux.Elapsed)
	return nil
}
