package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

// The embedded list's own promises, beyond the contract: a record is
// forgotten at its forget time, and at the bound a new one forgets the
// record closest to being forgotten.
func TestRevocationList_ForgetAndBound(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	r := store.NewRevocations(2)
	change := func(jti string, c store.TokenChange, now, forget time.Time) {
		t.Helper()
		if err := r.Change(ctx, jti, c, now, forget); err != nil {
			t.Fatalf("Change(%s): %v", jti, err)
		}
	}
	has := func(jti string) (store.TokenChange, bool) {
		t.Helper()
		c, ok, err := r.Token(ctx, jti)
		if err != nil {
			t.Fatalf("Token(%s): %v", jti, err)
		}
		return c, ok
	}
	change("a", store.TokenChange{Revoked: true}, t0, t0.Add(time.Hour))
	change("b", store.TokenChange{Expires: t0.Add(2 * time.Minute)}, t0, t0.Add(10*time.Minute))
	// A second change of b merges (revoked stays, the earlier expiry wins)
	// and moves its forget time past a's.
	change("b", store.TokenChange{Revoked: true, Expires: t0.Add(5 * time.Minute)}, t0, t0.Add(2*time.Hour))
	if c, ok := has("b"); !ok || !c.Revoked || !c.Expires.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("b = %+v, %v; want revoked, expires at +2m", c, ok)
	}
	// Full: c forgets a, now the closest to being forgotten (b was moved).
	change("c", store.TokenChange{Revoked: true}, t0, t0.Add(3*time.Hour))
	if _, ok := has("a"); ok {
		t.Fatal("a is still there after c filled the list of 2")
	}
	if _, ok := has("b"); !ok {
		t.Fatal("b was forgotten; want a (closest to being forgotten) to go")
	}
	// At b's forget time, a change forgets it.
	change("c", store.TokenChange{Revoked: true}, t0.Add(2*time.Hour), t0.Add(3*time.Hour))
	if _, ok := has("b"); ok {
		t.Fatal("b is still there after its forget time")
	}
	if n, _ := r.Len(ctx); n != 1 {
		t.Fatalf("Len = %d; want 1", n)
	}
}
