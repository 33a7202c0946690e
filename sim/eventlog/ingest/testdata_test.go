package ingest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

var update = flag.Bool("update", false, "rewrite the example exports under testdata/")

const repoTestdata = "../../../testdata"

// exampleEvents are the events of the example rollout, times rounded down
// to the millisecond (LaunchDarkly's creationDate precision). withArms
// keeps the generator's variations (the CSV example); otherwise exposures
// are unassigned, as a LaunchDarkly export is read.
func exampleEvents(t testing.TB, withArms bool) (engine.Policy, []engine.Event) {
	t.Helper()
	s, err := scenarios.Load(filepath.Join(repoTestdata, "launchdarkly", "rollout.yaml"))
	require.NoError(t, err)
	s.OmitVariation = !withArms
	p, err := s.Policy()
	require.NoError(t, err)
	var evs []engine.Event
	_, err = sim.Simulate(context.Background(), p, s.Model(), engine.Options{}, func(b []engine.Event) error {
		for _, e := range b {
			e.Time -= e.Time % int64(time.Millisecond)
			e.ContextKey = strings.Clone(e.ContextKey)
			e.ContextID = 0 // the generator's own numbering; files carry keys only
			if e.Kind == engine.KindMetric {
				e.Variation = engine.Unassigned // as every reader gives them
			}
			evs = append(evs, e)
		}
		return nil
	})
	require.NoError(t, err)
	return p, evs
}

type ldEvaluation struct {
	EventID        string    `parquet:"event_id"`
	FlagKey        string    `parquet:"flag_key"`
	ContextKey     string    `parquet:"context_key"`
	ContextKind    string    `parquet:"context_kind"`
	VariationID    string    `parquet:"variation_id"`
	VariationValue string    `parquet:"variation_value"`
	ReceivedTime   time.Time `parquet:"received_time,timestamp(microsecond)"`
	EnvironmentID  string    `parquet:"environment_id"`
}

type ldMetric struct {
	EventID       string    `parquet:"event_id"`
	EventKey      string    `parquet:"event_key"`
	ContextKey    string    `parquet:"context_key"`
	ContextKind   string    `parquet:"context_kind"`
	MetricValue   *float64  `parquet:"metric_value,optional"`
	ReceivedTime  time.Time `parquet:"received_time,timestamp(microsecond)"`
	EnvironmentID string    `parquet:"environment_id"`
}

// ldVariation is what LaunchDarkly records as served: index 1 (true) for
// the new variation, 0 (false) for the original, whether in the control
// arm or outside the analysis.
func ldVariation(v engine.Variation) (int, string) {
	if v == engine.New {
		return 1, "true"
	}
	return 0, "false"
}

func writeParquet[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	require.NoError(t, err)
	w := parquet.NewGenericWriter[T](f, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("guardsim testdata", "", ""))
	_, err = w.Write(rows)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
}

// TestTestdata rewrites the example exports with -update; without it, it
// checks they are still what the example rollout generates.
func TestTestdata(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/launchdarkly and testdata/exports")
	}
	p, evs := exampleEvents(t, false)
	dir := filepath.Join(repoTestdata, "launchdarkly")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "stream")))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "warehouse")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "stream"), 0o755))
	var b strings.Builder
	evals := map[string][]ldEvaluation{}
	metrics := map[string][]ldMetric{}
	for i, e := range evs {
		ms := e.Time / int64(time.Millisecond)
		day := time.Unix(0, e.Time).UTC().Format("2006-01-02")
		id := fmt.Sprintf("%024x", i+1)
		var inner map[string]any
		if e.Kind == engine.KindExposure {
			idx, val := ldVariation(e.Variation)
			inner = map[string]any{"kind": "feature", "creationDate": ms, "contextKeys": map[string]string{"user": e.ContextKey},
				"key": p.FlagKey, "value": val == "true", "default": false, "version": 7, "variation": idx}
			evals[day] = append(evals[day], ldEvaluation{EventID: id, FlagKey: p.FlagKey, ContextKey: e.ContextKey, ContextKind: "user",
				VariationID: "var-" + strconv.Itoa(idx), VariationValue: val, ReceivedTime: time.UnixMilli(ms).UTC(), EnvironmentID: "env-production"})
		} else {
			key := p.Metrics[e.Metric].Key
			inner = map[string]any{"kind": "custom", "creationDate": ms, "contextKeys": map[string]string{"user": e.ContextKey}, "key": key}
			m := ldMetric{EventID: id, EventKey: key, ContextKey: e.ContextKey, ContextKind: "user", ReceivedTime: time.UnixMilli(ms).UTC(), EnvironmentID: "env-production"}
			if p.Metrics[e.Metric].Kind == engine.Numeric {
				inner["metricValue"] = e.Value
				v := e.Value
				m.MetricValue = &v
			}
			metrics[day] = append(metrics[day], m)
		}
		line, err := json.Marshal(map[string]any{"project": "shop", "environment": "production", "event": inner})
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stream", "events.jsonl"), []byte(b.String()), 0o644))
	for day, rows := range evals {
		writeParquet(t, filepath.Join(dir, "warehouse", "evaluation_events", "date="+day, "part-00000.parquet"), rows)
	}
	for day, rows := range metrics {
		writeParquet(t, filepath.Join(dir, "warehouse", "metric_events", "date="+day, "part-00000.parquet"), rows)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "warehouse", "_SUCCESS"), nil, 0o644))

	// A generic CSV export: other column names, epoch seconds, own arm names.
	_, armed := exampleEvents(t, true)
	arm := map[engine.Variation]string{engine.Original: "control", engine.New: "treatment", engine.Outside: "holdout", engine.Unassigned: ""}
	var c strings.Builder
	c.WriteString("ts,user_id,flag,arm,event_name,amount\n")
	for _, e := range armed {
		ts := strconv.FormatFloat(float64(e.Time)/1e9, 'f', 3, 64)
		if e.Kind == engine.KindExposure {
			fmt.Fprintf(&c, "%s,%s,%s,%s,,\n", ts, e.ContextKey, p.FlagKey, arm[e.Variation])
		} else {
			fmt.Fprintf(&c, "%s,%s,,,%s,%s\n", ts, e.ContextKey, p.Metrics[e.Metric].Key, strconv.FormatFloat(e.Value, 'g', -1, 64))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(repoTestdata, "exports", "events.csv"), []byte(c.String()), 0o644))
}
