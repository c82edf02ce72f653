package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Driver opens a backend from a URL; a backend package registers one under
// its URL scheme (e.g. "postgres") in an init function.
type Driver interface {
	Open(ctx context.Context, dsn string, opts Options) (Backend, error)
}

// Options are what every backend may use; the zero value is ready.
type Options struct {
	// Logger receives the backend's warnings and errors. Nil means discard.
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes a driver available under scheme. It panics if scheme is
// registered twice or d is nil, as sql.Register does.
func Register(scheme string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d == nil {
		panic("store: Register driver is nil")
	}
	if _, dup := drivers[scheme]; dup {
		panic("store: Register called twice for scheme " + scheme)
	}
	drivers[scheme] = d
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	out := make([]string, 0, len(drivers))
	for k := range drivers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Open opens the backend named by dsn's URL scheme (e.g.
// "postgres://user@host/db"), through the driver registered for it.
func Open(ctx context.Context, dsn string, opts Options) (Backend, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("store: %q is not a store URL (want e.g. postgres://host/db)", redactDSN(dsn))
	}
	driversMu.RLock()
	d, ok := drivers[u.Scheme]
	driversMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("store: no backend for %q URLs (known: %v)", u.Scheme, Schemes())
	}
	return d.Open(ctx, dsn, opts)
}

// redactDSN hides a password in a URL for messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
