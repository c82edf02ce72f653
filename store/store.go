package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/internal/journal"
)

// Resources is the API mock's resource store: bytes under a key (the
// resource's canonical path, e.g. "/REST/x/v1/employers/123"). Keys form a
// tree by their last "/": the parent of "/a/b/c" is "/a/b".
//
// Across replicas: a write acknowledged on one replica (nil error) is seen
// by every later Get, Children and Len on every replica; a failed write is
// seen by none.
type Resources interface {
	// Get returns the bytes stored at key, exactly as they were Put (the
	// caller must not change them), and whether there were any.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Put stores body at key, byte for byte, and reports whether it
	// replaced a resource. It returns nil only once the write is durable.
	// The caller must not change body afterwards.
	Put(ctx context.Context, key string, body []byte) (replaced bool, err error)
	// Delete removes key and reports whether there was a resource; durable
	// like Put. Deleting what is not there is not an error.
	Delete(ctx context.Context, key string) (found bool, err error)
	// Children returns the keys whose parent is parent, sorted.
	Children(ctx context.Context, parent string) ([]string, error)
	// Reset removes every resource, durably.
	Reset(ctx context.Context) error
	// Len is the number of resources.
	Len(ctx context.Context) (int, error)
	// Status is what the health report shows about the store (cheap; no
	// round trip to a remote backend is needed).
	Status() Status
}

// Status describes a store part for the health report.
type Status struct {
	// Backend names the kind of store, e.g. "memory", "file", "postgres".
	Backend string
	// Problems, when not empty, make the health report DEGRADED; each is a
	// sentence for an operator, e.g. "state file: the last write failed:
	// ...".
	Problems []string
	// Detail, when not nil, is shown as it is (JSON) under the health
	// report's "state" key.
	Detail any
}

// Replay is the jti replay cache of the token endpoint.
//
// Across replicas: Add is atomic. Of any number of concurrent Adds of one
// (client, jti) on any replicas, exactly one returns nil; the others
// return ErrReplayed, until the first one's expiry has passed.
type Replay interface {
	// Add records the assertion (clientID, jti) until expires, refusing a
	// duplicate: nil when it was not recorded (or its record had expired
	// at now), ErrReplayed when it is. A cache with a bound answers a
	// *CapacityError (ErrCapacity) when full; an unreachable backend an
	// error matching ErrUnavailable. In both cases nothing was recorded
	// and the assertion must be refused, never accepted unchecked.
	Add(ctx context.Context, clientID, jti string, now, expires time.Time) error
	// Len is the number of records not yet forgotten (expired records may
	// be counted until they are purged).
	Len(ctx context.Context) (int, error)
}

// Revocations holds what the token endpoint's admin knobs changed about
// JWT access tokens already issued: watermarks ("every token issued
// before stamp") and single tokens by jti.
//
// Across replicas: a change acknowledged on one replica is seen by every
// later check on every replica. A backend may serve checks from a cache
// that it refreshes on change notifications; it documents the bound on
// staleness.
type Revocations interface {
	// Watermarks returns the current watermarks.
	Watermarks(ctx context.Context) (Watermarks, error)
	// RevokeBefore revokes every token issued before stamp. Watermarks
	// never move back: a stamp below the current one changes nothing.
	RevokeBefore(ctx context.Context, stamp int64) error
	// ExpireBefore makes every token issued before stamp expire at at
	// (or at its own exp, if sooner). Never moves back, like RevokeBefore.
	ExpireBefore(ctx context.Context, stamp int64, at time.Time) error
	// Change records a change of the single token jti, kept until forget
	// (its exp: after that the token is refused anyway); records whose
	// forget is not after now may be purged. A change merges with an
	// earlier one atomically: Revoked stays true, Expires keeps the sooner
	// (a zero Expires changes nothing).
	Change(ctx context.Context, jti string, c TokenChange, now, forget time.Time) error
	// Token returns the change recorded for jti, if any.
	Token(ctx context.Context, jti string) (TokenChange, bool, error)
	// Len is the number of single-token records not yet purged.
	Len(ctx context.Context) (int, error)
}

// Watermarks are the "every token issued before" marks, as issue stamps
// (the token endpoint's own ordering of issued tokens; 0 means none).
type Watermarks struct {
	RevokedBefore int64
	ExpiredBefore int64
	ExpiredAt     time.Time // when the tokens before ExpiredBefore expire
}

// TokenChange is what happened to one issued token.
type TokenChange struct {
	Revoked bool
	Expires time.Time // zero: not expired early
}

// Faults is the queue of planted faults of both mocks (Target says which).
//
// Across replicas: each request of a fault (Fault.Count of them) is taken
// exactly once: of concurrent Takes on any replicas that match a fault
// with n requests left, exactly n succeed. Faults are tried in the order
// they were added.
type Faults interface {
	// Add queues faults (already checked with Fault.Check) after those
	// already queued, each for its Count (zero: 1) requests.
	Add(ctx context.Context, t fault.Target, fs ...fault.Fault) error
	// Take returns the first queued fault that matches the request and
	// uses one of its requests. client is the requesting client's id when
	// it is known, "" before authentication: a fault matches only when its
	// Client equals client (so an unscoped fault is taken with client "",
	// a fault scoped to X only with client X: see fault.Fault.Client for
	// where each mock matches scoped faults).
	Take(ctx context.Context, t fault.Target, method, path, client string) (fault.Fault, bool, error)
	// List returns the queued faults that have requests left, in order.
	List(ctx context.Context, t fault.Target) ([]fault.Listed, error)
	// Clear forgets every queued fault of t.
	Clear(ctx context.Context, t fault.Target) error
	// ClearClient forgets the faults of t scoped to client (Client ==
	// client, not empty), and only those.
	ClearClient(ctx context.Context, t fault.Target, client string) error
	// Pending reports cheaply whether t may have a fault queued; false
	// means Take would find none. It lets the request path skip Take.
	Pending(t fault.Target) bool
}

