package fault

import (
	"encoding/json"
	"testing"
)

func TestFault_ClientScope(t *testing.T) {
	fs, err := Decode([]byte(`[{"status":503,"clientId":"x"},{"status":500}]`), API)
	if err != nil {
		t.Fatal(err)
	}
	if fs[0].Client != "x" || fs[1].Client != "" {
		t.Fatalf("Decode clients = %q, %q; want x, empty", fs[0].Client, fs[1].Client)
	}
	if got, want := fs[0].String(), "status 503, for client x"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	var q Queue
	q.Add(fs...)
	if f, ok := q.TakeFor("GET", "/a", "y"); ok {
		t.Errorf("TakeFor client y = %v; want none (x's fault; the unscoped one is taken before the client is known)", f)
	}
	if f, ok := q.Take("GET", "/a"); !ok || f.Status != 500 {
		t.Errorf("Take = %v, %v; want the unscoped 500", f, ok)
	}
	q.Add(Fault{Status: 502, Client: "y"})
	q.ClearClient("x")
	b, _ := json.Marshal(q.List())
	if got, want := string(b), `[{"count":1,"status":502,"clientId":"y","left":1}]`; got != want {
		t.Errorf("List after ClearClient(x) = %s; want %s", got, want)
	}
	if f, ok := q.TakeFor("GET", "/a", "y"); !ok || f.Status != 502 {
		t.Errorf("TakeFor client y = %v, %v; want y's 502", f, ok)
	}
}
