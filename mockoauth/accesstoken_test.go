package mockoauth

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/golang-jwt/jwt/v5"
)

// jwksKey fetches the JWK Set over HTTP and rebuilds its one RSA key, as a
// client or an API gateway would.
func jwksKey(t *testing.T, srv http.Handler) (kid string, pub *rsa.PublicKey) {
	t.Helper()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, DefaultJWKSPath, nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("GET jwks: %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks body %s: %v", w.Body, err)
	}
	k := set.Keys[0]
	if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == "" {
		t.Fatalf("jwk %v", k)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(k["n"])
	e, err2 := base64.RawURLEncoding.DecodeString(k["e"])
	if err1 != nil || err2 != nil {
		t.Fatalf("jwk n/e: %v %v", err1, err2)
	}
	return k["kid"], &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// TestAccessToken_JWT: the default access token is an RS256 JWT with a kid,
// whose header starts as the portal's does, verifiable with the published
// JWK Set alone, carrying the documented claims.
func TestAccessToken_JWT(t *testing.T) {
	srv, clk := newTestServerT(t, nil)
	b := testBundles(t)
	body := getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), b[certgen.RSA2048].Key, nil)))
	tok := body["access_token"].(string)
	// {"alg":"RS256","kid":"oauth… — the prefix of the portal's tokens (seed §7.3.1).
	if !strings.HasPrefix(tok, "eyJhbGciOiJSUzI1NiIsImtpZCI6Im9hdXRo") {
		t.Errorf("token %.40s… does not start like the portal's", tok)
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != 600.0 {
		t.Errorf("body %v", body)
	}
	kid, pub := jwksKey(t, srv)
	var c AccessClaims
	parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(clk.Now)).ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return pub, nil })
	if err != nil {
		t.Fatalf("token does not verify with the JWKS key: %v", err)
	}
	if parsed.Header["kid"] != kid {
		t.Errorf("kid %v; JWKS has %s", parsed.Header["kid"], kid)
	}
	now := clk.Now().Unix()
	if c.Issuer != "https://services.socialsecurity.be" || c.Subject != employerID || c.ClientID != employerID ||
		c.IssuedAt.Unix() != now || c.ExpiresAt.Unix() != now+600 || c.ID == "" || c.Scope != ScopeEmployer ||
		c.Quality != QualityEmployer || c.EnterpriseNumber != enterprise(t, "08808206") {
		t.Errorf("claims %+v", c)
	}
	// The raw claim names are those docs/clients.md documents.
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var raw map[string]any
	_ = json.Unmarshal(payload, &raw)
	for _, k := range []string{"iss", "sub", "client_id", "exp", "iat", "jti", "scope", "quality", ClaimEnterpriseNumber} {
		if _, ok := raw[k]; !ok {
			t.Errorf("claim %s missing from %v", k, raw)
		}
	}
	if caller, err := srv.VerifyAccessToken(t.Context(), tok, []string{ScopeEmployer}); err != nil || caller.EnterpriseNumber != c.EnterpriseNumber || caller.Quality != QualityEmployer {
		t.Errorf("VerifyAccessToken = %+v, %v", caller, err)
	}
	// Two tokens differ (jti).
	tok2 := getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), b[certgen.RSA2048].Key, nil)))["access_token"]
	if tok2 == tok {
		t.Error("two token requests got the same token")
	}
}

