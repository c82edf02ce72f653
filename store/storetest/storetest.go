// Package storetest is the storage contract of package store as a test
// suite that any backend runs on itself:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) []store.Backend {
//			b := openMyBackendOnAFreshEmptyDatabase(t) // t.Cleanup closes it
//			return []store.Backend{b, openAnotherReplicaOnTheSameDatabase(t)}
//		})
//	}
//
// open returns one or more handles on one fresh, empty store: several when
// the backend has replicas (say two pools on one database), so that the
// cross-replica tests spread their calls over them. Each subtest calls
// open once.
//
// Times given to a backend are whole milliseconds, so a backend that keeps
// microseconds (PostgreSQL) compares equal.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

// Opener returns handles (replicas) on one fresh, empty store.
type Opener func(t *testing.T) []store.Backend

// Run runs every part of the contract.
func Run(t *testing.T, open Opener) {
	t.Run("Resources", func(t *testing.T) { RunResources(t, open) })
	t.Run("Replay", func(t *testing.T) { RunReplay(t, open) })
	t.Run("Revocations", func(t *testing.T) { RunRevocations(t, open) })
	t.Run("Faults", func(t *testing.T) { RunFaults(t, open) })
	t.Run("State", func(t *testing.T) { RunState(t, open) })
	t.Run("StateVersion", func(t *testing.T) { RunStateVersion(t, open) })
	t.Run("Journal", func(t *testing.T) { RunJournal(t, open) })
}

// replicas opens a store and checks open kept its promise.
func replicas(t *testing.T, open Opener) []store.Backend {
	t.Helper()
	bs := open(t)
	if len(bs) == 0 {
		t.Fatal("storetest: open returned no backend")
	}
	return bs
}

// base is a fixed instant, whole milliseconds, in the future of every
// test clock so nothing given to a backend is already past.
var base = time.Date(2031, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

// ctx is the context of every call; it fails a call that hangs.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// parallel runs f(i) for i in [0, n) at once and waits.
func parallel(n int, f func(i int)) {
	done := make(chan struct{})
	start := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			f(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
}
