package mockoauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/store"
)

var errStoreDown = &store.UnavailableError{Backend: "test", RetryAfter: 2 * time.Second, Err: errors.New("connection refused")}

// downReplay is a replay cache whose backend went away.
type downReplay struct{}

func (downReplay) Add(context.Context, string, string, time.Time, time.Time) error {
	return errStoreDown
}
func (downReplay) Len(context.Context) (int, error) { return 0, errStoreDown }

// downRevocations is a revocation store whose backend went away.
type downRevocations struct{ store.Revocations }

func (downRevocations) Watermarks(context.Context) (store.Watermarks, error) {
	return store.Watermarks{}, errStoreDown
}
func (downRevocations) RevokeBefore(context.Context, int64) error { return errStoreDown }

// goodAssertion signs a fresh assertion of the employer client.
func goodAssertion(t *testing.T, clk *clock) string {
	t.Helper()
	return sign(t, "RS256", claimsFor(employerID, clk.Now()), testBundles(t)[certgen.RSA2048].Key, nil)
}

// Two servers sharing one replay cache are replicas: an assertion
// accepted by one is refused by the other.
func TestStore_SharedReplayRefusesReplayOnTheOtherReplica(t *testing.T) {
	clk := newClock()
	shared := store.NewReplay(0)
	var srv [2]*Server
	for i := range srv {
		cfg := testConfig(t, clk)
		cfg.Replay = shared
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv[i] = s
	}
	claims := claimsFor(employerID, clk.Now())
	a := sign(t, "RS256", claims, testBundles(t)[certgen.RSA2048].Key, nil)
	if w, _ := do(t, srv[0], postForm(form(a).Encode())); w.Code != 200 {
		t.Fatalf("first use on replica A = %d %s; want 200", w.Code, w.Body)
	}
	w, body := do(t, srv[1], postForm(form(a).Encode()))
	want := `client_assertion jti "` + claims["jti"].(string) + `" was already used by client "` + employerID + `"; every assertion needs a new jti`
	if w.Code != 400 || body["error"] != "invalid_client" || body["error_description"] != want {
		t.Fatalf("replay on replica B = %d %v; want 400 invalid_client: %s", w.Code, body, want)
	}
}

// A replay cache that cannot be reached refuses the assertion with 503
// temporarily_unavailable and the store's Retry-After: never a token.
func TestStore_UnreachableReplayRefuses(t *testing.T) {
	clk := newClock()
	j := journal.New(journal.Config{})
	cfg := testConfig(t, clk)
	cfg.Replay, cfg.Journal = downReplay{}, j
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, body := do(t, s, postForm(form(goodAssertion(t, clk)).Encode()))
	wantDesc := "the replay cache cannot be reached, so the jti cannot be checked: the test state store is unavailable: connection refused"
	if w.Code != 503 || w.Header().Get("Retry-After") != "2" || body["error"] != "temporarily_unavailable" || body["error_description"] != wantDesc {
		t.Fatalf("token with the replay cache down = %d Retry-After %q %v; want 503, 2, temporarily_unavailable: %s", w.Code, w.Header().Get("Retry-After"), body, wantDesc)
	}
	if ev := j.Events(0)[0].Token; ev.Stage != journal.StageCapacity || ev.Verdict != journal.VerdictRefused {
		t.Errorf("journal stage %q verdict %q; want %q, refused", ev.Stage, ev.Verdict, journal.StageCapacity)
	}
	if st := s.Stats(); st.ReplayEntries != -1 {
		t.Errorf("Stats().ReplayEntries = %d; want -1 (the store cannot say)", st.ReplayEntries)
	}
}

// A revocation store that cannot be reached: VerifyAccessToken answers an
// error matching store.ErrUnavailable (the API answers 503, not 401), and
// the revoke knob 503 temporarily_unavailable.
func TestStore_UnreachableRevocations(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.Revocations = downRevocations{store.NewRevocations(0)}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.IssueToken(employerID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyAccessToken(t.Context(), tok, nil); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, ErrInvalid) {
		t.Fatalf("VerifyAccessToken with the store down = %v; want an ErrUnavailable, not ErrInvalid", err)
	}
	w, body := do(t, s.AdminHandler(), adminPost("/__admin/oauth/tokens/revoke", `{}`))
	wantDesc := "the revocation store cannot be reached: the test state store is unavailable: connection refused"
	if w.Code != 503 || w.Header().Get("Retry-After") != "2" || body["error_description"] != wantDesc {
		t.Fatalf("revoke all with the store down = %d %q %v; want 503, Retry-After 2, %s", w.Code, w.Header().Get("Retry-After"), body, wantDesc)
	}
	if n := s.RevokeTokens(); n != 0 {
		t.Errorf("RevokeTokens with the store down = %d; want 0", n)
	}
}

func adminPost(path, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// A fault scoped to a client answers that client's token requests only,
// once its assertion's signature has verified, and before its jti is
// recorded: the same assertion gets a token afterwards. Another client's
// requests, and an assertion naming the client that does not verify,
// never see it.
func TestTenancy_ScopedTokenFault(t *testing.T) {
	clk := newClock()
	j := journal.New(journal.Config{})
	cfg := testConfig(t, clk)
	cfg.Journal = j
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.QueueFault(Fault{Status: 503, Error: "temporarily_unavailable", Detail: "planted for the provider", RetryAfter: 3 * time.Second, Client: providerID}); err != nil {
		t.Fatal(err)
	}
	b := testBundles(t)
	for i := range 3 {
		if w, body := do(t, s, postForm(form(goodAssertion(t, clk)).Encode())); w.Code != 200 {
			t.Fatalf("employer request %d = %d %v; want 200, never the provider's fault", i, w.Code, body)
		}
	}
	forged := sign(t, "RS256", claimsFor(providerID, clk.Now()), b[certgen.RSA2048].Key, nil) // the employer's key
	if w, body := do(t, s, postForm(form(forged).Encode())); w.Code != 400 || body["error"] != "invalid_client" {
		t.Fatalf("an assertion naming the provider, signed with another key = %d %v; want 400 invalid_client", w.Code, body)
	}
	a := sign(t, "ES384", claimsFor(providerID, clk.Now()), b[certgen.P384].Key, nil)
	w, body := do(t, s, postForm(form(a).Encode()))
	if w.Code != 503 || w.Header().Get("Retry-After") != "3" || body["error"] != "temporarily_unavailable" || body["error_description"] != "planted for the provider" {
		t.Fatalf("provider request = %d %q %v; want the planted 503", w.Code, w.Header().Get("Retry-After"), body)
	}
	if w, body := do(t, s, postForm(form(a).Encode())); w.Code != 200 {
		t.Fatalf("the same provider assertion after the fault = %d %v; want 200 (the fault did not consume its jti)", w.Code, body)
	}
	evs := j.Events(0)
	var injected []string
	for _, e := range evs {
		if e.Token.Verdict == journal.VerdictInjected {
			injected = append(injected, e.Token.ClientID+" "+e.Token.Stage)
		}
	}
	if len(injected) != 1 || injected[0] != providerID+" "+journal.StageFault {
		t.Errorf("injected token events = %q; want one, the provider's, at stage fault", injected)
	}
}
