package schedule

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Seconds is a duration written in JSON as a number of seconds (what a
// spreadsheet or pandas reads directly). It reads seconds, or a duration
// string ("90m", "2d").
type Seconds time.Duration

// MarshalJSON writes the duration in seconds.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(s).Seconds())
}

// UnmarshalJSON reads seconds or a duration string.
func (s *Seconds) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		ns := x * float64(time.Second)
		if math.IsNaN(ns) || math.Abs(ns) > math.MaxInt64 {
			return fmt.Errorf("duration %v s out of range", x)
		}
		*s = Seconds(math.Round(ns))
	case string:
		d, err := ParseDuration(x)
		if err != nil {
			return err
		}
		*s = Seconds(d)
	case nil:
		*s = 0
	default:
		return fmt.Errorf("duration %s: want seconds or a string like \"90m\"", b)
	}
	return nil
}

// MarshalJSON writes the step's duration in seconds.
func (s Step) MarshalJSON() ([]byte, error) {
	type plain Step
	return json.Marshal(struct {
		plain
		Duration Seconds `json:"duration"`
	}{plain(s), Seconds(s.Duration)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Step) UnmarshalJSON(b []byte) error {
	type plain Step
	aux := struct {
		*plain
		Duration Seconds `json:"duration"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	s.Duration = time.Duration(aux.Duration)
	return nil
}
