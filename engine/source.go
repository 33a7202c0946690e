package engine

import (
	"context"
	"io"
)

// Source yields events in non-decreasing time order, a batch at a time,
// like io.Reader: Read fills buf and returns how many events it wrote; at the
// end of the stream it returns io.EOF (possibly with n > 0).
type Source interface {
	Read(ctx context.Context, buf []Event) (n int, err error)
}

// SliceSource serves events from a slice.
type SliceSource struct {
	Events []Event
	pos    int
}

// Read implements Source.
func (s *SliceSource) Read(_ context.Context, buf []Event) (int, error) {
	if s.pos >= len(s.Events) {
		return 0, io.EOF
	}
	n := copy(buf, s.Events[s.pos:])
	s.pos += n
	return n, nil
}
