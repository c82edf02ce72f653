package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/internal/pgtest"
	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// One real PostgreSQL cluster and database for the package's tests; each
// test gets a schema of its own (a new database costs a second, a schema
// a millisecond). The cluster is stopped by TestMain.
var (
	clusterOnce sync.Once
	cluster     *pgtest.Server
	clusterDSN  string
	clusterErr  error
	schemas     atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cluster != nil {
		if err := cluster.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

func newDB(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real PostgreSQL; skipped with -short")
	}
	clusterOnce.Do(func() {
		if cluster, clusterErr = pgtest.New(); clusterErr == nil {
			clusterDSN, clusterErr = cluster.NewDB()
		}
	})
	if errors.Is(clusterErr, pgtest.ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skipf("skipped: %v (in CI this is a failure)", clusterErr)
	}
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	schema := fmt.Sprintf("s%d", schemas.Add(1))
	conn, err := pgx.Connect(context.Background(), clusterDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	return clusterDSN + "&search_path=" + schema
}

// replicas opens n backends on one new database: n flamock replicas.
func replicas(t testing.TB, n int) []*Backend {
	t.Helper()
	dsn := newDB(t)
	out := make([]*Backend, n)
	for i := range out {
		b, err := Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		out[i] = b
	}
	return out
}

var bg = context.Background()

// A Put acknowledged on one replica is read byte for byte on another; a
// Delete on the second is a miss on the first; Children are sorted as Go
// sorts bytes.
func TestResourcesAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Resources(), rs[1].Resources()
	body := []byte("{\"x\":\"\u00e9\\u0000\"}\x00\xff")
	if replaced, err := a.Put(bg, "/REST/x/v1/e/1", body); err != nil || replaced {
		t.Fatalf("Put = %v, %v", replaced, err)
	}
	if replaced, err := b.Put(bg, "/REST/x/v1/e/1", body); err != nil || !replaced {
		t.Fatalf("second Put = %v, %v; want replaced", replaced, err)
	}
	got, ok, err := b.Get(bg, "/REST/x/v1/e/1")
	if err != nil || !ok || !bytes.Equal(got, body) {
		t.Fatalf("Get on the other replica = %q, %v, %v", got, ok, err)
	}
	for _, k := range []string{"/REST/x/v1/e/B", "/REST/x/v1/e/a", "/REST/x/v1/e/\xc3\xa9", "/REST/x/v1/e/1/sub"} {
		if _, err := a.Put(bg, k, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	kids, err := b.Children(bg, "/REST/x/v1/e")
	want := []string{"/REST/x/v1/e/1", "/REST/x/v1/e/B", "/REST/x/v1/e/a", "/REST/x/v1/e/\xc3\xa9"}
	if err != nil || !slices.Equal(kids, want) {
		t.Fatalf("Children = %q, %v; want %q", kids, err, want)
	}
	if n, err := a.Len(bg); err != nil || n != 5 {
		t.Fatalf("Len = %d, %v", n, err)
	}
	if found, err := b.Delete(bg, "/REST/x/v1/e/1"); err != nil || !found {
		t.Fatalf("Delete = %v, %v", found, err)
	}
	if found, err := b.Delete(bg, "/REST/x/v1/e/1"); err != nil || found {
		t.Fatalf("second Delete = %v, %v; want not found", found, err)
	}
	if _, ok, err := a.Get(bg, "/REST/x/v1/e/1"); err != nil || ok {
		t.Fatalf("Get after the other replica's Delete = %v, %v", ok, err)
	}
	if err := a.Reset(bg); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Len(bg); err != nil || n != 0 {
		t.Fatalf("Len after Reset = %d, %v", n, err)
	}
	if st := a.Status(); st.Backend != "postgres" || len(st.Problems) != 0 {
		t.Fatalf("Status = %+v", st)
	}
}

// Concurrent writers on two replicas: every acknowledged Put is there
// with its bytes; a batch mixes puts, replaces and deletes in order.
func TestResourcesGroupCommit(t *testing.T) {
	rs := replicas(t, 2)
	var wg sync.WaitGroup
	const writers, each = 16, 40
	for w := range writers {
		wg.Go(func() {
			r := rs[w%2].Resources()
			for i := range each {
				k := fmt.Sprintf("/k/%d/%d", w, i)
				if _, err := r.Put(bg, k, []byte(k)); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					if found, err := r.Delete(bg, k); err != nil || !found {
						t.Errorf("Delete %s = %v, %v", k, found, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	n, err := rs[0].Resources().Len(bg)
	if want := writers * (each - (each+2)/3); err != nil || n != want {
		t.Fatalf("Len = %d, %v; want %d", n, err, want)
	}
	for w := range writers {
		for i := range each {
			k := fmt.Sprintf("/k/%d/%d", w, i)
			got, ok, err := rs[1-w%2].Resources().Get(bg, k)
			if err != nil || ok != (i%3 != 0) || (ok && string(got) != k) {
				t.Fatalf("Get %s = %q, %v, %v", k, got, ok, err)
			}
		}
	}
}

// Of many concurrent Adds of one jti on three replicas exactly one is
// accepted; an expired record is taken over; purge deletes expired rows.
func TestReplayAcrossReplicas(t *testing.T) {
	rs := replicas(t, 3)
	now := time.Now()
	var ok, replayed atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			switch err := rs[i%3].Replay().Add(bg, "client", "jti-1", now, now.Add(time.Minute)); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrReplayed):
				replayed.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 29 {
		t.Fatalf("accepted %d, refused %d; want 1 and 29", ok.Load(), replayed.Load())
	}
	// The same jti of another client is another assertion.
	if err := rs[1].Replay().Add(bg, "other", "jti-1", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// After its expiry, the jti may be used again.
	later := now.Add(2 * time.Minute)
	if err := rs[2].Replay().Add(bg, "client", "jti-1", later, later.Add(time.Minute)); err != nil {
		t.Fatalf("Add after expiry: %v", err)
	}
	if err := rs[0].Replay().Add(bg, "client", "jti-1", later, later.Add(time.Minute)); !errors.Is(err, store.ErrReplayed) {
		t.Fatalf("replay of the renewed record: %v", err)
	}
	if err := rs[0].Replay().Add(bg, "client", "old", now, now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, _ := rs[0].Replay().Len(bg); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	rs[0].purge(bg)
	if n, _ := rs[1].Replay().Len(bg); n != 2 {
		t.Fatalf("Len after purge = %d, want 2 (the expired record purged)", n)
	}
}

// A fault with Count 5 is taken exactly 5 times by 40 concurrent requests
// on two replicas; a fault scoped to X never matches Y's requests.
func TestFaultsExactlyOnce(t *testing.T) {
	rs := replicas(t, 2)
	if err := rs[0].Faults().Add(bg, fault.API, fault.Fault{Path: "/api/*", Status: 503, Count: 5}); err != nil {
		t.Fatal(err)
	}
	var taken atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			f, ok, err := rs[i%2].Faults().Take(bg, fault.API, "GET", "/api/x", "")
			if err != nil {
				t.Error(err)
			}
			if ok {
				if f.Status != 503 {
					t.Errorf("took %+v", f)
				}
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if taken.Load() != 5 {
		t.Fatalf("taken %d times, want 5", taken.Load())
	}
	if l, err := rs[1].Faults().List(bg, fault.API); err != nil || len(l) != 0 {
		t.Fatalf("List after use = %v, %v", l, err)
	}

	scoped := fault.Fault{Path: "/api/*", Status: 429, Client: "client-x"}
	if err := rs[1].Faults().Add(bg, fault.API, scoped, fault.Fault{Method: "DELETE", Status: 500}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := rs[0].Faults().Take(bg, fault.API, "GET", "/api/x", "client-y"); ok {
		t.Fatal("client-y took client-x's fault")
	}
	if _, ok, _ := rs[0].Faults().Take(bg, fault.API, "GET", "/api/x", ""); ok {
		t.Fatal("an unauthenticated request took client-x's fault")
	}
	if _, ok, _ := rs[0].Faults().Take(bg, fault.Token, "GET", "/api/x", "client-x"); ok {
		t.Fatal("the token endpoint took an API fault")
	}
	l, err := rs[0].Faults().List(bg, fault.API)
	if err != nil || len(l) != 2 || l[0].Client != "client-x" || l[0].Left != 1 || l[1].Method != "DELETE" {
		t.Fatalf("List = %+v, %v", l, err)
	}
	if f, ok, _ := rs[0].Faults().Take(bg, fault.API, "GET", "/api/x", "client-x"); !ok || f.Status != 429 {
		t.Fatalf("client-x's request: %+v, %v", f, ok)
	}
	if err := rs[0].Faults().Add(bg, fault.API, scoped, fault.Fault{Status: 502, Client: "client-y"}); err != nil {
		t.Fatal(err)
	}
	if err := rs[1].faults.ClearClient(bg, fault.API, "client-x"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := rs[0].Faults().Take(bg, fault.API, "GET", "/api/x", "client-x"); ok {
		t.Fatal("client-x's fault fired after ClearClient")
	}
	if f, ok, _ := rs[0].Faults().Take(bg, fault.API, "GET", "/api/x", "client-y"); !ok || f.Status != 502 {
		t.Fatalf("ClearClient(client-x) cleared client-y's fault: %+v, %v", f, ok)
	}
	if err := rs[1].faults.ClearClient(bg, fault.API, ""); err == nil || !strings.HasPrefix(err.Error(), "no client id") {
		t.Fatalf("ClearClient without a client: %v", err)
	}
	if err := rs[1].Faults().Clear(bg, fault.API); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := rs[0].Faults().Take(bg, fault.API, "DELETE", "/api/x", ""); ok {
		t.Fatal("a cleared fault fired")
	}
	if err := rs[0].Faults().Add(bg, fault.Target(7)); err == nil || err.Error() != "fault target 7 is neither the API nor the token endpoint" {
		t.Fatalf("Add to target 7: %v", err)
	}
}

// waitFor polls cond (bounded: 10 s) for what replicas learn through
// notifications.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10 s", what)
}

// A revocation on one replica is seen by the other; watermarks never move
// back; changes merge.
func TestRevocationsAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Revocations(), rs[1].Revocations()
	waitFor(t, "listeners up", func() bool { return rs[0].listen.up() && rs[1].listen.up() })
	if w, err := b.Watermarks(bg); err != nil || w != (store.Watermarks{}) {
		t.Fatalf("initial watermarks %+v, %v", w, err)
	}
	if err := a.RevokeBefore(bg, 100); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeBefore(bg, 50); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := a.ExpireBefore(bg, 70, at); err != nil {
		t.Fatal(err)
	}
	if err := a.ExpireBefore(bg, 60, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "watermarks on the other replica", func() bool {
		w, _ := b.Watermarks(bg)
		return w.RevokedBefore == 100 && w.ExpiredBefore == 70 && w.ExpiredAt.Equal(at)
	})
	now := time.Now()
	exp := now.Add(time.Minute).Truncate(time.Microsecond)
	if err := a.Change(bg, "tok", store.TokenChange{Expires: exp.Add(time.Minute)}, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := b.Change(bg, "tok", store.TokenChange{Revoked: true, Expires: exp}, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.Change(bg, "tok", store.TokenChange{}, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the token change on the other replica", func() bool {
		c, ok, _ := a.Token(bg, "tok")
		return ok && c.Revoked && c.Expires.Equal(exp)
	})
	if _, ok, _ := b.Token(bg, "other"); ok {
		t.Fatal("a change for a token never changed")
	}
	if n, err := b.Len(bg); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v", n, err)
	}
}

func TestSegments(t *testing.T) {
	w := func(op writeOp, key string) *write { return &write{op: op, key: key} }
	batch := []*write{w(opPut, "a"), w(opPut, "b"), w(opPut, "a"), w(opDelete, "a"), w(opDelete, "b"),
		w(opReset, ""), w(opReset, ""), w(opPut, "c")}
	var got []string
	for _, seg := range segments(batch) {
		s := ""
		for _, x := range seg {
			s += fmt.Sprintf("%d%s", x.op, x.key)
		}
		got = append(got, s)
	}
	want := []string{"0a0b", "0a", "1a1b", "2", "2", "0c"}
	if !slices.Equal(got, want) {
		t.Fatalf("segments = %q; want %q", got, want)
	}
	if segments(nil) != nil {
		t.Fatal("segments(nil) is not empty")
	}
}
