// Command refclient is flamock's reference client for the conformance
// adapter contract (conformance/CONTRACT.md). It gets a token from the
// Social Security OAuth v5 token endpoint with a private_key_jwt client
// assertion, runs the operations of FLAMOCK_OPERATIONS in order, and prints
// one JSON result line per operation.
//
// It is written independently of the mocks: net/http, golang-jwt and
// certgen (only to read the PKCS#12 file). It passes every rule of the
// catalogue; FLAMOCK_REFCLIENT_BUG=<name> plants one known bug (see bugs)
// so that the suite can prove it catches it.
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flamock/flamock/certgen"
)

// bugs are the defects FLAMOCK_REFCLIENT_BUG can plant, one at a time.
var bugs = []string{
	"exp-hour",                // assertion exp one hour after iat
	"reused-jti",              // the same jti in every assertion
	"aud-trailing-slash",      // aud = token URL + "/"
	"alg-none",                // unsigned assertion, alg none
	"iss-not-sub",             // iss differs from sub
	"client-secret",           // sends a client_secret too
	"wrong-scope",             // asks for the scope of another quality
	"token-per-call",          // a new token for every call
	"token-in-query",          // the token in the URL query, not the header
	"no-renewal-after-401",    // a 401 is reported, the token kept
	"endless-retry-after-401", // renews and retries after every 401 (up to 5 times)
	"retry-400",               // retries 400, 403 and 404
	"ignore-retry-after",      // retries 429 and 503 at once
	"no-backoff",              // retries 500 three times at once
	"skip-tls-verify",         // accepts any server certificate
	"unmandated-employer",     // the first employer call goes to another employer
	"hide-detail",             // reports the status of a problem, not its body
	"iat-future",              // iat five minutes ahead of the clock
	"no-iat-exp-hour",         // no iat, exp one hour ahead
	"fixed-backoff",           // retries 500 three times, 50 ms apart
	"endless-retry-429",       // retries 429 and 503 (honouring Retry-After) up to 10 times
	"client-id-field",         // sends a client_id form field that is not its client id
}

const (
	assertionLifetime = 5 * time.Minute
	renewMargin       = 60 * time.Second
	maxRetries        = 2 // after 429, 503 or 500
	maxRetryAfter     = 10 * time.Second
)

type operation struct {
	ID          string          `json:"id"`
	OperationID string          `json:"operationId"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Body        json.RawMessage `json:"body"`
	PauseMillis int             `json:"pauseMs"`
}

type result struct {
	ID     string          `json:"id"`
	Status int             `json:"status,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
	Error  string          `json:"error,omitempty"`
}

type client struct {
	bug      string
	http     *http.Client
	tokenURL string
	apiURL   string
	clientID string
	scope    string
	key      crypto.Signer
	method   jwt.SigningMethod

	token    string
	expires  time.Time
	fixedJTI string
	rewrote  bool
}

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("refclient: ")
	if err := run(); err != nil {
		log.Printf("%v", err)
		os.Exit(1)
	}
}

