package ingest_test

import (
	"context"
	"fmt"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim/eventlog/ingest"
)

// Read a LaunchDarkly warehouse export (hive-partitioned Parquet) for a
// flag and its metrics.
func ExampleOpen() {
	src, err := ingest.Open(context.Background(), []string{"../../../testdata/launchdarkly/warehouse"}, ingest.Options{
		Format:     ingest.LaunchDarkly,
		FlagKey:    "new-checkout",
		MetricKeys: []string{"checkout-latency", "purchase"},
	})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	buf := make([]engine.Event, 1)
	if _, err := src.Read(context.Background(), buf); err != nil {
		panic(err)
	}
	st := src.Stats()
	fmt.Println(len(src.Files()), "files,", st.Events, "events")
	fmt.Println(buf[0].Kind, buf[0].ContextKey, buf[0].Variation)
	// Output:
	// 2 files, 4974 events
	// exposure user-0 unassigned
}
