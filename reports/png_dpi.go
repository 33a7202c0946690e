package reports

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
)

// withDPI returns the PNG b with a pHYs chunk saying it is dpi pixels per
// inch, so viewers show a hi-dpi chart at its intended size. image/png
// (used by gonum's vgimg) writes no pHYs chunk; the chunk is placed right
// after IHDR, as the PNG specification requires it before the image data.
func withDPI(b []byte, dpi float64) ([]byte, error) {
	const sigLen, ihdrLen = 8, 8 + 13 + 4
	if len(b) < sigLen+ihdrLen || !bytes.Equal(b[sigLen+4:sigLen+8], []byte("IHDR")) {
		return nil, errors.New("not a PNG starting with IHDR")
	}
	ppm := uint32(math.Round(dpi / 0.0254)) // pixels per metre
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	at := sigLen + ihdrLen
	out := make([]byte, 0, len(b)+len(chunk))
	out = append(out, b[:at]...)
	out = append(out, chunk...)
	return append(out, b[at:]...), nil
}