func run() error {
	bug := os.Getenv("FLAMOCK_REFCLIENT_BUG")
	if bug != "" && !slices.Contains(bugs, bug) {
		return fmt.Errorf("unknown FLAMOCK_REFCLIENT_BUG %q; known: %s", bug, strings.Join(bugs, ", "))
	}
	env := func(name string) (string, error) {
		v := os.Getenv(name)
		if v == "" {
			return "", fmt.Errorf("%s is not set", name)
		}
		return v, nil
	}
	var errs []error
	must := func(name string) string {
		v, err := env(name)
		errs = append(errs, err)
		return v
	}
	c := &client{
		bug:      bug,
		tokenURL: must("FLAMOCK_TOKEN_URL"),
		apiURL:   strings.TrimSuffix(must("FLAMOCK_API_URL"), "/"),
		clientID: must("FLAMOCK_CLIENT_ID"),
		scope:    os.Getenv("FLAMOCK_SCOPE"),
	}
	p12, caFile, opsFile := must("FLAMOCK_KEY_P12"), must("FLAMOCK_CA_FILE"), must("FLAMOCK_OPERATIONS")
	if err := errors.Join(errs...); err != nil {
		return err
	}
	loaded, err := certgen.LoadFile(p12, os.Getenv("FLAMOCK_KEY_P12_PASSWORD"))
	if err != nil {
		return err
	}
	if loaded.Key == nil {
		return fmt.Errorf("%s holds no private key", p12)
	}
	c.key = loaded.Key
	switch k := c.key.Public().(type) {
	case *rsa.PublicKey:
		c.method = jwt.SigningMethodRS256
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-384":
			c.method = jwt.SigningMethodES384
		case "P-521":
			c.method = jwt.SigningMethodES512
		default:
			c.method = jwt.SigningMethodES256
		}
	default:
		return fmt.Errorf("unsupported key %T", k)
	}
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	tlsConf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if bug == "skip-tls-verify" {
		tlsConf = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a planted bug
	}
	c.http = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: true}}

	data, err := os.ReadFile(opsFile)
	if err != nil {
		return err
	}
	var file struct {
		Operations []operation `json:"operations"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("%s: %w", opsFile, err)
	}
	out := json.NewEncoder(os.Stdout)
	ctx := context.Background()
	for _, op := range file.Operations {
		if op.PauseMillis > 0 {
			time.Sleep(time.Duration(op.PauseMillis) * time.Millisecond)
		}
		r := c.do(ctx, op)
		if err := out.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// do runs one operation with the retry policy: one renewal and retry after
// a 401, Retry-After on 429 and 503, back-off on 500, nothing else retried.
func (c *client) do(ctx context.Context, op operation) result {
	res := result{ID: op.ID}
	renewals, retries := 0, 0
	maxRenewals := 1
	if c.bug == "endless-retry-after-401" {
		maxRenewals = 5
	}
	path := op.Path
	if c.bug == "unmandated-employer" && !c.rewrote {
		if p := employerPath.ReplaceAllString(path, "/employers/0403019261/"); p != path {
			path, c.rewrote = p, true
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			res.Error = "token: " + err.Error()
			return res
		}
		status, hdr, body, err := c.call(ctx, op, path, tok)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		switch {
		case status == http.StatusUnauthorized && c.bug == "no-renewal-after-401":
		case status == http.StatusUnauthorized && renewals < maxRenewals:
			renewals++
			c.token = "" // never use a refused token again
			continue
		case status == http.StatusUnauthorized:
			c.token = ""
		case (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && c.bug == "endless-retry-429" && retries < 10:
			retries++
			time.Sleep(retryAfter(hdr.Get("Retry-After")))
			continue
		case (status == 500 || status == 502 || status == 504) && (c.bug == "fixed-backoff" || c.bug == "no-backoff") && retries < 3:
			// Three retries, the most the bound allows: the third must come
			// 700 ms after the first 500, far from 3 × 50 ms or 0 ms even on
			// a loaded machine.
			retries++
			if c.bug == "fixed-backoff" {
				time.Sleep(50 * time.Millisecond)
			}
			continue
		case (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && retries < maxRetries:
			retries++
			if c.bug != "ignore-retry-after" {
				time.Sleep(retryAfter(hdr.Get("Retry-After")))
			}
			continue
		case (status == 500 || status == 502 || status == 504) && retries < maxRetries:
			time.Sleep(backoff(retries))
			retries++
			continue
		case (status == 400 || status == 403 || status == 404) && c.bug == "retry-400" && retries < maxRetries:
			retries++
			continue
		}
		res.Status = status
		res.Body = asJSON(body)
		if c.bug == "hide-detail" && status >= 400 {
			res.Body = json.RawMessage(fmt.Sprintf(`{"status":%d}`, status))
		}
		return res
	}
}

// backoff is the wait before retry n+1 of a server error: exponential
// (200, 400 ms...) with jitter drawn from its upper half.
func backoff(n int) time.Duration {
	d := time.Duration(200<<n) * time.Millisecond
	return d/2 + rand.N(d/2+1)
}

var employerPath = regexp.MustCompile(`^/employers/[0-9]+/`)

// retryAfter reads delay-seconds or an HTTP date; absent means 1 s.
func retryAfter(v string) time.Duration {
	d := time.Second
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	return min(max(d, 0), maxRetryAfter)
}

func asJSON(b []byte) json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

func (c *client) call(ctx context.Context, op operation, path, tok string) (int, http.Header, []byte, error) {
	u := c.apiURL + path
	if c.bug == "token-in-query" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "access_token=" + url.QueryEscape(tok)
	}
	var body io.Reader
	if len(op.Body) > 0 {
		body = bytes.NewReader(op.Body)
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, u, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if c.bug != "token-in-query" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: reading the answer: %w", op.Method, path, err)
	}
	log.Printf("%s %s -> %d", op.Method, path, resp.StatusCode)
	return resp.StatusCode, resp.Header, b, nil
}

// accessToken returns the cached token while it is valid, else a new one.
func (c *client) accessToken(ctx context.Context) (string, error) {
	if c.token != "" && time.Now().Before(c.expires.Add(-renewMargin)) && c.bug != "token-per-call" {
		return c.token, nil
	}
	c.token = ""
	assertion, err := c.assertion()
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	if scope := c.scope; scope != "" || c.bug == "wrong-scope" {
		if c.bug == "wrong-scope" {
			scope = otherScope(scope)
		}
		form.Set("scope", scope)
	}
	if c.bug == "client-secret" {
		form.Set("client_secret", "s3cret")
	}
	if c.bug == "client-id-field" {
		form.Set("client_id", c.clientID+"-app")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	log.Printf("POST %s -> %d", c.tokenURL, resp.StatusCode)
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", fmt.Errorf("status %d, body not JSON: %.200s", resp.StatusCode, body)
	}
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		return "", fmt.Errorf("status %d: %s: %s", resp.StatusCode, tr.Error, tr.Description)
	}
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", fmt.Errorf("token_type %q; want Bearer", tr.TokenType)
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 300
	}
	c.token, c.expires = tr.AccessToken, time.Now().Add(time.Duration(tr.ExpiresIn)*time.Second)
	return c.token, nil
}

// otherScope returns the FLA scope of another quality.
func otherScope(s string) string {
	const prefix = "scope:sigedis:gestion:careerpro-federal-learning-account:"
	if strings.HasSuffix(s, ":provider") {
		return prefix + "employer"
	}
	return prefix + "provider"
}

// assertion builds and signs the client assertion (RFC 7523 §3).
func (c *client) assertion() (string, error) {
	now := time.Now()
	jti, err := newJTI()
	if err != nil {
		return "", err
	}
	if c.bug == "reused-jti" {
		if c.fixedJTI == "" {
			c.fixedJTI = jti
		}
		jti = c.fixedJTI
	}
	claims := jwt.MapClaims{
		"iss": c.clientID,
		"sub": c.clientID,
		"aud": c.tokenURL,
		"iat": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
		"jti": jti,
	}
	switch c.bug {
	case "exp-hour":
		claims["exp"] = now.Add(time.Hour).Unix()
	case "aud-trailing-slash":
		claims["aud"] = c.tokenURL + "/"
	case "iat-future":
		claims["iat"] = now.Add(5 * time.Minute).Unix()
		claims["exp"] = now.Add(5*time.Minute + assertionLifetime).Unix()
	case "no-iat-exp-hour":
		delete(claims, "iat")
		claims["exp"] = now.Add(time.Hour).Unix()
	case "iss-not-sub":
		claims["iss"] = c.clientID + "-app"
	case "alg-none":
		return jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	}
	return jwt.NewWithClaims(c.method, claims).SignedString(c.key)
}

func newJTI() (string, error) {
	var b [16]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
