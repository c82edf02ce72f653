package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/pgtest"
	"github.com/flamock/flamock/internal/ssoauth"
)

// The replica tests: real `flamock serve --store postgres://...` processes
// on one real PostgreSQL that the test starts (internal/pgtest), as a
// shared sandbox runs behind a load balancer. The balancer is the test
// itself, sending each request to the replica it chooses.

// sharedAudience is the token URL every replica is configured with: the
// balancer's, as clients see it.
const sharedAudience = "http://sandbox.test/REST/oauth/v5/token"

type sandbox struct {
	pg       *pgtest.Server
	dsn      string
	cfg      string
	bundles  map[string]*certgen.Bundle
	replicas []*servedProcess
	client   *http.Client
}

// startSandbox starts PostgreSQL and n replicas on one database.
func startSandbox(t *testing.T, n int) *sandbox {
	t.Helper()
	flamockBinary(t) // skips with -short before PostgreSQL starts
	s := &sandbox{pg: pgtest.Start(t), client: &http.Client{Timeout: 15 * time.Second}}
	s.dsn = s.pg.DB(t)
	s.cfg, s.bundles = writeTestConfig(t, "oauth:\n  audience: "+sharedAudience+"\n")
	for range n {
		s.replicas = append(s.replicas, s.start(t))
	}
	return s
}

func (s *sandbox) start(t *testing.T) *servedProcess {
	t.Helper()
	return startServe(t, "--config", s.cfg, "--store", s.dsn)
}