// TestAccessToken_Verify: what VerifyAccessToken refuses, with the reason.
func TestAccessToken_Verify(t *testing.T) {
	srv, clk := newTestServerT(t, nil)
	good, err := srv.IssueToken(employerID)
	if err != nil {
		t.Fatal(err)
	}
	var hdr map[string]any
	_ = json.Unmarshal([]byte(jwtHeader(t, good)), &hdr)
	kid, _ := hdr["kid"].(string)
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(good, &claims); err != nil {
		t.Fatal(err)
	}
	resign := func(method jwt.SigningMethod, key any, mutate func(jwt.MapClaims), header map[string]any) string {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		if mutate != nil {
			mutate(c)
		}
		tk := jwt.NewWithClaims(method, c)
		tk.Header["kid"] = kid
		for k, v := range header {
			tk.Header[k] = v
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	attacker := extra.attacker.Key.(*rsa.PrivateKey)
	own := extra.signing.Key.(*rsa.PrivateKey)
	parts := strings.Split(good, ".")
	tests := []struct {
		name, token string
		want        error
		text        string
	}{
		{"another key with our kid", resign(jwt.SigningMethodRS256, attacker, nil, nil), ErrInvalid, "not signed by this token server"},
		{"HS256 with the public modulus", resign(jwt.SigningMethodHS256, own.N.Bytes(), nil, nil), ErrInvalid, "signing method HS256 is invalid"},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", ErrInvalid, "not signed by this token server"},
		{"payload swapped", parts[0] + "." + strings.Split(resign(jwt.SigningMethodRS256, own, func(c jwt.MapClaims) { c["scope"] = ScopeProvider }, nil), ".")[1] + "." + parts[2], ErrInvalid, "not signed by this token server"},
		{"unknown kid", resign(jwt.SigningMethodRS256, own, nil, map[string]any{"kid": "oauth-other"}), ErrInvalid, `kid "oauth-other" is not the key id of this server`},
		{"other issuer", resign(jwt.SigningMethodRS256, own, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }, nil), ErrInvalid, `iss "https://evil.example"; want "https://services.socialsecurity.be"`},
		{"foreign jti", resign(jwt.SigningMethodRS256, own, func(c jwt.MapClaims) { c["jti"] = "abc" }, nil), ErrInvalid, `jti "abc" was not made by this token server`},
		{"sub differs from client_id", resign(jwt.SigningMethodRS256, own, func(c jwt.MapClaims) { c["sub"] = otherID }, nil), ErrInvalid, "sub \"" + otherID + "\" and client_id"},
		{"no exp", resign(jwt.SigningMethodRS256, own, func(c jwt.MapClaims) { delete(c, "exp") }, nil), ErrInvalid, "exp or iat missing"},
		{"expired", resign(jwt.SigningMethodRS256, own, func(c jwt.MapClaims) { c["exp"] = clk.Now().Unix() - 1 }, nil), ErrExpired, "expired at 2026-03-02T09:29:59Z (server time 2026-03-02T09:30:00Z)"},
		{"two segments", parts[0] + "." + parts[1], ErrInvalid, "not a JWT of this token server"},
		{"an opaque token", "q2uJk8-FUXXc8pZ9bXqH0p2vK1m3c5yZQw4hT6r7s8A", ErrInvalid, "not a JWT of this token server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.VerifyAccessToken(t.Context(), tt.token, nil)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("VerifyAccessToken = %v; want %v with %q", err, tt.want, tt.text)
			}
		})
	}
	if _, err := srv.VerifyAccessToken(t.Context(), good, nil); err != nil {
		t.Errorf("good token: %v", err)
	}
}

func jwtHeader(t *testing.T, tok string) string {
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// TestAccessToken_Opaque: AccessTokensOpaque keeps the old format, and
// publishes no key.
func TestAccessToken_Opaque(t *testing.T) {
	srv, _ := newTestServerT(t, func(c *Config) { c.AccessTokens = AccessTokensOpaque })
	tok, err := srv.IssueToken(employerID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || strings.Contains(tok, ".") {
		t.Errorf("opaque token %q", tok)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, DefaultJWKSPath, nil))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"keys":[]}` {
		t.Errorf("jwks: %d %s", w.Code, w.Body)
	}
}

// TestAccessToken_JWKSErrors: the JWK Set is read-only, and the access
// token settings are validated.
func TestAccessToken_JWKSErrors(t *testing.T) {
	srv, _ := newTestServerT(t, nil)
	w, body := do(t, srv, httptest.NewRequest(http.MethodPost, DefaultJWKSPath, nil))
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || body["error_description"] != "method is POST; the JWK Set is read with GET" {
		t.Errorf("POST jwks: %d %v %v", w.Code, w.Header(), body)
	}
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodHead, DefaultJWKSPath, nil))
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD jwks: %d %q", w.Code, w.Body)
	}
	small, _ := rsa.GenerateKey(testRand{}, 1024)
	for _, tt := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.AccessTokens = "JWT" }, `access tokens "JWT"; want jwt or opaque`},
		{func(c *Config) { c.JWKSPath = DefaultTokenPath }, `JWKS path "/REST/oauth/v5/token" must start with /, not with /__admin/, and differ from the token path`},
		{func(c *Config) { c.SigningKey = small }, "signing key: want an RSA key of at least 2048 bits"},
	} {
		cfg := testConfig(t, newClock())
		tt.mutate(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New = %v; want %q", err, tt.want)
		}
	}
}

// TestAccessToken_GeneratedKey: with no SigningKey the server makes one,
// once, and its kid is the "oauth-" thumbprint; SigningKeyID names it.
func TestAccessToken_GeneratedKey(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := srv.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := srv.JWKS()
	ka, kb := a["keys"].([]any)[0].(map[string]string), b["keys"].([]any)[0].(map[string]string)
	if ka["n"] != kb["n"] || !strings.HasPrefix(ka["kid"], "oauth-") || len(ka["kid"]) != len("oauth-")+16 {
		t.Errorf("keys %v / %v", ka, kb)
	}
	cfg := testConfig(t, newClock())
	cfg.SigningKeyID = "oauth-2026"
	srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if kid, _ := jwksKey(t, srv); kid != "oauth-2026" {
		t.Errorf("kid %q", kid)
	}
}

// testRand is a fast deterministic reader for throwaway keys.
type testRand struct{}

func (testRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return len(p), nil
}
