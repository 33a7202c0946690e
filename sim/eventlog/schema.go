package eventlog

import "github.com/guardsim/guardsim/engine"

// Column names of the event schema (see docs/EVENTS.md).
const (
	ColTime        = "time"
	ColKind        = "kind"
	ColContextKind = "context_kind"
	ColContextKey  = "context_key"
	ColFlagKey     = "flag_key"
	ColVariation   = "variation"
	ColMetricKey   = "metric_key"
	ColValue       = "value"
)

// DefaultContextKind is the context kind of rows whose context_kind is
// absent, null or empty.
const DefaultContextKind = "user"

// Values of the kind column.
const (
	KindExposure = "exposure"
	KindMetric   = "metric"
)

// row is one event as the Writer lays it out. Field order is column order.
type row struct {
	Time        int64    `parquet:"time,timestamp(nanosecond:utc),delta"`
	Kind        string   `parquet:"kind,dict"`
	ContextKind string   `parquet:"context_kind,dict"`
	ContextKey  string   `parquet:"context_key"`
	FlagKey     string   `parquet:"flag_key,dict"`
	Variation   *string  `parquet:"variation,dict"`
	MetricKey   *string  `parquet:"metric_key,dict"`
	Value       *float64 `parquet:"value"`

	value float64 // storage Value points to
}

// variationNames are the strings the Writer stores, indexed by Variation
// (Unassigned is stored as null).
var variationNames = [...]string{
	engine.Original: "original",
	engine.New:      "new",
	engine.Outside:  "outside",
}
