package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// RunningMock is a Mock served over HTTP. Its Mock methods (Events,
// Incidents, Stats, WriteJSONL, …) are promoted.
type RunningMock struct {
	*Mock
	url  string
	srv  *http.Server
	done chan struct{}

	closeOnce sync.Once
	closeErr  error
	serveErr  error
}

// StartMock serves a new Mock on opts.Addr (127.0.0.1:0, a free loopback
// port, when empty) until Close is called or ctx is done.
func StartMock(ctx context.Context, opts MockOptions) (*RunningMock, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pagerduty mock: listening on %s: %w", addr, err)
	}
	m := NewMock(opts)
	rm := &RunningMock{
		Mock: m,
		url:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(rm.done)
		if err := rm.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			rm.serveErr = fmt.Errorf("pagerduty mock: serving: %w", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = rm.Close()
		case <-rm.done:
		}
	}()
	return rm, nil
}

// URL is the mock's base URL, e.g. http://127.0.0.1:41234: use it as
// Config.BaseURL.
func (r *RunningMock) URL() string { return r.url }

// Done is closed when the server has stopped.
func (r *RunningMock) Done() <-chan struct{} { return r.done }

// Close stops the server, letting in-flight requests finish for up to a
// second. It is safe to call more than once.
func (r *RunningMock) Close() error {
	r.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.srv.Shutdown(ctx); err != nil {
			_ = r.srv.Close()
		}
		<-r.done
		r.closeErr = errors.Join(r.serveErr, r.Mock.Err())
	})
	return r.closeErr
}
