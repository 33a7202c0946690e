package eventlog

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Limits on what a page header may claim before parquet-go allocates
// buffers for it. Variables so that the fuzz test can lower them.
var (
	maxPageBytes  int32 = 256 << 20
	maxPageValues int32 = 1 << 27
)

const maxHeaderSize = 16 << 20

// checkRowGroup validates the metadata and the page headers of the column
// chunks the decoder is about to read, so that corrupt files give errors
// instead of huge allocations or parquet-go decoder loops.
func (d *fileDecoder) checkRowGroup(rg int, rows int64) error {
	md := d.pf.Metadata()
	if rg >= len(md.RowGroups) {
		return errors.New("row group missing from the metadata")
	}
	chunks := md.RowGroups[rg].Columns
	for _, c := range d.cols {
		if c.leaf >= len(chunks) {
			return &columnErr{c.name, errors.New("column chunk missing")}
		}
		if err := d.checkChunk(&chunks[c.leaf].MetaData, rows); err != nil {
			return &columnErr{c.name, err}
		}
	}
	return nil
}

type columnErr struct {
	column string
	err    error
}

func (e *columnErr) Error() string { return e.column + ": " + e.err.Error() }

func (d *fileDecoder) checkChunk(cm *format.ColumnMetaData, rows int64) error {
	switch cm.Codec {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Zstd, format.Brotli:
	default:
		// parquet-go's LZ4 decoder loops forever on corrupt input.
		return fmt.Errorf("compression %s not supported (use ZSTD, SNAPPY, GZIP, BROTLI or none)", cm.Codec)
	}
	start := cm.DataPageOffset
	if cm.DictionaryPageOffset > 0 {
		start = min(start, cm.DictionaryPageOffset)
	}
	size := cm.TotalCompressedSize
	if start < 4 || size < 0 || start > d.pf.Size()-8 || size > d.pf.Size()-8-start {
		return fmt.Errorf("corrupt metadata: column chunk at %d+%d outside the %d-byte file", start, size, d.pf.Size())
	}
	var proto thrift.CompactProtocol
	var window []byte
	for off := int64(0); off < size; {
		rest := size - off
		var h format.PageHeader
		n := int64(0)
		for w := min(rest, 4096); ; w = min(rest, w*8) {
			if int64(cap(window)) < w {
				window = make([]byte, w)
			}
			buf := window[:w]
			if _, err := d.f.ReadAt(buf, start+off); err != nil && err != io.EOF {
				return fmt.Errorf("reading page header: %w", err)
			}
			h = format.PageHeader{}
			r := proto.NewReaderFromBytes(buf)
			err := thrift.NewDecoder(r).Decode(&h)
			if err == nil {
				n = int64(r.BytesRead())
				break
			}
			if w == rest || w >= maxHeaderSize || !(errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
				return fmt.Errorf("corrupt page header at offset %d: %w", start+off, err)
			}
		}
		if h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > rest-n {
			return fmt.Errorf("corrupt page header at offset %d: page of %d bytes overruns the column chunk", start+off, h.CompressedPageSize)
		}
		if h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
			return fmt.Errorf("corrupt page header at offset %d: uncompressed size %d", start+off, h.UncompressedPageSize)
		}
		var nv int32
		switch {
		case h.DataPageHeader.Valid:
			nv = h.DataPageHeader.V.NumValues
		case h.DataPageHeaderV2.Valid:
			nv = h.DataPageHeaderV2.V.NumValues
		case h.DictionaryPageHeader.Valid:
			nv = h.DictionaryPageHeader.V.NumValues
		}
		if nv < 0 || nv > maxPageValues || (!h.DictionaryPageHeader.Valid && int64(nv) > rows) {
			return fmt.Errorf("corrupt page header at offset %d: %d values", start+off, nv)
		}
		off += n + int64(h.CompressedPageSize)
	}
	return nil
}
