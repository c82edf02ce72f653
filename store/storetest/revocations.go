package storetest

import (
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

// RunRevocations checks store.Revocations: watermarks that never move
// back, single-token changes that merge, all seen on every replica.
func RunRevocations(t *testing.T, open Opener) {
	t.Run("Watermarks", func(t *testing.T) { revocationsWatermarks(t, replicas(t, open)) })
	t.Run("TokenChanges", func(t *testing.T) { revocationsTokens(t, replicas(t, open)) })
}

func revocationsWatermarks(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a, z := bs[0].Revocations(), bs[len(bs)-1].Revocations()
	check := func(what string, want store.Watermarks) {
		t.Helper()
		for i, b := range bs {
			got, err := b.Revocations().Watermarks(c)
			if err != nil || got.RevokedBefore != want.RevokedBefore || got.ExpiredBefore != want.ExpiredBefore || !got.ExpiredAt.Equal(want.ExpiredAt) {
				t.Fatalf("%s: replica %d Watermarks = %+v, %v; want %+v", what, i, got, err, want)
			}
		}
	}
	check("new store", store.Watermarks{})
	stamp := base.UnixNano()
	mustDo(t, "RevokeBefore", a.RevokeBefore(c, stamp))
	check("after RevokeBefore", store.Watermarks{RevokedBefore: stamp})
	mustDo(t, "RevokeBefore an earlier stamp", z.RevokeBefore(c, stamp-5))
	check("after RevokeBefore an earlier stamp", store.Watermarks{RevokedBefore: stamp})
	at := base.Add(time.Minute)
	mustDo(t, "ExpireBefore", z.ExpireBefore(c, stamp+10, at))
	check("after ExpireBefore", store.Watermarks{RevokedBefore: stamp, ExpiredBefore: stamp + 10, ExpiredAt: at})
	mustDo(t, "ExpireBefore an earlier stamp", a.ExpireBefore(c, stamp+1, at.Add(time.Hour)))
	check("after ExpireBefore an earlier stamp", store.Watermarks{RevokedBefore: stamp, ExpiredBefore: stamp + 10, ExpiredAt: at})
	mustDo(t, "ExpireBefore a later stamp", a.ExpireBefore(c, stamp+20, at.Add(time.Second)))
	check("after ExpireBefore a later stamp", store.Watermarks{RevokedBefore: stamp, ExpiredBefore: stamp + 20, ExpiredAt: at.Add(time.Second)})
}

func revocationsTokens(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a, z := bs[0].Revocations(), bs[len(bs)-1].Revocations()
	forget := base.Add(time.Hour)
	if _, ok, err := z.Token(c, "j1"); ok || err != nil {
		t.Fatalf("Token of an unknown jti = %v, %v; want false, nil", ok, err)
	}
	early := base.Add(time.Minute)
	for _, step := range []struct {
		r    store.Revocations
		jti  string
		c    store.TokenChange
		want store.TokenChange
		what string
	}{
		{a, "j1", store.TokenChange{Expires: early}, store.TokenChange{Expires: early}, "an early expiry"},
		{z, "j1", store.TokenChange{Expires: early.Add(time.Minute)}, store.TokenChange{Expires: early}, "a later expiry keeps the sooner"},
		{a, "j1", store.TokenChange{Revoked: true}, store.TokenChange{Revoked: true, Expires: early}, "a revocation keeps the expiry"},
		{z, "j1", store.TokenChange{Expires: early.Add(-time.Second)}, store.TokenChange{Revoked: true, Expires: early.Add(-time.Second)}, "a sooner expiry; still revoked"},
		{a, "j2", store.TokenChange{Revoked: true}, store.TokenChange{Revoked: true}, "another token revoked"},
	} {
		mustDo(t, "Change: "+step.what, step.r.Change(c, step.jti, step.c, base, forget))
		for i, b := range bs {
			got, ok, err := b.Revocations().Token(c, step.jti)
			if !ok || err != nil || got.Revoked != step.want.Revoked || !got.Expires.Equal(step.want.Expires) {
				t.Fatalf("%s: replica %d Token(%s) = %+v, %v, %v; want %+v", step.what, i, step.jti, got, ok, err, step.want)
			}
		}
	}
	if n, err := a.Len(c); n != 2 || err != nil {
		t.Errorf("Len = %d, %v; want 2", n, err)
	}
}

func mustDo(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
