package main

import (
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
)

// Run-time admin state shared by real `flamock serve --store postgres://`
// replicas: clients added and removed through the admin API, and the FLA
// mandates. The test is the balancer, as in replicas_test.go.

const runtimeClientID = "self_service_chaman_555555_runtimecli"

// addClient registers a new client through p's admin API and returns it
// for s.assertion.
func (s *sandbox) addClient(t *testing.T, p *servedProcess, id string) {
	t.Helper()
	b, err := certgen.Create(certgen.Request{Key: certgen.RSA2048, CommonName: "run-time client", EnterpriseNumber: "0555555523"})
	if err != nil {
		t.Fatal(err)
	}
	s.bundles[id] = b
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Cert.Raw}))
	body := fmt.Sprintf(`{"clientId":%q,"quality":"employer","enterpriseNumber":"0555555523","certificates":[%s]}`, id, strconv.Quote(cert))
	if r := s.admin(t, p, "POST", "/__admin/oauth/clients", body); r.status != 201 {
		t.Fatalf("add client through %s: %d %s", p.base, r.status, r.raw)
	}
}

// refusedAsUnknown checks that p refuses id's assertion as an unknown client.
func (s *sandbox) refusedAsUnknown(t *testing.T, p *servedProcess, id, what string) {
	t.Helper()
	code, _, body := s.tokenRequest(t, p, s.assertion(t, id))
	want := fmt.Sprintf("unknown client %q: no client with this id is registered", id)
	if code != 400 || body["error"] != "invalid_client" || body["error_description"] != want {
		t.Fatalf("%s: %d %v; want 400 invalid_client %q", what, code, body, want)
	}
}

// A client added through A's admin API gets a token from B at once;
// removed through B, it is refused by A. A configured client removed
// through A is refused by B and by a replica started afterwards (the
// removal is shared state, not a fresh start from the config file).
func TestReplicas_RuntimeClientsShared(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	s.addClient(t, a, runtimeClientID)
	tok := s.token(t, b, runtimeClientID)
	url := trainingsURL("", "555555523", testSSIN(7), 2023)
	if r := call(t, s.client, "GET", a.base+url, tok, ""); r.status != 404 {
		t.Fatalf("the run-time client's token (from B) on A: %d %s", r.status, r.raw)
	}
	if r := s.admin(t, b, "DELETE", "/__admin/oauth/clients/"+runtimeClientID, ""); r.status != 200 {
		t.Fatalf("remove the client through B: %d %s", r.status, r.raw)
	}
	s.refusedAsUnknown(t, a, runtimeClientID, "removed through B, token request on A")
	if r := s.admin(t, a, "DELETE", "/__admin/oauth/clients/"+testProviderID, ""); r.status != 200 {
		t.Fatalf("remove a configured client through A: %d %s", r.status, r.raw)
	}
	s.refusedAsUnknown(t, b, testProviderID, "configured client removed through A, token request on B")
	s.refusedAsUnknown(t, s.start(t), testProviderID, "configured client removed through A, token request on a new replica")
	list := s.admin(t, b, "GET", "/__admin/oauth/clients", "")
	if list.status != 200 || strings.Contains(list.raw, testProviderID) || strings.Contains(list.raw, runtimeClientID) || !strings.Contains(list.raw, testEmployerID) {
		t.Fatalf("clients listed by B: %d %s", list.status, list.raw)
	}
}

// Mandates PUT through A govern B's next call; restored through B, A's.
func TestReplicas_MandatesShared(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	tok := s.token(t, a, testProviderID)
	url := trainingsURL("", "403019261", testSSIN(8), 2023)
	if r := call(t, s.client, "GET", b.base+url, tok, ""); r.status != 404 {
		t.Fatalf("the provider, mandated in the config, on B: %d %s", r.status, r.raw)
	}
	if r := s.admin(t, a, "PUT", "/__admin/mandates", `{"mandates":[]}`); r.status != 204 {
		t.Fatalf("PUT no mandates through A: %d %s", r.status, r.raw)
	}
	r := call(t, s.client, "GET", b.base+url, tok, "")
	if d, _ := r.body["detail"].(string); r.status != 403 || !strings.Contains(d, "has no active FLA mandate from employer 0403019261") {
		t.Fatalf("mandates emptied through A, the provider on B: %d %s", r.status, r.raw)
	}
	mandate := fmt.Sprintf(`{"mandates":[{"provider":%q,"employer":%q}]}`, testProviderEnt, testEmployerEnt)
	if r := s.admin(t, b, "PUT", "/__admin/mandates", mandate); r.status != 204 {
		t.Fatalf("PUT the mandate through B: %d %s", r.status, r.raw)
	}
	if r := call(t, s.client, "GET", a.base+url, tok, ""); r.status != 404 {
		t.Fatalf("mandate restored through B, the provider on A: %d %s", r.status, r.raw)
	}
	if r := s.admin(t, a, "GET", "/__admin/mandates", ""); r.status != 200 || !strings.Contains(r.raw, testProviderEnt) {
		t.Fatalf("mandates listed by A: %d %s", r.status, r.raw)
	}
}

// PostgreSQL stopped: a removed client gets 503 temporarily_unavailable,
// never a token from what a replica held before; a provider's call that
// needs the mandates answers 503 with Retry-After; the admin endpoints of
// both answer 503. PostgreSQL back: the removal still holds.
func TestReplicas_RuntimeStateOutage(t *testing.T) {
	s := startSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	s.addClient(t, a, runtimeClientID)
	s.token(t, b, runtimeClientID) // B has read the client
	provTok := s.token(t, b, testProviderID)
	if r := s.admin(t, a, "DELETE", "/__admin/oauth/clients/"+runtimeClientID, ""); r.status != 200 {
		t.Fatalf("remove the client through A: %d %s", r.status, r.raw)
	}
	if err := s.pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	code, hdr, body := s.tokenRequest(t, b, s.assertion(t, runtimeClientID))
	// Whichever stage reads the store first answers (the planted faults, the
	// client registry, the replay cache): the removed client is not served.
	if d, _ := body["error_description"].(string); code != 503 || body["error"] != "temporarily_unavailable" || hdr.Get("Retry-After") == "" ||
		!strings.Contains(d, "the postgres state store is unavailable: ") {
		t.Fatalf("removed client during the outage, on B: %d %v (Retry-After %q)", code, body, hdr.Get("Retry-After"))
	}
	url := trainingsURL("", "403019261", testSSIN(9), 2023)
	if r := call(t, s.client, "GET", a.base+url, provTok, ""); r.status != 503 {
		t.Fatalf("provider's call during the outage: %d %s", r.status, r.raw)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/__admin/oauth/clients", ""},
		{"DELETE", "/__admin/oauth/clients/" + testEmployerID, ""},
		{"GET", "/__admin/mandates", ""},
		{"PUT", "/__admin/mandates", `{"mandates":[]}`},
	} {
		if r := s.admin(t, b, c.method, c.path, c.body); r.status != 503 {
			t.Fatalf("%s %s during the outage: %d %s", c.method, c.path, r.status, r.raw)
		}
	}
	if err := s.pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitBack(t, s, s.token(t, a, testEmployerID))
	s.refusedAsUnknown(t, b, runtimeClientID, "removed client after the outage, on B")
	if r := call(t, s.client, "GET", a.base+url, provTok, ""); r.status != 404 {
		t.Fatalf("provider's call after the outage: %d %s", r.status, r.raw)
	}
}
