// Package ssoauth is a small, independent client of the Social Security
// OAuth v5 token endpoint: it signs the client assertion (RFC 7523
// private_key_jwt, seed manual §6.1) and exchanges it for an access token
// (RFC 6749 §4.4). `flamock token` and the conformance reference client use
// it; it shares no code with the mocks, so it checks them rather than
// agreeing with them by construction.
package ssoauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Protocol constants (RFC 7523 §2.2, RFC 6749 §4.4).
const (
	AssertionType     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	GrantType         = "client_credentials"
	DefaultLifetime   = 5 * time.Minute
	ProductionToken   = "https://services.socialsecurity.be/REST/oauth/v5/token"
	AcceptanceToken   = "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"
	maxResponseLength = 1 << 20
)

// Assertion describes a client assertion to sign.
type Assertion struct {
	ClientID string        // iss and sub
	Audience string        // aud: the token URL
	Key      crypto.Signer // the private key of the registered certificate
	// Cert, when set, adds its SHA-1 thumbprint as the x5t header.
	Cert *x509.Certificate
	// Alg defaults to RS256 for RSA, ES384 for P-384 and ES512 for P-521.
	Alg string
	// Lifetime is exp − iat; default DefaultLifetime (the portal allows at most 10 minutes).
	Lifetime time.Duration
	// JTI defaults to 32 random bytes, base64url.
	JTI string
	Now func() time.Time // default time.Now
}

// DefaultAlg returns the JWS algorithm that fits key.
func DefaultAlg(key crypto.PublicKey) (string, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return "RS256", nil
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256":
			return "ES256", nil
		case "P-384":
			return "ES384", nil
		case "P-521":
			return "ES512", nil
		}
	}
	return "", fmt.Errorf("ssoauth: no JWS algorithm for a %T key", key)
}

// Sign returns the compact JWS of the assertion.
func (a Assertion) Sign() (string, error) {
	if a.ClientID == "" || a.Audience == "" || a.Key == nil {
		return "", errors.New("ssoauth: an assertion needs a client id, an audience and a key")
	}
	alg := a.Alg
	if alg == "" {
		var err error
		if alg, err = DefaultAlg(a.Key.Public()); err != nil {
			return "", err
		}
	}
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		return "", fmt.Errorf("ssoauth: unknown JWS algorithm %q", alg)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	life := a.Lifetime
	if life == 0 {
		life = DefaultLifetime
	}
	jti := a.JTI
	if jti == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("ssoauth: jti: %w", err)
		}
		jti = base64.RawURLEncoding.EncodeToString(b[:])
	}
	t := now()
	claims := jwt.RegisteredClaims{
		Issuer:    a.ClientID,
		Subject:   a.ClientID,
		Audience:  jwt.ClaimStrings{a.Audience},
		IssuedAt:  jwt.NewNumericDate(t),
		ExpiresAt: jwt.NewNumericDate(t.Add(life)),
		ID:        jti,
	}
	tok := jwt.NewWithClaims(method, claims)
	if a.Cert != nil {
		sum := sha1.Sum(a.Cert.Raw)
		tok.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	s, err := tok.SignedString(a.Key)
	if err != nil {
		return "", fmt.Errorf("ssoauth: sign assertion with %s: %w", alg, err)
	}
	return s, nil
}

// Token is a successful token response (RFC 6749 §5.1).
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// Error is an RFC 6749 §5.2 error response, or an answer that was not one.
type Error struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Body        string `json:"-"` // the raw body when it was not RFC 6749 JSON
	RetryAfter  string `json:"-"`
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("ssoauth: token endpoint answered %d %s: %.200q", e.Status, http.StatusText(e.Status), e.Body)
	}
	s := fmt.Sprintf("ssoauth: token endpoint answered %d %s", e.Status, e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// RequestToken posts the assertion to tokenURL and returns the token. scope
// may be empty (the client's default scopes). client may be nil.
func RequestToken(ctx context.Context, client *http.Client, tokenURL, assertion, scope string) (*Token, error) {
	if client == nil {
		client = http.DefaultClient
	}
	form := url.Values{
		"grant_type":            {GrantType},
		"client_assertion_type": {AssertionType},
		"client_assertion":      {assertion},
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("ssoauth: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ssoauth: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseLength))
	if err != nil {
		return nil, fmt.Errorf("ssoauth: read token response: %w", err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
		if mt != "application/json" || json.Unmarshal(body, e) != nil || e.Code == "" {
			e.Code, e.Description, e.Body = "", "", string(body)
		}
		return nil, e
	}
	// The body of a 200 may hold a token: it is never echoed whole.
	var tok Token
	if err := json.Unmarshal(body, &tok); err != nil {
		if bytes.Contains(body, []byte("access_token")) {
			return nil, fmt.Errorf("ssoauth: token response is not JSON: %w (%d bytes holding an access_token, not shown)", err, len(body))
		}
		return nil, fmt.Errorf("ssoauth: token response is not JSON: %w: %.200q", err, body)
	}
	switch {
	case tok.AccessToken == "":
		return nil, errors.New("ssoauth: token response lacks an access_token")
	case !strings.EqualFold(tok.TokenType, "Bearer"):
		return nil, fmt.Errorf("ssoauth: token response has token_type %q; want Bearer (RFC 6750)", tok.TokenType)
	}
	return &tok, nil
}
