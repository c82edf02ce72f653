package postgres

import (
	"context"
	"testing"

	"github.com/flamock/flamock/store"
	"github.com/flamock/flamock/store/storetest"
)

// The storage contract, on a real PostgreSQL: each subtest gets a new
// database and two replicas (two Backends, each with its pools, listener
// and follower) on it.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) []store.Backend {
		dsn := newDB(t)
		out := make([]store.Backend, 2)
		for i := range out {
			b, err := Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			out[i] = b
		}
		return out
	})
}
