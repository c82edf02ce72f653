package main

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/golang-jwt/jwt/v5"
)

// TestServe_JWTAccessTokens: the real binary issues RS256 JWT access tokens
// signed by the key of oauth.signingKey, publishes it at the JWKS URL of
// its banner, and the API accepts the token; oauth.accessTokens: opaque
// brings back opaque tokens.
func TestServe_JWTAccessTokens(t *testing.T) {
	keyDir := t.TempDir()
	sk, err := certgen.Create(certgen.Request{Key: certgen.RSA2048, CommonName: "access token signing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.WriteFiles(filepath.Join(keyDir, "signing"), "changeit", certgen.Modern); err != nil {
		t.Fatal(err)
	}
	cfg, bundles := writeTestConfig(t, "oauth:\n  signingKey: "+filepath.Join(keyDir, "signing.p12")+"\n  signingKeyPassword: changeit\n")
	p := startServe(t, "--config", cfg)
	if !strings.Contains(p.banner, "JWKS           "+p.base+"/REST/oauth/v5/jwks") {
		t.Errorf("banner lacks the JWKS URL:\n%s", p.banner)
	}
	tok := getToken(t, http.DefaultClient, p.base, testEmployerID, bundles[testEmployerID])

	resp, err := http.Get(p.base + "/REST/oauth/v5/jwks")
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []map[string]string }
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %v", err, set)
	}
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0]["n"])
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	if !pub.Equal(sk.Key.Public()) {
		t.Error("the JWKS key is not the configured signing key")
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"})).ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil })
	if err != nil || parsed.Header["kid"] != set.Keys[0]["kid"] {
		t.Fatalf("token does not verify with the JWKS key: %v (header %v)", err, parsed.Header)
	}
	if claims["sub"] != testEmployerID || claims["iss"] != p.base || claims["urn:be:fgov:kbo-bce:organization:cbe-number"] != testEmployerEnt {
		t.Errorf("claims %v", claims)
	}
	url := trainingsURL(p.base, "403019261", "65111899801", 2023)
	if r := call(t, http.DefaultClient, "PUT", url, tok, trainingsBody(t)); r.status != 200 {
		t.Errorf("PUT with the JWT: %d %s", r.status, r.raw)
	}
	if r := call(t, http.DefaultClient, "GET", url, tok, ""); r.status != 200 {
		t.Errorf("GET with the JWT: %d %s", r.status, r.raw)
	}

	cfg, bundles = writeTestConfig(t, "oauth:\n  accessTokens: opaque\n")
	p = startServe(t, "--config", cfg)
	tok = getToken(t, http.DefaultClient, p.base, testEmployerID, bundles[testEmployerID])
	if strings.Count(tok, ".") != 0 || len(tok) != 43 {
		t.Errorf("opaque token %q", tok)
	}
}

// TestServe_AudienceFromEnvironment: a container reached by a name (a CI
// service) gets its audience from FLAMOCK_AUDIENCE, as the Host header
// never sets it; the config's oauth.audience wins over it.
func TestServe_AudienceFromEnvironment(t *testing.T) {
	const aud = "http://flamock:8080/REST/oauth/v5/token"
	t.Setenv(audienceEnv, aud)
	opts, err := parseServeFlags(nil, io.Discard, io.Discard)
	if err != nil || opts.fc.OAuth.Audience != aud {
		t.Fatalf("audience %q (%v); want %q from $%s", opts.fc.OAuth.Audience, err, aud, audienceEnv)
	}
	cfg, _ := writeTestConfig(t, "oauth:\n  audience: https://flamock.example/REST/oauth/v5/token\n")
	if opts, err = parseServeFlags([]string{"--config", cfg}, io.Discard, io.Discard); err != nil || opts.fc.OAuth.Audience != "https://flamock.example/REST/oauth/v5/token" {
		t.Fatalf("audience %q (%v); want the config's", opts.fc.OAuth.Audience, err)
	}
}