// State is run-time admin state kept as opaque values under a namespace
// and a key: a profile's mandates, clients added at run time. The store
// keeps the bytes exactly; what they mean is the owner's business.
//
// Across replicas: Save, Remove and Clear acknowledged on one replica are
// seen by every later Load on every replica, and have changed Version on
// every replica before they return: a caller that keeps what Load returned
// while Version stays the same never serves a value older than an
// acknowledged write. A write whose change a replica could not be shown
// to see answers an error matching ErrUnavailable (the value may be
// stored: the caller retries).
type State interface {
	// Load returns every key and value of namespace ns (empty map: none).
	Load(ctx context.Context, ns string) (map[string][]byte, error)
	// Save stores value under (ns, key), replacing what was there.
	Save(ctx context.Context, ns, key string, value []byte) error
	// Remove deletes (ns, key) and reports whether it was there.
	Remove(ctx context.Context, ns, key string) (bool, error)
	// Clear deletes every key of ns.
	Clear(ctx context.Context, ns string) error
	// Version returns a number that changes whenever ns may have changed,
	// cheaply (no round trip to a remote backend), so that a caller may
	// keep what Load returned for as long as Version returns the same
	// number with ok true. ok false means the backend cannot vouch for it
	// now (a shared backend that is not receiving change notifications):
	// the caller must Load.
	Version(ns string) (v uint64, ok bool)
}

// Journal is the one ordered stream of events both mocks write.
// *journal.Journal (the embedded journal: memory and an optional file)
// satisfies it.
//
// Across replicas: Append gives each event a sequence number unique and
// increasing in the order the backend stored them; Events(since) and a
// subscription show every replica's events. Append never blocks a request
// on a backend failure and never fails the request: a backend that cannot
// store an event keeps it until it can, counts it in Unwritten and reports
// the cause in Err (health then says DEGRADED).
type Journal interface {
	// Append stamps e with the next sequence number (and the time, if
	// zero), stores it and hands it to subscribers; it returns the event
	// as stored.
	Append(e journal.Event) journal.Event
	// Events returns the events kept with a sequence number greater than
	// since, oldest first. When the backend cannot be read it returns
	// what it has and Err says why.
	Events(since uint64) []journal.Event
	// Subscribe follows the journal live: the channel receives every event
	// appended from now on (a reader that does not keep up misses events
	// and fills the gap with Events); stop ends the subscription and
	// closes the channel.
	Subscribe(buffer int) (events <-chan journal.Event, stop func())
	// Reset forgets the events kept for reading back; sequence numbers
	// keep growing.
	Reset()
	// Dropped is how many events were evicted from what Events returns
	// since the last Reset.
	Dropped() uint64
	// Unwritten is how many events could not be stored durably.
	Unwritten() uint64
	// Err is the last storage error, nil once storing works again.
	Err() error
}

// Backend hands out the parts of one store. Parts given to several mocks
// are shared by them; Close releases the backend after they are closed.
type Backend interface {
	Resources() Resources
	Replay() Replay
	Revocations() Revocations
	Faults() Faults
	State() State
	Journal() Journal
	// Close releases the backend (flushes, closes files or connections).
	Close() error
}

// ErrUnavailable is matched (errors.Is) by every error of a backend that
// cannot be reached or cannot commit right now. Nothing was stored; the
// caller answers 503 with a retry hint (see RetryAfter).
var ErrUnavailable = errors.New("the state store is unavailable")

// ErrReplayed is Replay.Add's answer to a jti already recorded.
var ErrReplayed = errors.New("jti already used")

// ErrCapacity is matched by a *CapacityError.
var ErrCapacity = errors.New("the replay cache is full")

// ErrClosed is the error of a write after Close.
var ErrClosed = errors.New("the store is closed")

// UnavailableError is an ErrUnavailable with its cause and a retry hint.
type UnavailableError struct {
	// Backend names the store, e.g. "postgres".
	Backend string
	// RetryAfter is how long the caller should tell its client to wait;
	// zero means the caller's default (1 s).
	RetryAfter time.Duration
	// Err is the cause, e.g. a connection error.
	Err error
}

func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("the %s state store is unavailable", e.Backend)
	}
	return fmt.Sprintf("the %s state store is unavailable: %v", e.Backend, e.Err)
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// CapacityError is a bounded Replay's answer when it is full: nothing was
// recorded, and room frees up at RetryAt (the first record's expiry).
type CapacityError struct {
	RetryAt time.Time
}

func (e *CapacityError) Error() string {
	return "the replay cache is full until " + e.RetryAt.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrCapacity) true.
func (e *CapacityError) Is(target error) bool { return target == ErrCapacity }

// DefaultRetryAfter is the retry hint of an unavailable backend that gave
// none.
const DefaultRetryAfter = time.Second

// RetryAfter reports whether err means "unavailable, try again" and how
// long to wait (DefaultRetryAfter when the error gives no hint).
func RetryAfter(err error) (time.Duration, bool) {
	if !errors.Is(err, ErrUnavailable) {
		return 0, false
	}
	var ue *UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter > 0 {
		return ue.RetryAfter, true
	}
	return DefaultRetryAfter, true
}
