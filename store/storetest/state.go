package storetest

import (
	"bytes"
	"maps"
	"testing"
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
