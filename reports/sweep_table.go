package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/guardsim/guardsim/sim/sweep"
)

// Sweep output file names.
const (
	SweepCSV     = "sweep.csv"
	SweepParquet = "sweep.parquet"
	PowerPNG     = "power.png"
	FPRPNG       = "fpr.png"
)

// sweepStatColumns are the per-cell statistics columns, after the policy,
// parameter, alpha and effect columns.
var sweepStatColumns = []string{
	"reps", "detections", "rate", "rate_lo", "rate_hi",
	"detect_median_h", "detect_p90_h", "new_contexts_mean",
	"srm_share", "insufficient_share", "completed_share", "exposure_median",
	"srm_share_lo", "srm_share_hi", "insufficient_share_lo", "insufficient_share_hi",
	"completed_share_lo", "completed_share_hi", "family_bound",
}

// metricStatColumns are the columns of each metric's rate, after
// sweepStatColumns, named metric_<key>_<column>.
var metricStatColumns = []string{"detections", "rate", "rate_lo", "rate_hi"}

// sweepTable is the tabular form of a sweep: one row per cell.
type sweepTable struct {
	params []string // parameter names in grid order
	// extraAlpha and extraEffect are true when alpha / effect are not grid
	// parameters and get their own column.
	extraAlpha, extraEffect bool
	// metrics are the metric keys of the per-metric columns (every cell's
	// policy has the same metrics).
	metrics []string
}

func newSweepTable(res *sweep.Result) sweepTable {
	var t sweepTable
	seen := map[string]bool{}
	for _, c := range res.Cells {
		for _, p := range c.Params {
			if p.Text != "" {
				continue // in the policy column
			}
			if !seen[p.Name] {
				seen[p.Name] = true
				t.params = append(t.params, p.Name)
			}
		}
	}
	t.extraAlpha, t.extraEffect = !seen["alpha"], !seen["effect"]
	for _, c := range res.Cells {
		for _, m := range c.Metrics {
			if !slices.Contains(t.metrics, m.Key) {
				t.metrics = append(t.metrics, m.Key)
			}
		}
	}
	return t
}

// Columns returns the column names: policy, the parameters, alpha and effect
// unless they are parameters, then sweepStatColumns.
func (t sweepTable) columns() []string {
	cols := append([]string{"policy"}, t.params...)
	if t.extraAlpha {
		cols = append(cols, "alpha")
	}
	if t.extraEffect {
		cols = append(cols, "effect")
	}
	cols = append(cols, sweepStatColumns...)
	for _, k := range t.metrics {
		for _, c := range metricStatColumns {
			cols = append(cols, "metric_"+k+"_"+c)
		}
	}
	return cols
}

// values returns a cell's numeric values after the policy column; a
// parameter the cell lacks is NaN.
func (t sweepTable) values(c sweep.Cell) []float64 {
	var vs []float64
	for _, name := range t.params {
		v := math.NaN()
		for _, p := range c.Params {
			if p.Name == name {
				v = p.Value
				break
			}
		}
		vs = append(vs, v)
	}
	if t.extraAlpha {
		vs = append(vs, c.Alpha)
	}
	if t.extraEffect {
		vs = append(vs, c.Effect)
	}
	vs = append(vs,
		float64(c.Reps), float64(c.Detections), c.Rate, c.RateLo, c.RateHi,
		c.DetectMedian.Hours(), c.DetectP90.Hours(), c.NewContextsMean,
		c.SRMShare, c.InsufficientShare, c.CompletedShare, c.ExposureMedian,
		c.SRMShareLo, c.SRMShareHi, c.InsufficientShareLo, c.InsufficientShareHi,
		c.CompletedShareLo, c.CompletedShareHi, c.FamilyBound)
	for _, k := range t.metrics {
		i := slices.IndexFunc(c.Metrics, func(m sweep.MetricRate) bool { return m.Key == k })
		if i < 0 {
			vs = append(vs, math.NaN(), math.NaN(), math.NaN(), math.NaN())
			continue
		}
		m := c.Metrics[i]
		vs = append(vs, float64(m.Detections), m.Rate, m.RateLo, m.RateHi)
	}
	return vs
}

// isIntColumn reports whether a stats column holds counts.
func isIntColumn(name string) bool {
	return name == "reps" || name == "detections" || (strings.HasPrefix(name, "metric_") && strings.HasSuffix(name, "_detections"))
}

// EncodeSweepCSV writes the cells of res as CSV with a header row. Floats
// use the shortest representation that round-trips; a missing parameter is
// an empty field.
func EncodeSweepCSV(w io.Writer, res *sweep.Result) error {
	t := newSweepTable(res)
	cols := t.columns()
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return fmt.Errorf("encode sweep csv: %w", err)
	}
	for _, c := range res.Cells {
		rec := []string{c.Policy}
		for i, v := range t.values(c) {
			name := cols[i+1]
			switch {
			case math.IsNaN(v):
				rec = append(rec, "")
			case isIntColumn(name):
				rec = append(rec, strconv.FormatInt(int64(v), 10))
			default:
				rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("encode sweep csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("encode sweep csv: %w", err)
	}
	return nil
}

// parquetName makes a column name usable as a parquet struct tag.
func parquetName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ',' || r == '"' || r == '`' || r == ' ' || r == '=' {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// EncodeSweepParquet writes the cells of res as a Parquet file with the
// same columns as the CSV, in the same order: policy as a string, reps and
// detections as int64, everything else as double (NaN for a missing
// parameter).
func EncodeSweepParquet(w io.Writer, res *sweep.Result) error {
	t := newSweepTable(res)
	cols := t.columns()
	fields := make([]reflect.StructField, len(cols))
	for i, name := range cols {
		typ := reflect.TypeFor[float64]()
		switch {
		case i == 0:
			typ = reflect.TypeFor[string]()
		case isIntColumn(name):
			typ = reflect.TypeFor[int64]()
		}
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: typ,
			Tag:  reflect.StructTag(`parquet:"` + parquetName(name) + `"`),
		}
	}
	rowType := reflect.StructOf(fields)
	schema := parquet.SchemaOf(reflect.New(rowType).Interface())
	pw := parquet.NewWriter(w, schema)
	for _, c := range res.Cells {
		row := reflect.New(rowType).Elem()
		row.Field(0).SetString(c.Policy)
		for i, v := range t.values(c) {
			f := row.Field(i + 1)
			if f.Kind() == reflect.Int64 {
				f.SetInt(int64(v))
			} else {
				f.SetFloat(v)
			}
		}
		if err := pw.Write(row.Addr().Interface()); err != nil {
			return fmt.Errorf("encode sweep parquet: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("encode sweep parquet: %w", err)
	}
	return nil
}
