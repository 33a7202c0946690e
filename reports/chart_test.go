package reports

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteDifferenceChartsExample(t *testing.T) {
	dir := os.Getenv("REPORTS_EXAMPLE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	paths, err := WriteDifferenceCharts(dir, fixtureResult())
	require.NoError(t, err)
	require.Len(t, paths, 2)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, 1080, img.Bounds().Dx())
		require.Equal(t, 540, img.Bounds().Dy())
	}
	require.Equal(t, filepath.Join(dir, "latency_ms.png"), paths[0])
	require.Equal(t, filepath.Join(dir, "checkout_conversion.png"), paths[1])
}

func TestWriteRolloutExample(t *testing.T) {
	dir := os.Getenv("REPORTS_EXAMPLE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	_, err := WriteRollout(dir, fixtureResult())
	require.NoError(t, err)
}

func TestWriteSweepExample(t *testing.T) {
	dir := os.Getenv("REPORTS_EXAMPLE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, WriteSweep(filepath.Join(dir, "sweep"), fixtureSweep()))
}
