package mockoauth_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/mockoauth"
	"github.com/golang-jwt/jwt/v5"
)

// exampleT stands in for *testing.T in an example.
type exampleT struct{}

func (exampleT) Helper()                           {}
func (exampleT) Cleanup(func())                    {}
func (exampleT) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

func Example() {
	// A certificate the portal would accept, registered for an employer.
	b, err := certgen.Create(certgen.Request{CommonName: "Example employer"})
	if err != nil {
		log.Fatal(err)
	}
	const id = "self_service_chaman_123456_abcdefghij"
	// The qualities and their scopes come from the profile (here the FLA's
	// employer quality; package profiles/fla has them all).
	const scope = "scope:sigedis:gestion:careerpro-federal-learning-account:employer"
	ts := mockoauth.NewTestServer(exampleT{}, mockoauth.Config{
		QualityScopes: map[string][]string{"employer": {scope}},
		Clients: []mockoauth.Client{{
			ID: id, Quality: "employer", EnterpriseNumber: "0880820673",
			Certificates: []*x509.Certificate{b.Cert},
		}},
	})
	defer ts.Close()

	// The client side: a signed assertion, then the token request.
	now := time.Now()
	assertion, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": id, "sub": id, "aud": ts.TokenURL(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": rand.Text(),
	}).SignedString(b.Key)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.PostForm(ts.TokenURL(), url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {mockoauth.ClientAssertionType},
		"client_assertion":      {assertion},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, tok.Scope, tok.ExpiresIn)

	// The API side: who is calling?
	caller, err := ts.VerifyAccessToken(context.Background(), tok.AccessToken, []string{scope})
	fmt.Println(caller.ClientID == id, caller.Quality, caller.EnterpriseNumber, err)
	// Output:
	// 200 scope:sigedis:gestion:careerpro-federal-learning-account:employer 600
	// true employer 0880820673 <nil>
}

func ExampleServer_FailNext() {
	srv, err := mockoauth.New(mockoauth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	// The next two token requests get a 503 with Retry-After, as a client's
	// back-off logic should handle.
	srv.FailNext(2, mockoauth.Fault{Status: http.StatusServiceUnavailable, Error: "temporarily_unavailable", RetryAfter: 5 * time.Second})
	fmt.Println("planted")
	// Output: planted
}
