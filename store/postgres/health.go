package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// health is what the backend knows about the database's reachability,
// for the health report: the first failure of the current outage and the
// last error. Any successful call, or the ping the backend sends every
// second during an outage, ends the outage.
type health struct {
	mu    sync.Mutex
	since time.Time // zero: reachable
	last  string    // the last error, in words
	what  string    // the call that failed
}

func (h *health) fail(what string, err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.since.IsZero() {
		h.since = now
	}
	h.what, h.last = what, plain(err).Error()
}

func (h *health) ok() {
	h.mu.Lock()
	h.since = time.Time{}
	h.mu.Unlock()
}

func (h *health) down() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.since.IsZero()
}

// problem is the health report's sentence, empty while reachable.
func (h *health) problem() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.since.IsZero() {
		return ""
	}
	return fmt.Sprintf("PostgreSQL unavailable since %s (%s: %s); writes answer 503 with Retry-After until it is back",
		h.since.UTC().Format(time.RFC3339), h.what, h.last)
}

// plain says a timeout in words; other errors are kept as they are.
func plain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %v", opTimeout)
	}
	return err
}
