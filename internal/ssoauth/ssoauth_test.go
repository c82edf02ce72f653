package ssoauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/golang-jwt/jwt/v5"
)

func bundle(t *testing.T, k certgen.KeyType) *certgen.Bundle {
	t.Helper()
	b, err := certgen.Create(certgen.Request{Key: k, CommonName: "client"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSign_ClaimsAndAlg(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	for _, tc := range []struct {
		key certgen.KeyType
		alg string
	}{{certgen.RSA2048, "RS256"}, {certgen.P384, "ES384"}, {certgen.P521, "ES512"}} {
		b := bundle(t, tc.key)
		s, err := Assertion{ClientID: "self_service_chaman_123456_abcdefghij", Audience: ProductionToken, Key: b.Key, Cert: b.Cert,
			Now: func() time.Time { return now }, JTI: "j1"}.Sign()
		if err != nil {
			t.Fatal(err)
		}
		var claims jwt.RegisteredClaims
		tok, err := jwt.ParseWithClaims(s, &claims, func(*jwt.Token) (any, error) { return b.Key.Public(), nil },
			jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithValidMethods([]string{tc.alg}))
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		if tok.Header["alg"] != tc.alg || tok.Header["x5t"] != certgen.ThumbprintsOf(b.Cert).X5T {
			t.Errorf("%s: header %v", tc.key, tok.Header)
		}
		if claims.Issuer != claims.Subject || claims.Subject != "self_service_chaman_123456_abcdefghij" || claims.ID != "j1" ||
			claims.Audience[0] != ProductionToken || claims.ExpiresAt.Sub(claims.IssuedAt.Time) != DefaultLifetime {
			t.Errorf("%s: claims %+v", tc.key, claims)
		}
	}
}

func TestSign_Errors(t *testing.T) {
	b := bundle(t, certgen.P384)
	for _, tc := range []struct {
		a   Assertion
		msg string
	}{
		{Assertion{Audience: "x", Key: b.Key}, "ssoauth: an assertion needs a client id, an audience and a key"},
		{Assertion{ClientID: "c", Audience: "x", Key: b.Key, Alg: "XX1"}, `ssoauth: unknown JWS algorithm "XX1"`},
		{Assertion{ClientID: "c", Audience: "x", Key: b.Key, Alg: "RS256"}, "ssoauth: sign assertion with RS256: key is of invalid type"},
	} {
		if _, err := tc.a.Sign(); err == nil || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("Sign = %v; want %q", err, tc.msg)
		}
	}
}

func TestRequestToken(t *testing.T) {
	b := bundle(t, certgen.P384)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.PostFormValue("grant_type") != GrantType ||
			r.PostFormValue("client_assertion_type") != AssertionType {
			http.Error(w, "bad form", 500)
			return
		}
		switch r.PostFormValue("scope") {
		case "bad":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_scope", "error_description": "scope bad is not allowed"})
			return
		case "html":
			w.WriteHeader(502)
			w.Write([]byte("<html>bad gateway</html>"))
			return
		}
		_, err := jwt.Parse(r.PostFormValue("client_assertion"), func(*jwt.Token) (any, error) { return b.Key.Public(), nil },
			jwt.WithAudience(srv.URL+"/token"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"abc","token_type":"Bearer","expires_in":600,"scope":"s"}`))
	}))
	defer srv.Close()
	a, err := Assertion{ClientID: "c", Audience: srv.URL + "/token", Key: b.Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := RequestToken(context.Background(), srv.Client(), srv.URL+"/token", a, "")
	if err != nil || tok.AccessToken != "abc" || tok.ExpiresIn != 600 {
		t.Fatalf("RequestToken = %+v, %v", tok, err)
	}
	_, err = RequestToken(context.Background(), nil, srv.URL+"/token", a, "bad")
	var oe *Error
	if !errors.As(err, &oe) || err.Error() != "ssoauth: token endpoint answered 400 invalid_scope: scope bad is not allowed" {
		t.Errorf("invalid_scope: %v", err)
	}
	_, err = RequestToken(context.Background(), nil, srv.URL+"/token", a, "html")
	if !errors.As(err, &oe) || err.Error() != `ssoauth: token endpoint answered 502 Bad Gateway: "<html>bad gateway</html>"` {
		t.Errorf("502: %v", err)
	}
}

// TestRequestToken_NoTokenEchoed: a 200 that cannot be used is explained
// without printing the access token it holds.
func TestRequestToken_NoTokenEchoed(t *testing.T) {
	const tok = "the-secret-access-token"
	for _, tt := range []struct{ body, want string }{
		{`{"access_token":"` + tok + `","token_type":"mac"}`, `ssoauth: token response has token_type "mac"; want Bearer (RFC 6750)`},
		{`{"access_token":"` + tok + `",`, "ssoauth: token response is not JSON: unexpected end of JSON input (42 bytes holding an access_token, not shown)"},
		{`{"token_type":"Bearer"}`, "ssoauth: token response lacks an access_token"},
		{`<html>`, `ssoauth: token response is not JSON: invalid character '<' looking for beginning of value: "<html>"`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(tt.body))
		}))
		_, err := RequestToken(t.Context(), srv.Client(), srv.URL, "a.b.c", "")
		srv.Close()
		if err == nil || err.Error() != tt.want || strings.Contains(err.Error(), tok) {
			t.Errorf("body %s: error %v\nwant %s", tt.body, err, tt.want)
		}
	}
}
