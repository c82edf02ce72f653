package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

// The embedded cache's own promises, beyond the contract: full, it refuses
// (never forgets an assertion that could still be replayed) and says when
// the first entry expires; at that time there is room again.
func TestReplayCache_Bound(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	c := store.NewReplay(2)
	for _, a := range []struct {
		jti     string
		expires time.Duration
	}{{"late", 10 * time.Minute}, {"early", 5 * time.Minute}} {
		if err := c.Add(ctx, "client", a.jti, t0, t0.Add(a.expires)); err != nil {
			t.Fatalf("Add(%s): %v", a.jti, err)
		}
	}
	err := c.Add(ctx, "client", "third", t0, t0.Add(time.Minute))
	var ce *store.CapacityError
	if !errors.As(err, &ce) || !ce.RetryAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("Add to a full cache = %v; want a CapacityError retrying at +5m", err)
	}
	if err := c.Add(ctx, "client", "late", t0.Add(5*time.Minute), t0.Add(10*time.Minute)); !errors.Is(err, store.ErrReplayed) {
		t.Fatalf("replay of late at +5m = %v; want ErrReplayed", err)
	}
	if err := c.Add(ctx, "client", "third", t0.Add(5*time.Minute), t0.Add(6*time.Minute)); err != nil {
		t.Fatalf("Add at +5m (early expired) = %v; want room", err)
	}
	if n, _ := c.Len(ctx); n != 2 {
		t.Fatalf("Len = %d; want 2", n)
	}
}

// BenchmarkReplayAdd: one accepted assertion per op, the cache holding
// about 1000 live entries (each expires 1000 ops after it is added).
func BenchmarkReplayAdd(b *testing.B) {
	ctx := context.Background()
	c := store.NewReplay(1 << 20)
	t0 := time.Unix(1_700_000_000, 0)
	jtis := make([]string, 4096)
	for i := range jtis {
		jtis[i] = time.Duration(i).String()
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if err := c.Add(ctx, jtis[i%len(jtis)], jtis[(i/len(jtis))%len(jtis)], now, now.Add(time.Second)); err != nil {
			b.Fatal(err)
		}
	}
}
