package storetest

import (
	"bytes"
	"fmt"
	"maps"
	"testing"
	"time"
)

// RunState checks store.State: opaque values kept exactly, by namespace,
// seen on every replica.
func RunState(t *testing.T, open Opener) {
	bs := replicas(t, open)
	c := ctx(t)
	a, z := bs[0].State(), bs[len(bs)-1].State()
	load := func(what, ns string, want map[string][]byte) {
		t.Helper()
		for i, b := range bs {
			got, err := b.State().Load(c, ns)
			if err != nil || !maps.EqualFunc(got, want, bytes.Equal) {
				t.Fatalf("%s: replica %d Load(%q) = %q, %v; want %q", what, i, ns, got, err, want)
			}
		}
	}
	load("new store", "mandates", map[string][]byte{})
	mandate := []byte(`{"employer":"0880820673", "ssin" : "65111899801"}`)
	mustDo(t, "Save", a.Save(c, "mandates", "m1", mandate))
	mustDo(t, "Save", z.Save(c, "mandates", "m2", []byte{0, 0xff}))
	mustDo(t, "Save", a.Save(c, "clients", "m1", []byte("other namespace")))
	load("after Save", "mandates", map[string][]byte{"m1": mandate, "m2": {0, 0xff}})
	got, _ := a.Load(c, "mandates")
	got["m1"][0] = 'X' // a caller changing what Load returned changes nothing stored
	mustDo(t, "Save replacing", z.Save(c, "mandates", "m2", []byte("v2")))
	load("after Save replacing", "mandates", map[string][]byte{"m1": mandate, "m2": []byte("v2")})
	if ok, err := z.Remove(c, "mandates", "m1"); !ok || err != nil {
		t.Fatalf("Remove = %v, %v; want true, nil", ok, err)
	}
	if ok, err := a.Remove(c, "mandates", "m1"); ok || err != nil {
		t.Fatalf("Remove again = %v, %v; want false, nil", ok, err)
	}
	load("after Remove", "mandates", map[string][]byte{"m2": []byte("v2")})
	mustDo(t, "Clear", z.Clear(c, "mandates"))
	load("after Clear", "mandates", map[string][]byte{})
	load("other namespace after Clear", "clients", map[string][]byte{"m1": []byte("other namespace")})
}

// RunStateVersion checks State.Version: once every replica vouches for its
// version of a namespace (a healthy backend does within seconds), each
// acknowledged Save, Remove and Clear through any replica has changed it on
// every replica by the time the write returns.
func RunStateVersion(t *testing.T, open Opener) {
	bs := replicas(t, open)
	c := ctx(t)
	const ns = "clients"
	versions := func(what string) []uint64 {
		t.Helper()
		out := make([]uint64, len(bs))
		deadline := time.Now().Add(10 * time.Second)
		for i, b := range bs {
			for {
				v, ok := b.State().Version(ns)
				if ok {
					out[i] = v
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: replica %d's Version(%q) is not ok after 10 s on a healthy store", what, i, ns)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		return out
	}
	changed := func(what string, before []uint64) {
		t.Helper()
		for i, b := range bs {
			if v, ok := b.State().Version(ns); ok && v == before[i] {
				t.Fatalf("%s: replica %d's Version(%q) is still %d; an acknowledged write must change it before returning", what, i, ns, v)
			}
		}
	}
	for i := range 20 {
		w := bs[i%len(bs)].State()
		before := versions("before a write")
		switch i % 4 {
		case 0, 1:
			mustDo(t, "Save", w.Save(c, ns, fmt.Sprintf("k%d", i), []byte("v")))
			changed(fmt.Sprintf("Save %d through replica %d", i, i%len(bs)), before)
		case 2:
			if _, err := w.Remove(c, ns, fmt.Sprintf("k%d", i-2)); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			changed(fmt.Sprintf("Remove %d through replica %d", i, i%len(bs)), before)
		case 3:
			mustDo(t, "Clear", w.Clear(c, ns))
			changed(fmt.Sprintf("Clear %d through replica %d", i, i%len(bs)), before)
		}
	}
	// A value loaded at a version is what every replica Loads while the
	// version holds.
	v := versions("at the end")
	for i, b := range bs {
		got, err := b.State().Load(c, ns)
		if err != nil || len(got) != 0 {
			t.Fatalf("replica %d Load after Clear = %q, %v", i, got, err)
		}
		if w, ok := b.State().Version(ns); ok && w != v[i] {
			t.Fatalf("replica %d's Version moved from %d to %d with no write", i, v[i], w)
		}
	}
}
