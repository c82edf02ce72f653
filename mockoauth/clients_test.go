package mockoauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/store"
)

// tokenStatus asks srv for a token as client id, with key.
func tokenStatus(t *testing.T, srv *Server, clk *clock, id string, b *certgen.Bundle) (int, map[string]any) {
	t.Helper()
	a := sign(t, algFor(b), claimsFor(id, clk.Now()), b.Key, nil)
	w, body := do(t, srv, postForm(form(a).Encode()))
	return w.Code, body
}

func algFor(b *certgen.Bundle) string {
	if _, ok := b.Key.(*rsa.PrivateKey); ok {
		return "RS256"
	}
	return map[int]string{256: "ES256", 384: "ES384", 521: "ES512"}[b.Key.(*ecdsa.PrivateKey).Curve.Params().BitSize]
}

// Two servers on one State act as one registry: a client added through A
// gets a token from B at once; removed through B, it is refused by A; a
// configured client removed through A is refused by B, and stays removed
// for a server started afterwards; a rotation through B holds on A.
func TestClients_SharedState(t *testing.T) {
	st := store.NewState()
	clk := newClock()
	newServer := func() *Server {
		cfg := testConfig(t, clk)
		cfg.State = st
		srv, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	a, b := newServer(), newServer()
	nb := mustBundle(t, certgen.Request{Key: certgen.RSA2048, CommonName: "run-time client"})
	const id = "self_service_chaman_333333_runtimexxx"
	if code, body := tokenStatus(t, b, clk, id, nb); code != 400 || !strings.Contains(body["error_description"].(string), "unknown client") {
		t.Fatalf("before AddClient: %d %v", code, body)
	}
	if err := a.AddClient(Client{ID: id, Quality: QualityEmployer, Certificates: certsOf(nb)}); err != nil {
		t.Fatal(err)
	}
	if code, body := tokenStatus(t, b, clk, id, nb); code != 200 {
		t.Fatalf("added through A, token from B: %d %v", code, body)
	}
	if err := b.AddClient(Client{ID: id, Quality: QualityEmployer, Certificates: certsOf(nb)}); err == nil ||
		err.Error() != `mockoauth: add client: client "self_service_chaman_333333_runtimexxx" is already registered` {
		t.Fatalf("AddClient again through B: %v", err)
	}
	if ok, err := b.RemoveClient(id); !ok || err != nil {
		t.Fatalf("RemoveClient through B = %v, %v", ok, err)
	}
	if code, body := tokenStatus(t, a, clk, id, nb); code != 400 || !strings.Contains(body["error_description"].(string), "unknown client") {
		t.Fatalf("removed through B, token from A: %d %v", code, body)
	}
	emp := testBundles(t)[certgen.RSA2048]
	if ok, err := a.RemoveClient(employerID); !ok || err != nil {
		t.Fatalf("RemoveClient of a configured client = %v, %v", ok, err)
	}
	for name, srv := range map[string]*Server{"B": b, "a server started afterwards": newServer()} {
		if code, _ := tokenStatus(t, srv, clk, employerID, emp); code != 400 {
			t.Fatalf("configured client removed through A, token from %s: %d", name, code)
		}
		cs, err := srv.Clients()
		if err != nil || len(cs) != 5 {
			t.Fatalf("%s: Clients = %d clients, %v; want the 5 left", name, len(cs), err)
		}
	}
	if ok, err := b.RemoveClient(employerID); ok || err != nil {
		t.Fatalf("RemoveClient again = %v, %v; want false, nil", ok, err)
	}
	rot := mustBundle(t, certgen.Request{Key: certgen.P384, CommonName: "rotated"})
	if err := b.AddCertificate(providerID, rot.Cert); err != nil {
		t.Fatal(err)
	}
	if code, body := tokenStatus(t, a, clk, providerID, rot); code != 200 {
		t.Fatalf("certificate added through B, token from A: %d %v", code, body)
	}
}

// failingState is a State whose backend cannot be reached.
type failingState struct{ store.State }

var errDown = &store.UnavailableError{Backend: "test", RetryAfter: 3 * time.Second, Err: errors.New("connection refused")}

func (failingState) Load(context.Context, string) (map[string][]byte, error) { return nil, errDown }
func (failingState) Save(context.Context, string, string, []byte) error      { return errDown }
func (failingState) Version(string) (uint64, bool)                           { return 0, false }

// A registry that cannot be read refuses every token request with 503
// temporarily_unavailable and the store's Retry-After (never an answer from
// what it held before), and the admin API answers 503 too.
func TestClients_Unavailable(t *testing.T) {
	srv, clk := newTestServerT(t, func(c *Config) { c.State = failingState{} })
	code, body := tokenStatus(t, srv, clk, employerID, testBundles(t)[certgen.RSA2048])
	want := `the client registry cannot be reached, so client "self_service_chaman_123456_abcdefghij" cannot be checked: the test state store is unavailable: connection refused`
	if code != 503 || body["error"] != "temporarily_unavailable" || body["error_description"] != want {
		t.Fatalf("token request: %d %v\nwant 503 temporarily_unavailable: %s", code, body, want)
	}
	if err := srv.AddClient(Client{ID: "c9", Quality: QualityEmployer, Certificates: certsOf(extra.other)}); !errors.Is(err, store.ErrUnavailable) ||
		err.Error() != `mockoauth: add client "c9": the test state store is unavailable: connection refused` {
		t.Fatalf("AddClient: %v", err)
	}
	if ok, err := srv.RemoveClient(employerID); ok || err == nil ||
		err.Error() != `mockoauth: remove client "self_service_chaman_123456_abcdefghij": the test state store is unavailable: connection refused` {
		t.Fatalf("RemoveClient = %v, %v", ok, err)
	}
	if _, err := srv.IssueToken(employerID); err == nil || err.Error() != "mockoauth: issue token: the test state store is unavailable: connection refused" {
		t.Fatalf("IssueToken: %v", err)
	}
	admin := srv.AdminHandler()
	for _, r := range []*http.Request{
		httptest.NewRequest("GET", "/__admin/oauth/clients", nil),
		httptest.NewRequest("DELETE", "/__admin/oauth/clients/"+employerID, nil),
		httptest.NewRequest("POST", "/__admin/oauth/clients", strings.NewReader(`{"clientId":"c9","quality":"employer","certificates":[`+
			strconv.Quote(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: extra.other.Cert.Raw})))+`]}`)),
	} {
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, r)
		wantBody := `{"error":"temporarily_unavailable","error_description":"the client registry cannot be reached: `
		if w.Code != 503 || w.Header().Get("Retry-After") != "3" || !strings.HasPrefix(w.Body.String(), wantBody) {
			t.Fatalf("%s %s: %d %q %s", r.Method, r.URL, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
}

// A client stored by a replica that this server cannot build (a value
// written by another program) is refused, not crashed on.
func TestClients_Undecodable(t *testing.T) {
	st := store.NewState()
	if err := st.Save(context.Background(), ClientsNamespace, employerID, []byte(`{"clientId":`)); err != nil {
		t.Fatal(err)
	}
	srv, clk := newTestServerT(t, func(c *Config) { c.State = st })
	if code, body := tokenStatus(t, srv, clk, employerID, testBundles(t)[certgen.RSA2048]); code != 400 ||
		body["error_description"] != `unknown client "self_service_chaman_123456_abcdefghij": no client with this id is registered` {
		t.Fatalf("token for an undecodable stored client: %d %v", code, body)
	}
}

// The registry's read on the token endpoint's path: a configured client and
// a client added at run time, through the cached view (embedded State).
func BenchmarkClientLookup(b *testing.B) {
	srv, err := New(testConfig(b, newClock()))
	if err != nil {
		b.Fatal(err)
	}
	nb := testBundles(b)[certgen.RSA2048]
	if err := srv.AddClient(Client{ID: "runtime", Quality: QualityEmployer, Certificates: certsOf(nb)}); err != nil {
		b.Fatal(err)
	}
	for _, id := range []string{employerID, "runtime"} {
		b.Run(map[string]string{employerID: "configured", "runtime": "runtime"}[id], func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if c, err := srv.lookup(ctx, id); c == nil || err != nil {
					b.Fatal(c, err)
				}
			}
		})
	}
}

// Lookups while clients are added and removed through another server on
// the same State: every lookup after an acknowledged removal misses (run
// with -race).
func TestClients_ConcurrentChanges(t *testing.T) {
	st := store.NewState()
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.State = st
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nb := testBundles(t)[certgen.RSA2048]
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.lookup(ctx, "c1"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 50 {
		if err := a.AddClient(Client{ID: "c1", Quality: QualityEmployer, Certificates: certsOf(nb)}); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if c, err := b.lookup(ctx, "c1"); c == nil || err != nil {
			t.Fatalf("round %d: added through A, lookup on B = %v, %v", i, c, err)
		}
		if ok, err := a.RemoveClient("c1"); !ok || err != nil {
			t.Fatalf("round %d: RemoveClient = %v, %v", i, ok, err)
		}
		if c, err := b.lookup(ctx, "c1"); c != nil || err != nil {
			t.Fatalf("round %d: removed through A, lookup on B = %v, %v", i, c, err)
		}
	}
	close(stop)
	wg.Wait()
}
