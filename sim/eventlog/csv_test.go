package eventlog

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func TestCSVWriter(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 5, time.UTC)
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, Meta{FlagKey: "f", MetricKeys: []string{"lat", "conv"}})
	require.NoError(t, err)
	require.NoError(t, w.Write(engine.Event{Time: t0.UnixNano(), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"}))
	require.NoError(t, w.Write(engine.Event{Time: t0.UnixNano() + 1, Kind: engine.KindExposure, Variation: engine.Unassigned, ContextKind: "org", ContextKey: "b"}))
	require.NoError(t, w.Write(engine.Event{Time: t0.UnixNano() + 2, Kind: engine.KindMetric, Metric: 1, Value: 0.25, ContextKey: "a"}))
	assert.Error(t, w.Write(engine.Event{Kind: engine.KindMetric, Metric: 7}), "unknown metric index")
	require.NoError(t, w.Close())
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		CSVHeader,
		{"2026-01-05T00:00:00.000000005Z", "exposure", "user", "a", "f", "new", "", ""},
		{"2026-01-05T00:00:00.000000006Z", "exposure", "org", "b", "f", "", "", ""},
		{"2026-01-05T00:00:00.000000007Z", "metric", "user", "a", "f", "", "conv", "0.25"},
	}, rows)
	assert.Equal(t, int64(3), w.Count())
}
