// Package postgres is flamock's PostgreSQL backend of package store: every
// replica of a shared sandbox opens the same database and behaves as one
// server. It is the only package of flamock that imports a database client
// (github.com/jackc/pgx/v5).
//
// Importing the package registers it under the URL schemes "postgres" and
// "postgresql", so store.Open("postgres://user@host/db", ...) opens it.
// The URL is pgx's (libpq's) connection string; the password, if any,
// should come from PGPASSWORD or a password file rather than the URL.
//
// At open the schema is created or migrated (versioned, under an advisory
// lock, so replicas starting together migrate once) and a connection pool
// is made. What each part guarantees, and how:
//
//   - Resources: one row per resource holding exactly the bytes the
//     embedded store keeps. Writes are queued and committed in batches
//     (like the embedded group commit): a Put returns nil only after the
//     transaction holding it committed.
//   - Replay: INSERT ... ON CONFLICT refuses a duplicate (client, jti)
//     atomically across replicas; rows are purged after their expiry. The
//     insert commits without waiting for its WAL flush (the embedded cache
//     is memory only: a PostgreSQL crash may forget the last fraction of a
//     second of jti, a restart of the embedded one forgets all).
//   - Revocations and watermarks, and Faults: tables cached in each
//     replica's memory, so the checks of an API call make no round trip
//     while nothing changed. Their changes go through the run-time
//     state's protocol (a notification that every listening replica
//     confirms before the change returns), so a change acknowledged on
//     one replica is seen by every later check on every replica; while a
//     replica's listener is down its checks read the tables. A request of
//     a fault is taken by an UPDATE that decrements its count only while
//     it is positive, so of concurrent takers on any replicas exactly
//     Count succeed.
//   - Journal: one table; an event gets its sequence number when stored,
//     in commit order across replicas (appends are serialised by an
//     advisory lock), and every replica follows the table live.
//   - Shared keys (SharedKey): the access-token signing key, created once
//     by the first replica and read by the others.
//
// When PostgreSQL cannot be reached every call answers an error matching
// store.ErrUnavailable with a retry hint, Status reports the problem (the
// health report says DEGRADED), and service resumes by itself when the
// database is back: the pool reconnects, queued journal events are
// written, the listener resubscribes.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5/pgxpool"
)

func init() {
	store.Register("postgres", driver{})
	store.Register("postgresql", driver{})
}

type driver struct{}

func (driver) Open(ctx context.Context, dsn string, opts store.Options) (store.Backend, error) {
	return Open(ctx, dsn, opts)
}

// Backend is a store.Backend on one PostgreSQL database.
type Backend struct {
	pool   *pgxpool.Pool // synchronous_commit on: resources, faults, state
	fast   *pgxpool.Pool // synchronous_commit off: jti, journal (see the package documentation)
	opts   store.Options
	health *health
	listen *listener

	resources   *resources
	replay      *replay
	revocations *revocations
	faults      *faults
	state       *state
	journal     *journalStore

	closeOnce sync.Once
	stop      context.CancelFunc
	wg        sync.WaitGroup
}

// opTimeout bounds one database call, so a request never hangs on a
// database that stopped answering.
const opTimeout = 5 * time.Second

// Open connects to the database at dsn, creates or migrates the schema and
// starts the background work (batch committers, journal writer and
// follower, listener, purge).
func Open(ctx context.Context, dsn string, opts store.Options) (*Backend, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b, pc, err := connect(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	b.listen = newListener(b, pc.ConnConfig.Copy())
	b.resources = newResources(b)
	b.replay = newReplay(b)
	b.state = newState(b)
	b.revocations = newRevocations(b)
	b.faults = newFaults(b)
	b.journal = newJournal(b)
	if b.journal.last, err = b.journal.position(ctx); err != nil {
		b.pool.Close()
		b.fast.Close()
		return nil, fmt.Errorf("PostgreSQL store at %s: %w", redact(dsn), err)
	}
	b.listen.on(chanJournal, b.journal.notified)
	b.listen.onReconnect(func() { b.journal.notified("") })
	bg, stop := context.WithCancel(context.Background())
	b.stop = stop
	b.run(bg, b.listen.run)
	b.run(bg, b.resources.run)
	for range readers {
		b.run(bg, b.resources.readLoop)
	}
	b.run(bg, b.replay.run)
	b.run(bg, b.journal.writeLoop)
	b.run(bg, b.journal.followLoop)
	b.run(bg, b.purgeLoop)
	if !b.listen.waitUp(opTimeout) { // it keeps trying in the background
		opts.Logger.Warn("postgres store: not listening for other replicas' changes yet; caches are read through until it is")
	}
	return b, nil
}

// connect makes the two pools and migrates the schema.
func connect(ctx context.Context, dsn string, opts store.Options) (*Backend, *pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("store URL %s: %w", redact(dsn), err)
	}
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > 2*time.Second {
		pc.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	if pc.MaxConns < 16 {
		pc.MaxConns = 16
	}
	pc.HealthCheckPeriod = time.Second
	fc := pc.Copy()
	fc.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	fc.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, fmt.Errorf("store URL %s: %w", redact(dsn), err)
	}
	fast, err := pgxpool.NewWithConfig(ctx, fc)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("store URL %s: %w", redact(dsn), err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		fast.Close()
		return nil, nil, fmt.Errorf("PostgreSQL store at %s: %w", redact(dsn), err)
	}
	return &Backend{pool: pool, fast: fast, opts: opts, health: &health{}}, pc, nil
}

func (b *Backend) run(ctx context.Context, f func(context.Context)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f(ctx)
	}()
}

// Resources returns the resource store.
func (b *Backend) Resources() store.Resources { return b.resources }

// Replay returns the jti replay cache.
func (b *Backend) Replay() store.Replay { return b.replay }

// Revocations returns the access-token revocations and watermarks.
func (b *Backend) Revocations() store.Revocations { return b.revocations }

// Faults returns the queue of planted faults.
func (b *Backend) Faults() store.Faults { return b.faults }

// State returns the run-time admin state.
func (b *Backend) State() store.State { return b.state }

// Journal returns the shared journal.
func (b *Backend) Journal() store.Journal { return b.journal }

// Close writes what is queued (as far as the database takes it within a
// few seconds), stops the background work and closes the pool.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.resources.close()
		b.journal.close()
		b.stop()
		b.wg.Wait()
		b.pool.Close()
		b.fast.Close()
	})
	return nil
}

// ctx is the context of one database call.
func (b *Backend) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, opTimeout)
}

// failed turns a database error into a store error: ErrUnavailable with a
// retry hint, the cause in words. It records the problem for the health
// report. A nil err records a success.
func (b *Backend) failed(what string, err error) error {
	if err == nil {
		b.health.ok()
		return nil
	}
	if errors.Is(err, store.ErrClosed) {
		return err
	}
	b.health.fail(what, err, b.opts.Now())
	return &store.UnavailableError{Backend: "postgres", RetryAfter: retryAfter, Err: fmt.Errorf("%s: %w", what, plain(err))}
}

// retryAfter is the retry hint given to clients while the database is
// unavailable: a restart of PostgreSQL takes about a second.
const retryAfter = time.Second

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "(a connection string)"
}
