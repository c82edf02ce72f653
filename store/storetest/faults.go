package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/store"
)

// RunFaults checks store.Faults: faults kept whole and in order, each
// request of a fault taken exactly once across replicas, client scoping,
// targets apart.
func RunFaults(t *testing.T, open Opener) {
	t.Run("KeptWholeInOrder", func(t *testing.T) { faultsRoundTrip(t, replicas(t, open)) })
	t.Run("Matching", func(t *testing.T) { faultsMatching(t, replicas(t, open)) })
	t.Run("TakeExactlyOnce", func(t *testing.T) { faultsRace(t, replicas(t, open)) })
	t.Run("ClearAndPending", func(t *testing.T) { faultsClear(t, replicas(t, open)) })
}

var (
	apiFault = fault.Fault{Method: "PUT", Path: "/REST/*/trainings", Count: 2, Status: 503, Delay: 1500 * time.Millisecond,
		RetryAfter: 5 * time.Second, Detail: "planted", Limit: 7, Client: "client-x"}
	tokenFault = fault.Fault{Method: "POST", Path: "/token", Count: 1, Status: 400, Error: "invalid_client", Malformed: true, Detail: "d"}
)

func faultsRoundTrip(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a := bs[0].Faults()
	second := fault.Fault{Drop: true}
	mustDo(t, "Add API", a.Add(c, fault.API, apiFault, second))
	mustDo(t, "Add Token", a.Add(c, fault.Token, tokenFault))
	counted := second
	counted.Count = 1 // a Count of zero is kept as 1
	wantAPI := []fault.Listed{{Fault: apiFault, Left: 2}, {Fault: counted, Left: 1}}
	wantToken := []fault.Listed{{Fault: tokenFault, Left: 1}}
	for i, b := range bs {
		if got, err := b.Faults().List(c, fault.API); err != nil || !slices.Equal(got, wantAPI) {
			t.Errorf("replica %d: List(API) = %s, %v; want %s", i, jsonOf(got), err, jsonOf(wantAPI))
		}
		if got, err := b.Faults().List(c, fault.Token); err != nil || !slices.Equal(got, wantToken) {
			t.Errorf("replica %d: List(Token) = %s, %v; want %s", i, jsonOf(got), err, jsonOf(wantToken))
		}
		if !b.Faults().Pending(fault.API) || !b.Faults().Pending(fault.Token) {
			t.Errorf("replica %d: Pending after Add = %v, %v; want true, true", i, b.Faults().Pending(fault.API), b.Faults().Pending(fault.Token))
		}
	}
}

func faultsMatching(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	z := bs[len(bs)-1].Faults()
	first := fault.Fault{Method: "get", Path: "/a/*", Status: 500, Detail: "first"}
	mustDo(t, "Add", bs[0].Faults().Add(c, fault.API,
		first,
		fault.Fault{Path: "/a/1", Status: 501, Detail: "second", Count: 3},
		fault.Fault{Status: 502, Detail: "x only", Client: "x"},
	))
	for _, step := range []struct {
		method, path, client string
		want                 string // Detail of the fault taken, "" none
	}{
		{"PUT", "/b", "y", ""},           // scoped to x: never for y
		{"PUT", "/b", "", ""},            // scoped: not before the client is known
		{"GET", "/a/1", "x", "x only"},   // unscoped faults are not taken with a client
		{"GET", "/a/1", "", "first"},     // method case-insensitive; the first added first
		{"GET", "/a/1", "", "second"},    // first used up
		{"DELETE", "/a/12", "", ""},      // glob /a/1 is exact
		{"DELETE", "/a/1", "", "second"}, // any method
		{"POST", "/a/1", "x", ""},        // x's one request used
		{"POST", "/a/1", "", "second"},   // third and last
		{"POST", "/a/1", "", ""},         // nothing left
	} {
		got, ok, err := z.Take(c, fault.API, step.method, step.path, step.client)
		if err != nil || ok != (step.want != "") || got.Detail != step.want {
			t.Errorf("Take(%s %s, client %q) = %q, %v, %v; want %q", step.method, step.path, step.client, got.Detail, ok, err, step.want)
		}
	}
	if _, ok, err := z.Take(c, fault.Token, "GET", "/a/1", ""); ok || err != nil {
		t.Errorf("Take(Token) with only API faults = %v, %v; want false, nil", ok, err)
	}
}

// A fault of 5 requests and 64 concurrent Takes spread over the replicas:
// exactly 5 get it.
func faultsRace(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	const n, count = 64, 5
	for round := range 3 {
		detail := fmt.Sprintf("round %d", round)
		mustDo(t, "Add", bs[0].Faults().Add(c, fault.API, fault.Fault{Path: "/race", Status: 503, Count: count, Detail: detail}))
		var took atomic.Int64
		var failed atomic.Value
		parallel(n, func(i int) {
			f, ok, err := bs[i%len(bs)].Faults().Take(c, fault.API, "GET", "/race", "")
			if err != nil {
				failed.Store(err)
			}
			if ok && f.Detail == detail {
				took.Add(1)
			}
		})
		if took.Load() != count || failed.Load() != nil {
			t.Fatalf("%s: %d concurrent Takes of a fault of %d requests: %d took it, error %v; want %d, none", detail, n, count, took.Load(), failed.Load(), count)
		}
		if l, err := bs[len(bs)-1].Faults().List(c, fault.API); len(l) != 0 || err != nil {
			t.Fatalf("%s: List after the fault was used up = %+v, %v; want none", detail, l, err)
		}
	}
}

func faultsClear(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a, z := bs[0].Faults(), bs[len(bs)-1].Faults()
	if a.Pending(fault.API) || a.Pending(fault.Token) {
		t.Fatalf("Pending on a new store = true; want false")
	}
	mustDo(t, "Add API", a.Add(c, fault.API, fault.Fault{Status: 500}))
	mustDo(t, "Add Token", a.Add(c, fault.Token, fault.Fault{Status: 500}))
	mustDo(t, "Clear API", z.Clear(c, fault.API))
	if _, ok, err := a.Take(c, fault.API, "GET", "/", ""); ok || err != nil {
		t.Errorf("Take(API) after Clear(API) = %v, %v; want false, nil", ok, err)
	}
	if l, err := a.List(c, fault.Token); len(l) != 1 || err != nil {
		t.Errorf("List(Token) after Clear(API) = %+v, %v; want the token fault", l, err)
	}
	mustDo(t, "Add scoped", a.Add(c, fault.API, fault.Fault{Status: 501, Client: "x"}, fault.Fault{Status: 502, Client: "y"}, fault.Fault{Status: 503}))
	mustDo(t, "ClearClient x", z.ClearClient(c, fault.API, "x"))
	want := []fault.Listed{{Fault: fault.Fault{Count: 1, Status: 502, Client: "y"}, Left: 1}, {Fault: fault.Fault{Count: 1, Status: 503}, Left: 1}}
	if l, err := a.List(c, fault.API); !slices.Equal(l, want) || err != nil {
		t.Errorf("List(API) after ClearClient(x) = %s, %v; want %s", jsonOf(l), err, jsonOf(want))
	}
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
