package stack_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles/generic"
	"github.com/flamock/flamock/stack"
	"github.com/flamock/flamock/store"
)

const (
	sandboxAudience = "https://sandbox.example/REST/oauth/v5/token"
	replicaClient   = "self_service_chaman_403019_replicas"
)

// replicas starts two stacks on one backend with one signing key and one
// audience: what two flamock processes behind a load balancer on one
// shared store are.
func replicas(t *testing.T, b store.Backend) (*certgen.Bundle, [2]*stack.TestServer) {
	t.Helper()
	cert, err := certgen.Create(certgen.Request{CommonName: "replicas"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := certgen.Create(certgen.Request{CommonName: "signing", Key: certgen.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	var ts [2]*stack.TestServer
	for i := range ts {
		ts[i] = stack.NewTestServer(t, stack.Config{
			Profile: generic.StackProfile(),
			Specs:   []mockfla.Spec{{Name: "pets.yaml", Data: []byte(petSpec)}},
			Store:   b,
			OAuth: mockoauth.Config{Audience: sandboxAudience, SigningKey: key.Key.(*rsa.PrivateKey),
				Clients: []mockoauth.Client{{ID: replicaClient, Quality: "employer", EnterpriseNumber: "0403019261", Certificates: []*x509.Certificate{cert.Cert}}}},
		})
	}
	return cert, ts
}

func assertion(t *testing.T, cert *certgen.Bundle) string {
	t.Helper()
	a, err := ssoauth.Assertion{ClientID: replicaClient, Audience: sandboxAudience, Key: cert.Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Two stacks on one store behave as one server: an assertion used on A is
// refused on B; a token of A works on B; what A stores B reads; a fault
// planted through A fires once across both; a fault scoped to another
// client never reaches this one; B's journal shows A's calls; a revoke
// through B refuses the token on A.
func TestStack_ReplicasShareOneStore(t *testing.T) {
	b, err := store.NewEmbedded(store.EmbeddedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cert, ts := replicas(t, b)
	a := assertion(t, cert)
	tok, err := ssoauth.RequestToken(context.Background(), ts[0].Client(), ts[0].TokenURL(), a, "")
	if err != nil {
		t.Fatalf("token on A: %v", err)
	}
	_, err = ssoauth.RequestToken(context.Background(), ts[1].Client(), ts[1].TokenURL(), a, "")
	var te *ssoauth.Error
	if !errors.As(err, &te) || te.Code != "invalid_client" || !strings.Contains(te.Description, "was already used by client") {
		t.Fatalf("the same assertion on B = %v; want invalid_client, jti already used", err)
	}
	if code, body := call(t, ts[0], "PUT", "/REST/pets/v1/pets/rex", tok.AccessToken, `{"name":"Rex"}`); code != 200 {
		t.Fatalf("PUT on A = %d %s", code, body)
	}
	if code, body := call(t, ts[1], "GET", "/REST/pets/v1/pets/rex", tok.AccessToken, ""); code != 200 || body != `{"name":"Rex"}` {
		t.Fatalf("GET on B = %d %s; want 200 with what A stored", code, body)
	}
	if code, body := call(t, ts[0], "POST", "/__admin/faults", "", `[{"path":"/REST/pets/*","status":503},{"status":500,"clientId":"someone_else"}]`); code != 201 {
		t.Fatalf("plant faults on A = %d %s", code, body)
	}
	var got []int
	for i := range 4 {
		code, _ := call(t, ts[1-i%2], "GET", "/REST/pets/v1/pets/rex", tok.AccessToken, "")
		got = append(got, code)
	}
	if want := []int{503, 200, 200, 200}; !equalInts(got, want) {
		t.Fatalf("GETs alternating B, A, B, A after a one-request fault on A = %v; want %v", got, want)
	}
	_, body := call(t, ts[1], "GET", "/__admin/journal?clientId="+replicaClient, "", "")
	var page struct {
		Events []struct {
			API *struct{ Method, Path string }
		}
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	if n := len(page.Events); n != 8 { // 2 token requests, PUT, GET, 4 GETs: all of both replicas
		t.Errorf("B's journal of the client holds %d events; want the 8 of both replicas", n)
	}
	if code, body := call(t, ts[1], "POST", "/__admin/oauth/tokens/revoke", "", `{}`); code != 200 {
		t.Fatalf("revoke all on B = %d %s", code, body)
	}
	if code, body := call(t, ts[0], "GET", "/REST/pets/v1/pets/rex", tok.AccessToken, ""); code != 401 || !strings.Contains(body, "invalid: it was revoked") {
		t.Fatalf("GET on A with a token revoked through B = %d %s; want the refusal of a revoked token", code, body)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNew_StoreExcludesEmbeddedSettings(t *testing.T) {
	b, err := store.NewEmbedded(store.EmbeddedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = stack.New(stack.Config{Profile: generic.StackProfile(), Store: b, JournalFile: "j.jsonl", API: mockfla.Config{StateFile: "s.log"}})
	want := "stack: API.StateFile is the embedded store's; with a Store the backend keeps it\nstack: JournalFile is the embedded store's; with a Store the backend keeps it"
	if err == nil || err.Error() != want {
		t.Fatalf("New = %v; want %s", err, want)
	}
}
