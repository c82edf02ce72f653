// Package store states the storage contract of flamock's mocks, the way
// database/sql states a driver's: the interfaces a backend implements,
// what each method must guarantee when several flamock processes
// (replicas) share one backend, and the errors a caller can tell apart.
//
// What a replica must share to behave as one server:
//
//   - Resources: the API mock's resources, exact bytes per key;
//   - Replay: the jti replay cache of the token endpoint (without it,
//     replay detection silently fails across replicas);
//   - Revocations: access tokens revoked or expired early, one by one or
//     by "every token issued before" watermarks;
//   - Faults: queued faults, each request of a fault taken exactly once;
//   - State: run-time admin state that a profile or the token endpoint
//     keeps as opaque values (mandates, clients added at run time);
//   - Journal: the one ordered stream of events (append, read back since a
//     sequence number, follow live).
//
// A Backend hands out all six. The embedded backend (NewEmbedded, and its
// parts NewMemory, OpenFile, NewReplay, NewRevocations, NewFaults, NewState)
// is the default of every mock: a Config field left nil means the
// embedded part, exactly as flamock worked before this package existed
// (memory, the durable append log with group commit for --state, the
// journal file). Other backends live in their own packages and register a
// Driver under a URL scheme (Register); Open chooses one by URL, the way
// sql.Open chooses a driver by name. Only a backend's own package imports
// its database client.
//
// # Errors
//
// A backend that cannot be reached answers an error that matches
// ErrUnavailable (errors.Is), preferably an *UnavailableError carrying a
// retry hint: callers answer it with 503 and Retry-After (the API) or
// 503 temporarily_unavailable (the token endpoint), never with a success
// that was not stored, and never by skipping a check (a jti that cannot be
// recorded is refused, not accepted). RetryAfter reads the hint.
//
// # Durability
//
// A write (Put, Delete, Reset, Replay.Add, a revocation, Faults.Add,
// State.Save) returns nil only once it is durable in the backend: for the
// embedded file, synced to disk; for a database, committed. A write that
// returns an error has not happened, as far as any later read on any
// replica can tell (or, for an unavailable backend whose commit outcome is
// unknown, the error says so and the caller reports 503: the client
// retries an idempotent PUT).
//
// # Conformance
//
// Package store/storetest is the executable form of this contract: every
// backend runs storetest.Run on itself.
package store
