package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener holds one connection of its own that LISTENs on the backend's
// channels and calls their handlers on each notification. When the
// connection breaks it reconnects (every half second until it can) and
// then calls the reconnect handlers: notifications sent meanwhile were
// lost, so caches are dropped and the journal follower catches up.
type listener struct {
	b    *Backend
	cfg  *pgx.ConnConfig
	isUp atomic.Bool

	mu        sync.Mutex
	handlers  map[string]func(payload string)
	reconnect []func()
	first     chan struct{} // closed when the first session listens
	firstOnce sync.Once
}

func newListener(b *Backend, cfg *pgx.ConnConfig) *listener {
	return &listener{b: b, cfg: cfg, handlers: map[string]func(string){}, first: make(chan struct{})}
}

// waitUp waits until the first session listens, at most d: a write that
// waits for every replica's confirmation needs this replica's listener
// to hear them.
func (l *listener) waitUp(d time.Duration) bool {
	select {
	case <-l.first:
		return true
	case <-time.After(d):
		return false
	}
}

func (l *listener) on(channel string, f func(string)) {
	l.mu.Lock()
	l.handlers[channel] = f
	l.mu.Unlock()
}

func (l *listener) onReconnect(f func()) {
	l.mu.Lock()
	l.reconnect = append(l.reconnect, f)
	l.mu.Unlock()
}

// up reports whether notifications are being received.
func (l *listener) up() bool { return l.isUp.Load() }

func (l *listener) run(ctx context.Context) {
	for ctx.Err() == nil {
		l.session(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// session connects, listens and dispatches until the connection fails.
//
// The session takes its application_name (by which writers that wait for
// every replica's confirmation find the replicas: see state) only once it
// listens: a session listed before its LISTEN would never see the
// notifications of writes committed meanwhile, and those writes would
// wait for its confirmation in vain.
func (l *listener) session(ctx context.Context) {
	l.mu.Lock()
	cfg := l.cfg.Copy()
	l.mu.Unlock()
	name := cfg.RuntimeParams["application_name"]
	delete(cfg.RuntimeParams, "application_name")
	c, cancel := context.WithTimeout(ctx, opTimeout)
	conn, err := pgx.ConnectConfig(c, cfg)
	cancel()
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	l.mu.Lock()
	chans := make([]string, 0, len(l.handlers))
	for ch := range l.handlers {
		chans = append(chans, ch)
	}
	l.mu.Unlock()
	for _, ch := range chans {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return
		}
	}
	if name != "" {
		if _, err := conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, name); err != nil {
			return
		}
	}
	// The reconnect handlers run before up() turns true, so that nothing
	// reads a cache through the new session before it was dropped.
	l.mu.Lock()
	rec := append([]func(){}, l.reconnect...)
	l.mu.Unlock()
	for _, f := range rec {
		f()
	}
	l.isUp.Store(true)
	defer l.isUp.Store(false)
	l.firstOnce.Do(func() { close(l.first) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		l.mu.Lock()
		h := l.handlers[n.Channel]
		l.mu.Unlock()
		if h != nil {
			h(n.Payload)
		}
	}
}
