package eventlog

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/sim"
)

var (
	replayOnce   sync.Once
	replayPath   string
	replayPolicy engine.Policy
	replayErr    error
)

// replayFile writes (once) a realistic stream: an A/A rollout over the
// default schedule at 6000 exposures an hour, a latency and a conversion
// metric, pre-assigned variations, traffic outside the analysis included.
func replayFile(b *testing.B) (string, int64, engine.Policy) {
	replayOnce.Do(func() {
		dir, err := os.MkdirTemp("", "replay-bench-")
		if err != nil {
			replayErr = err
			return
		}
		replayPath = filepath.Join(dir, "events.parquet")
		start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		replayPolicy = engine.Policy{FlagKey: "bench", Seed: 7, Steps: schedule.Default(0), MinContexts: 100,
			Metrics: []engine.Metric{
				{Key: "latency", Kind: engine.Numeric, Direction: engine.LowerIsBetter},
				{Key: "conv", Kind: engine.Binary, Direction: engine.HigherIsBetter},
			}}
		m := sim.Model{Seed: 7, Start: start, Horizon: 120*time.Hour + time.Minute,
			Traffic: sim.Traffic{RatePerHour: 6000, DailyAmplitude: 0.3, Population: 300000},
			Metrics: []sim.MetricModel{
				{Key: "latency", Distribution: sim.LogNormal, Mean: 250, SD: 100, EventsPerExposure: 1, Delay: time.Second},
				{Key: "conv", Binary: true, Rate: 0.1, Delay: 10 * time.Minute},
			}}
		f, err := os.Create(replayPath)
		if err != nil {
			replayErr = err
			return
		}
		defer f.Close()
		w, err := NewWriter(f, Meta{FlagKey: "bench", MetricKeys: []string{"latency", "conv"}, Start: start})
		if err != nil {
			replayErr = err
			return
		}
		_, replayErr = sim.Simulate(context.Background(), replayPolicy, m, engine.Options{}, func(evs []engine.Event) error {
			for i := range evs {
				if err := w.Write(evs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if replayErr == nil {
			replayErr = w.Close()
		}
	})
	if replayErr != nil {
		b.Fatal(replayErr)
	}
	fi, err := os.Stat(replayPath)
	if err != nil {
		b.Fatal(err)
	}
	return replayPath, fi.Size(), replayPolicy
}

func replayOpts() ReadOptions {
	return ReadOptions{FlagKey: "bench", MetricKeys: []string{"latency", "conv"}, SharedKeyStorage: true}
}

// BenchmarkReplay is decode + engine, what `guardsim replay` does; compare
// it with BenchmarkReplayDecodeOnly on the same file (the decoding limit).
func BenchmarkReplay(b *testing.B) {
	path, size, p := replayFile(b)
	b.SetBytes(size)
	var events int64
	start := time.Now()
	for b.Loop() {
		r, err := Open(context.Background(), []string{path}, replayOpts())
		if err != nil {
			b.Fatal(err)
		}
		t, _ := r.Start()
		res, err := engine.Run(context.Background(), r, p, engine.Options{Start: t}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		events += res.Outcome.Counters.Events
		_ = r.Close()
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkReplayDecodeOnly reads the same file without the engine.
func BenchmarkReplayDecodeOnly(b *testing.B) {
	path, size, _ := replayFile(b)
	decodeLoop(b, path, size, replayOpts())
}
