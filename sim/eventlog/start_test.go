package eventlog

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

func TestRolloutStartMetadata(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
	evs := []engine.Event{{Time: start.Add(time.Minute).UnixNano(), Kind: engine.KindExposure, Variation: engine.New, ContextKind: "user", ContextKey: "a"}}
	with, without := filepath.Join(dir, "with.parquet"), filepath.Join(dir, "without.parquet")
	_, err := WriteFile(context.Background(), with, Meta{FlagKey: "f", Start: start}, &engine.SliceSource{Events: evs})
	require.NoError(t, err)
	_, err = WriteFile(context.Background(), without, Meta{FlagKey: "f"}, &engine.SliceSource{Events: append([]engine.Event(nil), evs...)})
	require.NoError(t, err)

	r, err := Open(context.Background(), []string{with}, ReadOptions{})
	require.NoError(t, err)
	got, ok := r.Start()
	require.NoError(t, r.Close())
	assert.True(t, ok)
	assert.True(t, start.Equal(got), "got %v", got)

	r, err = Open(context.Background(), []string{without}, ReadOptions{})
	require.NoError(t, err)
	_, ok = r.Start()
	require.NoError(t, r.Close())
	assert.False(t, ok)
}