// assertion signs a fresh client assertion for the shared audience.
func (s *sandbox) assertion(t *testing.T, id string) string {
	t.Helper()
	a, err := ssoauth.Assertion{ClientID: id, Audience: sharedAudience, Key: s.bundles[id].Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tokenRequest posts an assertion to a replica's token endpoint.
func (s *sandbox) tokenRequest(t *testing.T, p *servedProcess, assertion string) (int, http.Header, map[string]any) {
	t.Helper()
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	resp, err := s.client.PostForm(p.base+"/REST/oauth/v5/token", form)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &body)
	return resp.StatusCode, resp.Header, body
}

func (s *sandbox) token(t *testing.T, p *servedProcess, id string) string {
	t.Helper()
	code, _, body := s.tokenRequest(t, p, s.assertion(t, id))
	tok, _ := body["access_token"].(string)
	if code != 200 || tok == "" {
		t.Fatalf("token for %s from %s: %d %v", id, p.base, code, body)
	}
	return tok
}

func (s *sandbox) admin(t *testing.T, p *servedProcess, method, path, body string) apiResult {
	t.Helper()
	return call(t, s.client, method, p.base+path, "", body)
}

// 100 of 100 assertions accepted by one replica are refused when replayed
// on the other; a token issued by either is accepted by both, whose JWKS
// list the same shared key.
func TestReplicas_ReplayRefusedAndTokensShared(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	refused := 0
	for i := range 100 {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		as := s.assertion(t, testEmployerID)
		if code, _, body := s.tokenRequest(t, first, as); code != 200 {
			t.Fatalf("assertion %d on its first replica: %d %v", i, code, body)
		}
		code, _, body := s.tokenRequest(t, second, as)
		if d, _ := body["error_description"].(string); code == 400 && body["error"] == "invalid_client" && strings.Contains(d, "already used") {
			refused++
		} else {
			t.Errorf("assertion %d replayed on the other replica: %d %v", i, code, body)
		}
	}
	if refused != 100 {
		t.Fatalf("%d of 100 replayed assertions refused", refused)
	}
	jwksA := call(t, s.client, "GET", a.base+"/REST/oauth/v5/jwks", "", "")
	jwksB := call(t, s.client, "GET", b.base+"/REST/oauth/v5/jwks", "", "")
	if jwksA.status != 200 || jwksA.raw != jwksB.raw || !strings.Contains(jwksA.raw, `"kid"`) {
		t.Fatalf("JWKS differ or are empty:\nA %d %s\nB %d %s", jwksA.status, jwksA.raw, jwksB.status, jwksB.raw)
	}
	url := trainingsURL("", "403019261", testSSIN(1), 2023)
	tokB := s.token(t, b, testEmployerID)
	if r := call(t, s.client, "GET", a.base+url, tokB, ""); r.status != 404 {
		t.Fatalf("B's token on A: %d %s (want the 404 of an absent resource, not a 401)", r.status, r.raw)
	}
}

// PUT on A then GET on B answers the same bytes; DELETE on B then GET on
// A is a 404.
func TestReplicas_PutGetDelete(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	tok := s.token(t, a, testEmployerID)
	url := trainingsURL("", "403019261", testSSIN(2), 2023)
	put := call(t, s.client, "PUT", a.base+url, tok, trainingsBody(t))
	if put.status != 200 {
		t.Fatalf("PUT on A: %d %s", put.status, put.raw)
	}
	get := call(t, s.client, "GET", b.base+url, tok, "")
	if get.status != 200 || get.raw != put.raw {
		t.Fatalf("GET on B: %d %s\nPUT on A answered %s", get.status, get.raw, put.raw)
	}
	if del := call(t, s.client, "DELETE", b.base+url, tok, ""); del.status/100 != 2 {
		t.Fatalf("DELETE on B: %d %s", del.status, del.raw)
	}
	if r := call(t, s.client, "GET", a.base+url, tok, ""); r.status != 404 {
		t.Fatalf("GET on A after DELETE on B: %d %s", r.status, r.raw)
	}
}

// A fault queued through A fires exactly once across A and B; a fault
// scoped to client X never reaches client Y, on either replica.
func TestReplicas_FaultsOnceAndScoped(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	tokX := s.token(t, a, testEmployerID)
	tokY := s.token(t, b, testProviderID)
	url := trainingsURL("", "403019261", testSSIN(3), 2023)
	if r := s.admin(t, a, "POST", "/__admin/faults", `{"method":"GET","path":"/REST/*","status":503,"retryAfter":"2s"}`); r.status != 201 {
		t.Fatalf("queue a fault on A: %d %s", r.status, r.raw)
	}
	got := 0
	for i := range 10 {
		p := s.replicas[i%2]
		switch r := call(t, s.client, "GET", p.base+url, tokX, ""); r.status {
		case 503:
			got++
		case 404:
		default:
			t.Fatalf("GET %d: %d %s", i, r.status, r.raw)
		}
	}
	if got != 1 {
		t.Fatalf("the fault fired %d times across A and B; want once", got)
	}

	scoped := fmt.Sprintf(`{"method":"GET","path":"/REST/*","status":429,"count":3,"clientId":%q}`, testEmployerID)
	if r := s.admin(t, b, "POST", "/__admin/faults", scoped); r.status != 201 {
		t.Fatalf("queue a scoped fault on B: %d %s", r.status, r.raw)
	}
	for i := range 6 {
		if r := call(t, s.client, "GET", s.replicas[i%2].base+url, tokY, ""); r.status == 429 {
			t.Fatalf("client Y got client X's fault on replica %d: %s", i%2, r.raw)
		}
	}
	got = 0
	for i := range 6 {
		if r := call(t, s.client, "GET", s.replicas[i%2].base+url, tokX, ""); r.status == 429 {
			got++
		}
	}
	if got != 3 {
		t.Fatalf("client X got its fault %d times; want 3", got)
	}
}

// verify --store judges a client whose calls alternated between the
// replicas as one run: an assertion used on A and replayed on B is one
// client's jti reuse, seen only in the shared journal.
func TestReplicas_VerifyAlternatingClient(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	as := s.assertion(t, testEmployerID)
	if code, _, body := s.tokenRequest(t, a, as); code != 200 {
		t.Fatalf("token on A: %d %v", code, body)
	}
	if code, _, _ := s.tokenRequest(t, b, as); code != 400 {
		t.Fatalf("replay on B: %d", code)
	}
	tok := s.token(t, b, testEmployerID)
	url := trainingsURL("", "403019261", testSSIN(4), 2023)
	for i := range 4 {
		method, body := "PUT", trainingsBody(t)
		if i%2 == 1 {
			method, body = "GET", ""
		}
		if r := call(t, s.client, method, s.replicas[i%2].base+url, tok, body); r.status != 200 {
			t.Fatalf("%s on replica %d: %d %s", method, i%2, r.status, r.raw)
		}
	}
	code, out, errOut := flamock(t, "verify", "--store", s.dsn, "--client-id", testEmployerID, "--token-url", sharedAudience)
	if code != 1 {
		t.Fatalf("verify --store: exit %d; want 1 (the jti reused across replicas)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"FAIL  OAUTH-JTI-01", "PASS  OAUTH-AUD-01", "PASS  TOKEN-HEADER-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify --store report lacks %q\n%s", want, out)
		}
	}
}
