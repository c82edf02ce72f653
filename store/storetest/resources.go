package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flamock/flamock/store"
)

// RunResources checks store.Resources: bytes kept exactly, replaced and
// found reported truly, children, reset, and writes seen on every replica.
func RunResources(t *testing.T, open Opener) {
	t.Run("BytesKeptExactly", func(t *testing.T) { resourcesBytes(t, replicas(t, open)) })
	t.Run("PutGetDelete", func(t *testing.T) { resourcesLifecycle(t, replicas(t, open)) })
	t.Run("ChildrenAndReset", func(t *testing.T) { resourcesTree(t, replicas(t, open)) })
	t.Run("ConcurrentCreateIsOneCreation", func(t *testing.T) { resourcesCreateRace(t, replicas(t, open)) })
	t.Run("Status", func(t *testing.T) {
		if st := replicas(t, open)[0].Resources().Status(); st.Backend == "" {
			t.Errorf("Status().Backend is empty; want the kind of store")
		}
	})
}

// bodies are values whose bytes a store must not touch: not JSON, JSON
// with whitespace, NUL, invalid UTF-8, empty, a large one.
var bodies = map[string][]byte{
	"/b/json-spaced":   []byte("{ \"a\" : [1, 2],\n\t\"b\": \"x\" }"),
	"/b/not-json":      []byte("plain text, not JSON"),
	"/b/nul-and-bytes": {0, 1, 2, 0xff, 0xfe, '\n', 0},
	"/b/bad-utf8":      []byte("caf\xe9 \xc3\x28"),
	"/b/empty":         {},
	"/b/big":           bytes.Repeat([]byte(`{"k":"0123456789abcdef"},`), 40000),
	"/b/ü%2F name":     []byte(`"key with a space, %2F and non-ASCII"`),
}

func resourcesBytes(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	for k, v := range bodies {
		if _, err := bs[0].Resources().Put(c, k, bytes.Clone(v)); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
	for i, b := range bs {
		for k, want := range bodies {
			got, ok, err := b.Resources().Get(c, k)
			if err != nil || !ok || !bytes.Equal(got, want) {
				t.Errorf("replica %d: Get(%q) = %d bytes, %v, %v; want the %d bytes Put", i, k, len(got), ok, err, len(want))
			}
		}
	}
}

func resourcesLifecycle(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a, z := bs[0].Resources(), bs[len(bs)-1].Resources()
	if _, ok, err := z.Get(c, "/x/1"); ok || err != nil {
		t.Fatalf("Get on an empty store = %v, %v; want false, nil", ok, err)
	}
	if replaced, err := a.Put(c, "/x/1", []byte(`{"v":1}`)); replaced || err != nil {
		t.Fatalf("first Put = replaced %v, %v; want false, nil", replaced, err)
	}
	if replaced, err := z.Put(c, "/x/1", []byte(`{"v":2}`)); !replaced || err != nil {
		t.Fatalf("second Put (other replica) = replaced %v, %v; want true, nil", replaced, err)
	}
	if got, ok, err := a.Get(c, "/x/1"); string(got) != `{"v":2}` || !ok || err != nil {
		t.Fatalf("Get after two Puts = %q, %v, %v; want the second body", got, ok, err)
	}
	if n, err := z.Len(c); n != 1 || err != nil {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}
	if found, err := z.Delete(c, "/x/1"); !found || err != nil {
		t.Fatalf("Delete = found %v, %v; want true, nil", found, err)
	}
	if _, ok, err := a.Get(c, "/x/1"); ok || err != nil {
		t.Fatalf("Get after Delete (other replica) = %v, %v; want false, nil", ok, err)
	}
	if found, err := a.Delete(c, "/x/1"); found || err != nil {
		t.Fatalf("Delete of nothing = found %v, %v; want false, nil", found, err)
	}
	if n, err := a.Len(c); n != 0 || err != nil {
		t.Fatalf("Len after Delete = %d, %v; want 0", n, err)
	}
}

func resourcesTree(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	a, z := bs[0].Resources(), bs[len(bs)-1].Resources()
	for _, k := range []string{"/e/9/t", "/e/10", "/e/2", "/e/2/t", "/e", "/f/1", "/e/1"} {
		if _, err := a.Put(c, k, []byte("{}")); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
	for _, tc := range []struct {
		parent string
		want   []string
	}{
		{"/e", []string{"/e/1", "/e/10", "/e/2"}}, // sorted as strings; /e/9 has a child but no resource
		{"/e/2", []string{"/e/2/t"}},
		{"/e/9", []string{"/e/9/t"}},
		{"", []string{"/e"}},
		{"/none", nil},
	} {
		got, err := z.Children(c, tc.parent)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Children(%q) = %q, %v; want %q", tc.parent, got, err, tc.want)
		}
	}
	if _, err := a.Delete(c, "/e/10"); err != nil {
		t.Fatal(err)
	}
	if got, _ := z.Children(c, "/e"); !slices.Equal(got, []string{"/e/1", "/e/2"}) {
		t.Errorf("Children(/e) after deleting /e/10 = %q; want [/e/1 /e/2]", got)
	}
	if err := z.Reset(c); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	n, err := a.Len(c)
	kids, _ := a.Children(c, "/e")
	_, ok, _ := a.Get(c, "/f/1")
	if n != 0 || err != nil || len(kids) != 0 || ok {
		t.Errorf("after Reset: Len %d (%v), Children(/e) %q, Get(/f/1) found %v; want 0, none, false", n, err, kids, ok)
	}
	if replaced, err := a.Put(c, "/f/1", []byte("1")); replaced || err != nil {
		t.Errorf("Put after Reset = replaced %v, %v; want false, nil", replaced, err)
	}
}

// 32 writers Put one new key at once, spread over the replicas: exactly
// one is told it created the resource (the API's 201), and the key holds
// one of the bodies written, whole.
func resourcesCreateRace(t *testing.T, bs []store.Backend) {
	c := ctx(t)
	const n = 32
	var created, failed atomic.Int64
	parallel(n, func(i int) {
		replaced, err := bs[i%len(bs)].Resources().Put(c, "/race/1", []byte(fmt.Sprintf(`{"writer":%d}`, i)))
		switch {
		case err != nil:
			failed.Add(1)
		case !replaced:
			created.Add(1)
		}
	})
	if created.Load() != 1 || failed.Load() != 0 {
		t.Fatalf("%d concurrent Puts of one new key: %d reported a creation, %d failed; want 1, 0", n, created.Load(), failed.Load())
	}
	got, ok, err := bs[0].Resources().Get(c, "/race/1")
	if !ok || err != nil || !strings.HasPrefix(string(got), `{"writer":`) || !strings.HasSuffix(string(got), "}") {
		t.Fatalf("after the race Get = %q, %v, %v; want one writer's body", got, ok, err)
	}
}
