package mockfla_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/store"
)

const (
	employerClient = "self_service_chaman_1_employer"
	providerClient = "self_service_chaman_2_provider"
)

// A fault scoped to one client fires for that client's requests only, as
// often as its count says; another client's requests never see it.
func TestTenancy_ScopedFaultNeverReachesAnotherClient(t *testing.T) {
	s := newServer(t, baseConfig())
	if r := do(t, s, "POST", "/__admin/faults", "", `{"path":"/REST/*","count":2,"status":503,"retryAfter":"4s","clientId":"`+employerClient+`"}`); r.status != 201 {
		t.Fatalf("POST scoped fault = %d %s", r.status, r.body)
	}
	// The provider (another client) reads the seed ten times: never a 503.
	for i := range 10 {
		if r := do(t, s, "GET", seed, providerTok, ""); r.status != 404 {
			t.Fatalf("provider GET %d = %d %s; want 404 (nothing stored), never the employer's fault", i, r.status, r.body)
		}
	}
	// Without a token the client is unknown: a scoped fault cannot match.
	if r := do(t, s, "GET", seed, "", ""); r.status != 401 {
		t.Fatalf("GET without a token = %d %s; want 401", r.status, r.body)
	}
	for i := range 2 {
		r := do(t, s, "GET", seed, employerTok, "")
		p := r.problem(t)
		if r.status != 503 || r.header.Get("Retry-After") != "4" || p.Type != mockfla.TypeServiceUnavailable || p.RetryAfterSec != 4 {
			t.Fatalf("employer GET %d = %d Retry-After %q %s; want 503, Retry-After 4", i, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if r := do(t, s, "GET", seed, employerTok, ""); r.status != 404 {
		t.Fatalf("employer GET after the fault's 2 requests = %d %s; want 404", r.status, r.body)
	}
	evs := s.Journal().Events(0)
	var injected []string
	for _, e := range evs {
		if e.API != nil && e.API.Verdict == "injected" {
			injected = append(injected, e.API.ClientID+": "+e.API.Fault)
		}
	}
	want := []string{
		employerClient + ": status 503, Retry-After 4, for client " + employerClient,
		employerClient + ": status 503, Retry-After 4, for client " + employerClient,
	}
	if fmt.Sprint(injected) != fmt.Sprint(want) {
		t.Errorf("journal's injected calls = %q; want %q", injected, want)
	}
}

// Unscoped faults fire before authentication, as before; a scoped one
// after the token is verified, so its layer comes after auth.
func TestTenancy_WhereFaultsAreMatched(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "POST", "/__admin/faults", "", `[{"status":500,"clientId":"`+providerClient+`"},{"status":502}]`)
	r := do(t, s, "GET", seed, "tok-unknown", "") // no valid token: only the unscoped fault can match
	if r.status != 502 {
		t.Fatalf("GET with an unknown token = %d %s; want the unscoped 502", r.status, r.body)
	}
	r = do(t, s, "GET", seed, providerTok, "")
	if r.status != 500 {
		t.Fatalf("provider GET = %d %s; want its scoped 500", r.status, r.body)
	}
	evs := s.Journal().Events(0)
	var layers []string
	for _, l := range evs[len(evs)-1].API.Layers {
		layers = append(layers, l.Name+"="+l.Verdict)
	}
	if got, want := strings.Join(layers, " "), "route=pass auth=pass scope=pass fault=fail"; !strings.HasPrefix(got, want) {
		t.Errorf("layers of the scoped fault's call = %s; want them to start %s", got, want)
	}
}

// GET /__admin/faults?clientId= lists one client's faults; DELETE with
// ?clientId= forgets only those.
func TestTenancy_AdminFaultsByClient(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "POST", "/__admin/faults", "", `[{"status":500,"clientId":"a"},{"status":501,"clientId":"b"},{"status":502}]`)
	list := func(query string) string {
		t.Helper()
		r := do(t, s, "GET", "/__admin/faults"+query, "", "")
		if r.status != 200 {
			t.Fatalf("GET faults%s = %d %s", query, r.status, r.body)
		}
		return strings.TrimSpace(string(r.body))
	}
	if got, want := list("?clientId=a"), `{"faults":[{"count":1,"status":500,"clientId":"a","left":1}]}`; got != want {
		t.Errorf("faults of a = %s; want %s", got, want)
	}
	if r := do(t, s, "DELETE", "/__admin/faults?clientId=a", "", ""); r.status != 204 {
		t.Fatalf("DELETE faults of a = %d %s; want 204", r.status, r.body)
	}
	if got, want := list(""), `{"faults":[{"count":1,"status":501,"clientId":"b","left":1},{"count":1,"status":502,"left":1}]}`; got != want {
		t.Errorf("faults after deleting a's = %s; want %s", got, want)
	}
}

// failing is a Resources whose backend went away: every call fails with
// an unavailable error carrying a 3 s retry hint.
type failing struct {
	store.Resources
	down atomic.Bool
}

var errDown = &store.UnavailableError{Backend: "test", RetryAfter: 2500 * time.Millisecond, Err: errors.New("connection refused")}

func (f *failing) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if f.down.Load() {
		return nil, false, errDown
	}
	return f.Resources.Get(ctx, key)
}

