package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

// RunReplay checks store.Replay: a duplicate jti refused, atomically,
// across replicas; per client; free again after its expiry.
func RunReplay(t *testing.T, open Opener) {
	t.Run("DuplicateRefused", func(t *testing.T) { replayDuplicate(t, replicas(t, open)) })
	t.Run("ConcurrentAddsOneWins", func(t *testing.T) { replayRace(t, replicas(t, open)) })
}

func replayDuplicate(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a, z := bs[0].Replay(), bs[len(bs)-1].Replay()
	exp := base.Add(5 * time.Minute)
	later := exp.Add(time.Millisecond)
	for _, step := range []struct {
		r            store.Replay
		client, jti  string
		now, expires time.Time
		want         error
		what         string
	}{
		{a, "c1", "j1", base, exp, nil, "a fresh jti"},
		{z, "c1", "j1", base.Add(time.Second), exp, store.ErrReplayed, "the same jti again, on another replica"},
		{a, "c1", "j1", exp.Add(-time.Millisecond), exp, store.ErrReplayed, "the same jti just before its expiry"},
		{z, "c2", "j1", base, exp, nil, "the same jti of another client"},
		{a, "c1", "j2", base, exp, nil, "another jti of the client"},
		{z, "c1", "j1", later, later.Add(5 * time.Minute), nil, "the jti after its expiry"},
		{a, "c1", "j1", later.Add(time.Millisecond), later.Add(5 * time.Minute), store.ErrReplayed, "the jti recorded again after its expiry"},
	} {
		err := step.r.Add(c, step.client, step.jti, step.now, step.expires)
		if err != step.want && !errors.Is(err, step.want) || step.want == nil && err != nil {
			t.Errorf("Add: %s = %v; want %v", step.what, err, step.want)
		}
	}
	if n, err := a.Len(c); n < 1 || err != nil {
		t.Errorf("Len = %d, %v; want at least the one record live at the last step", n, err)
	}
}

// 64 Adds of one (client, jti) at once, spread over the replicas: exactly
// one succeeds, every other is ErrReplayed.
func replayRace(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	const n = 64
	for round := range 3 {
		jti := fmt.Sprintf("race-%d", round)
		var won, replayed atomic.Int64
		var other atomic.Value
		parallel(n, func(i int) {
			switch err := bs[i%len(bs)].Replay().Add(c, "client", jti, base, base.Add(time.Minute)); {
			case err == nil:
				won.Add(1)
			case errors.Is(err, store.ErrReplayed):
				replayed.Add(1)
			default:
				other.Store(err)
			}
		})
		if won.Load() != 1 || replayed.Load() != n-1 {
			t.Fatalf("round %d: %d concurrent Adds of one jti: %d accepted, %d refused as replayed, other error %v; want 1, %d, none",
				round, n, won.Load(), replayed.Load(), other.Load(), n-1)
		}
	}
}
