package eventlog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// bindColumns checks the schema and binds the columns the decoder reads.
func (d *fileDecoder) bindColumns() error {
	byName := map[string]*parquet.Column{}
	for _, c := range d.pf.Root().Columns() {
		if _, dup := byName[c.Name()]; !dup {
			byName[c.Name()] = c
		}
	}
	var missing []string
	for _, name := range []string{ColTime, ColKind, ColContextKey} {
		if byName[name] == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fileError(d.path, fmt.Errorf("missing required columns: %s", strings.Join(missing, ", ")))
	}
	nchunks := len(d.pf.Metadata().Schema)
	bind := func(name string, mode numMode, check func(parquet.Kind, format.LogicalTypeValue) error) (*colReader, error) {
		c := byName[name]
		if c == nil {
			return nil, nil
		}
		if !c.Leaf() {
			return nil, columnError(d.path, name, errors.New("is a group; want a primitive column"))
		}
		if c.Repeated() {
			return nil, columnError(d.path, name, errors.New("is repeated; want a single value per row"))
		}
		if c.Index() < 0 || c.Index() >= nchunks {
			return nil, columnError(d.path, name, errors.New("bad column index"))
		}
		typ := c.Type()
		var lt format.LogicalTypeValue
		if l := typ.LogicalType(); l != nil {
			lt = l.Value
		}
		if err := check(typ.Kind(), lt); err != nil {
			return nil, columnError(d.path, name, err)
		}
		cr := &colReader{name: name, leaf: c.Index(), kind: typ.Kind(), optional: c.Optional(), mode: mode}
		d.cols = append(d.cols, cr)
		return cr, nil
	}
	var err error
	if d.time, err = bind(ColTime, numInt64, d.checkTime); err != nil {
		return err
	}
	if d.kind, err = bind(ColKind, numNone, checkString); err != nil {
		return err
	}
	if d.ckind, err = bind(ColContextKind, numNone, checkString); err != nil {
		return err
	}
	if d.ckey, err = bind(ColContextKey, numNone, checkString); err != nil {
		return err
	}
	if d.flag, err = bind(ColFlagKey, numNone, checkString); err != nil {
		return err
	}
	if c := byName[ColVariation]; c != nil && c.Leaf() && c.Type().Kind() != parquet.ByteArray {
		d.variation, err = bind(ColVariation, numInt64, checkInteger)
	} else {
		d.variation, err = bind(ColVariation, numNone, checkString)
	}
	if err != nil {
		return err
	}
	if d.metric, err = bind(ColMetricKey, numNone, checkString); err != nil {
		return err
	}
	if d.value, err = bind(ColValue, numFloat64, checkNumber); err != nil {
		return err
	}
	return nil
}

func wrongType(k parquet.Kind, lt format.LogicalTypeValue, want string) error {
	got := k.String()
	if lt != nil {
		got += " " + lt.String()
	}
	return fmt.Errorf("wrong type %s, want %s", got, want)
}

func (d *fileDecoder) checkTime(k parquet.Kind, lt format.LogicalTypeValue) error {
	const want = "TIMESTAMP(MILLIS|MICROS|NANOS), INT64 or INT96"
	switch k {
	case parquet.Int96:
		if lt != nil {
			return wrongType(k, lt, want)
		}
		d.timeMult = 1
		return nil
	case parquet.Int64:
	default:
		return wrongType(k, lt, want)
	}
	switch t := lt.(type) {
	case *format.TimestampType:
		switch t.Unit.Value.(type) {
		case *format.NanoSeconds:
			d.timeMult = 1
		case *format.MicroSeconds:
			d.timeMult = 1e3
		case *format.MilliSeconds:
			d.timeMult = 1e6
		default:
			return wrongType(k, lt, want)
		}
	case nil, *format.IntType:
		if u := d.opts.IntTimeUnit; u > 0 {
			d.timeMult = int64(u)
		} else {
			d.autoTime = true
		}
	default:
		return wrongType(k, lt, want)
	}
	return nil
}

func checkString(k parquet.Kind, lt format.LogicalTypeValue) error {
	if k != parquet.ByteArray {
		return wrongType(k, lt, "BYTE_ARRAY (string)")
	}
	switch lt.(type) {
	case nil, *format.StringType, *format.EnumType:
		return nil
	}
	return wrongType(k, lt, "BYTE_ARRAY (string)")
}

func checkInteger(k parquet.Kind, lt format.LogicalTypeValue) error {
	if k != parquet.Int32 && k != parquet.Int64 {
		return wrongType(k, lt, "BYTE_ARRAY (string), INT32 or INT64")
	}
	if _, ok := lt.(*format.IntType); !ok && lt != nil {
		return wrongType(k, lt, "BYTE_ARRAY (string), INT32 or INT64")
	}
	return nil
}

func checkNumber(k parquet.Kind, lt format.LogicalTypeValue) error {
	const want = "DOUBLE, FLOAT, INT32 or INT64"
	switch k {
	case parquet.Double, parquet.Float:
		if lt != nil {
			return wrongType(k, lt, want)
		}
		return nil
	case parquet.Int32, parquet.Int64:
		if _, ok := lt.(*format.IntType); !ok && lt != nil {
			return wrongType(k, lt, want)
		}
		return nil
	}
	return wrongType(k, lt, want)
}
