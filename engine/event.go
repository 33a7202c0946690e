package engine

import "fmt"

// EventKind says whether an event is a flag exposure or a metric observation.
type EventKind uint8

const (
	// KindExposure is a flag evaluation served to a context.
	KindExposure EventKind = iota + 1
	// KindMetric is a metric observation (a conversion or a numeric value).
	KindMetric
)

func (k EventKind) String() string {
	switch k {
	case KindExposure:
		return "exposure"
	case KindMetric:
		return "metric"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Variation is the arm a context was served.
//
// The guarded rollout analyses two arms of equal size: the new variation and
// an equally large control share of the original variation. The rest of the
// traffic is served the original variation outside the analysis.
type Variation int8

const (
	// Unassigned means the event carries no variation: the engine buckets the
	// context itself.
	Unassigned Variation = -1
	// Original is the control arm of the analysis (served the original variation).
	Original Variation = 0
	// New is the treatment arm (served the new variation).
	New Variation = 1
	// Outside is served the original variation but is not in the analysis.
	Outside Variation = 2
)

// NumArms is the number of analysed arms (Original and New).
const NumArms = 2

func (v Variation) String() string {
	switch v {
	case Unassigned:
		return "unassigned"
	case Original:
		return "original"
	case New:
		return "new"
	case Outside:
		return "outside"
	}
	return fmt.Sprintf("Variation(%d)", int8(v))
}

// ParseVariation parses the names printed by Variation.String (and a few
// common synonyms: control, treatment, untracked).
func ParseVariation(s string) (Variation, error) {
	switch s {
	case "", "unassigned":
		return Unassigned, nil
	case "original", "control":
		return Original, nil
	case "new", "treatment":
		return New, nil
	case "outside", "untracked":
		return Outside, nil
	}
	return Unassigned, fmt.Errorf("unknown variation %q (want original, new or outside)", s)
}

// Event is the one event type that flows from every source (synthetic
// generator, Parquet replay) into the engine.
type Event struct {
	// Time is the event time in Unix nanoseconds (UTC).
	Time int64
	// Kind is exposure or metric.
	Kind EventKind
	// Variation is the arm served, for exposures; Unassigned lets the engine
	// bucket. Metric events carry no variation: they are attributed to the
	// variation of the context's first analysed exposure.
	Variation Variation
	// Metric is the index of the metric in Policy.Metrics, for metric events.
	Metric int32
	// ContextID, when non-zero, is the source's number for the context key,
	// so that the engine finds the context's state by index instead of
	// hashing the key. A source that sets it gives each key one ID and each
	// ID one key throughout the stream; dense numbers (1, 2, 3, … as keys
	// first appear) work best. Zero means no ID: the engine looks the key
	// up. Sources may mix both.
	ContextID uint32
	// Value is the metric value (1 for a conversion), for metric events.
	Value float64
	// ContextKind is the context kind ("" means "user").
	ContextKind string
	// ContextKey is the context key (or the bucketBy attribute value).
	ContextKey string
}
