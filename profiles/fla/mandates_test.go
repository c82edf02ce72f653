package fla_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/store"
)

// admin sends an admin request to s.
func admin(t *testing.T, s *mockfla.Server, method, path, body string) result {
	t.Helper()
	w := httptest.NewRecorder()
	s.AdminHandler().ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return result{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// Two servers whose profiles share one State act as one: mandates PUT
// through A govern B's next call, and emptied through B, A's.
func TestMandates_SharedState(t *testing.T) {
	st := store.NewState()
	cfgA, _ := flaConfig(fla.Options{State: st})
	cfgB, _ := flaConfig(fla.Options{State: st})
	a, b := newServer(t, cfgA), newServer(t, cfgB)
	if r := do(t, b, "GET", seed, providerTok, ""); r.status != 403 {
		t.Fatalf("no mandate yet, on B: %d %s", r.status, r.body)
	}
	put := `{"mandates":[{"provider":"` + providerEN + `","employer":"` + employerEN + `"}]}`
	if r := admin(t, a, "PUT", "/__admin/mandates", put); r.status != 204 {
		t.Fatalf("PUT mandates on A: %d %s", r.status, r.body)
	}
	if r := do(t, b, "GET", seed, providerTok, ""); r.status != 404 {
		t.Fatalf("mandate set through A, call on B: %d %s (want the 404 of an absent resource)", r.status, r.body)
	}
	if r := admin(t, b, "GET", "/__admin/mandates", ""); r.status != 200 || !strings.Contains(string(r.body), providerEN) {
		t.Fatalf("GET mandates on B: %d %s", r.status, r.body)
	}
	if r := admin(t, b, "PUT", "/__admin/mandates", `{"mandates":[]}`); r.status != 204 {
		t.Fatalf("PUT no mandates on B: %d %s", r.status, r.body)
	}
	if r := do(t, a, "GET", seed, providerTok, ""); r.status != 403 {
		t.Fatalf("mandates emptied through B, call on A: %d %s", r.status, r.body)
	}
}

// failingState is a State whose backend cannot be reached.
type failingState struct{ store.State }

var errDown = &store.UnavailableError{Backend: "test", RetryAfter: 2 * time.Second, Err: errors.New("connection refused")}

func (failingState) Load(context.Context, string) (map[string][]byte, error) { return nil, errDown }
func (failingState) Save(context.Context, string, string, []byte) error      { return errDown }
func (failingState) Version(string) (uint64, bool)                           { return 0, false }

// Mandates that cannot be read: a provider's call answers 503 with
// Retry-After (never a decision from what was read before), an employer's,
// which needs no mandate, is served; the admin endpoints answer 503.
func TestMandates_Unavailable(t *testing.T) {
	cfg, _ := flaConfig(fla.Options{State: failingState{}})
	s := newServer(t, cfg)
	r := do(t, s, "GET", seed, providerTok, "")
	if p := r.problem(t); r.status != 503 || r.header.Get("Retry-After") != "2" ||
		p.Detail != "The mock could not read its store: fla: mandates: the test state store is unavailable: connection refused" {
		t.Fatalf("provider's call: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := do(t, s, "GET", seed, employerTok, ""); r.status != 404 {
		t.Fatalf("employer's call: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ method, body, detail string }{
		{"GET", "", "The mandates cannot be read: fla: mandates: the test state store is unavailable: connection refused"},
		{"PUT", `{"mandates":[]}`, "The mandates cannot be stored: fla: set mandates: the test state store is unavailable: connection refused"},
	} {
		r := admin(t, s, c.method, "/__admin/mandates", c.body)
		if p := r.problem(t); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "2" || p.Detail != c.detail {
			t.Fatalf("%s /__admin/mandates: %d Retry-After %q %s\nwant detail %s", c.method, r.status, r.header.Get("Retry-After"), r.body, c.detail)
		}
	}
}