func (f *failing) Children(ctx context.Context, parent string) ([]string, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Resources.Children(ctx, parent)
}

func (f *failing) Put(ctx context.Context, key string, body []byte) (bool, error) {
	if f.down.Load() {
		return false, errDown
	}
	return f.Resources.Put(ctx, key, body)
}

// With the store unavailable, a PUT and a GET answer 503 with the store's
// retry hint (rounded up) and the cause; nothing is acknowledged, and
// service is back when the store is.
func TestResources_UnavailableStoreAnswers503(t *testing.T) {
	res := &failing{Resources: store.NewMemory()}
	cfg := baseConfig()
	cfg.Resources = res
	s := newServer(t, cfg)
	res.down.Store(true)
	for _, m := range []struct{ method, body, what string }{
		{"PUT", trainingSet, "store the change durably"},
		{"GET", "", "read its store"},
	} {
		r := do(t, s, m.method, seed, employerTok, m.body)
		p := r.problem(t)
		want := "The mock could not " + m.what + ": the test state store is unavailable: connection refused"
		if r.status != 503 || r.header.Get("Retry-After") != "3" || p.RetryAfterSec != 3 || p.Detail != want {
			t.Errorf("%s while the store is down = %d, Retry-After %q, %+v; want 503, Retry-After 3, detail %q", m.method, r.status, r.header.Get("Retry-After"), p, want)
		}
	}
	var health map[string]any
	json.Unmarshal(do(t, s, "GET", "/__admin/health", "", "").body, &health)
	if health["store"] != "memory" {
		t.Errorf("health store = %v; want memory", health["store"])
	}
	res.down.Store(false)
	if r := do(t, s, "PUT", seed, employerTok, trainingSet); r.status != 200 {
		t.Fatalf("PUT once the store is back = %d %s; want 200", r.status, r.body)
	}
	evs := s.Journal().Events(0)
	if l := evs[len(evs)-1].API.Layers; !strings.HasPrefix(l[len(l)-1].Detail, "created /REST/") {
		t.Errorf("store layer of the PUT once the store is back = %+v; want created (the failed PUT stored nothing)", l[len(l)-1])
	}
	if r := do(t, s, "GET", seed, employerTok, ""); r.status != 200 {
		t.Fatalf("GET once the store is back = %d %s", r.status, r.body)
	}
}

func TestConfig_ResourcesAndStateFileExclusive(t *testing.T) {
	cfg := baseConfig()
	cfg.Resources = store.NewMemory()
	cfg.StateFile = "state.log"
	_, err := mockfla.New(cfg)
	if want := "mockfla: Resources and StateFile are both set; a state file is the embedded store's"; err == nil || err.Error() != want {
		t.Fatalf("New = %v; want %s", err, want)
	}
}
