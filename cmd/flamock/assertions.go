package main

import (
	"github.com/flamock/flamock/internal/strictjson"

	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/inspector"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/stack"
)

// AssertionsPath is the admin endpoint that signs a fresh client assertion
// for a client whose private key flamock holds (the demo clients; config
// clients with a key), so that a tool that cannot sign a JWT — a Postman
// collection's pre-request script — gets a new assertion, with a new jti,
// for every token request:
//
//	POST /__admin/assertions {"clientId": "...", "audience": "https://.../token"}
//	200 {"clientAssertion": "eyJ...", "clientAssertionType": "urn:ietf:...:jwt-bearer", "audience": "...", "expiresAt": "..."}
//
// The token request itself still goes to the token endpoint, which checks
// it as any other.
const AssertionsPath = stack.AdminPrefix + "assertions"

// assertionSigner holds the keys it signs with, by client id.
type assertionSigner struct {
	// skipped says which configured keys could not be read, and why.
	skipped   []string
	tokenPath string
	audience  string // the token endpoint's configured audience; empty: its own URL
	mu        sync.Mutex
	keys      map[string]signingKey
}

type signingKey struct {
	key  crypto.Signer
	cert *x509.Certificate
}

func newAssertionSigner() *assertionSigner {
	return &assertionSigner{keys: map[string]signingKey{}}
}

// addFile loads a private key (PKCS#12 or PEM) for clientID.
func (a *assertionSigner) addFile(clientID, file, password string) error {
	l, err := certgen.LoadFile(file, password)
	if err != nil {
		return err
	}
	if l.Key == nil {
		return fmt.Errorf("%s: %w", file, certgen.ErrNoKey)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[clientID] = signingKey{key: l.Key, cert: l.Leaf()}
	return nil
}

// clients lists the client ids it can sign for, sorted.
func (a *assertionSigner) clients() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ids []string
	for id := range a.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// maxAssertionRequest bounds the request body.
const maxAssertionRequest = 4 << 10

func (a *assertionSigner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, format string, args ...any) {
		strictjson.Write(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
	}
	var req struct {
		ClientID string `json:"clientId"`
		Audience string `json:"audience"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAssertionRequest))
	if err != nil {
		fail(http.StatusBadRequest, "body: %v", err)
		return
	}
	if err := strictjson.Decode(body, &req); err != nil {
		if errors.Is(err, strictjson.ErrTrailing) {
			fail(http.StatusBadRequest, "body: one JSON object only")
			return
		}
		fail(http.StatusBadRequest, "body: want {\"clientId\": \"...\", \"audience\": \"token URL (optional)\"}: %v", err)
		return
	}
	if req.ClientID == "" {
		fail(http.StatusBadRequest, "clientId is required")
		return
	}
	a.mu.Lock()
	k, ok := a.keys[req.ClientID]
	a.mu.Unlock()
	if !ok {
		fail(http.StatusNotFound, "flamock holds no private key for client %q (it signs for: %s; give a config client's key with clients[].key)",
			req.ClientID, strings.Join(a.clients(), ", "))
		return
	}
	aud := req.Audience
	if aud == "" {
		aud = a.audience
	}
	if aud == "" { // the token endpoint's own URL, on the host this request came to
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		aud = scheme + "://" + r.Host + a.tokenPath
	}
	now := time.Now()
	signed, err := ssoauth.Assertion{ClientID: req.ClientID, Audience: aud, Key: k.key, Cert: k.cert, Now: func() time.Time { return now }}.Sign()
	if err != nil {
		fail(http.StatusInternalServerError, "sign: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{
		"clientAssertion":     signed,
		"clientAssertionType": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
		"audience":            aud,
		"expiresAt":           now.Add(ssoauth.DefaultLifetime).UTC().Format(time.RFC3339),
	})
}

// adminHandlers are the admin endpoints serve adds to the stack's: the
// inspector page (a client's admin credential may open it: the events it
// follows are that client's) and the assertion signer (the operator's).
func adminHandlers(signer *assertionSigner) map[string]http.Handler {
	h := inspector.AdminHandlers()
	for p, page := range h {
		h[p] = stack.ForClients(page)
	}
	h["POST "+AssertionsPath] = signer
	return h
}

// load takes the keys of the demo clients and of the config clients that
// have one (clients[].key, or a certificates entry that holds the key).
func (a *assertionSigner) load(st *stack.Stack, fc *fileConfig) error {
	a.tokenPath = st.OAuth.TokenPath()
	a.audience = fc.OAuth.Audience
	if st.Demo != nil {
		for id, file := range st.Demo.Keys {
			if err := a.addFile(id, file, stack.DemoPassword); err != nil {
				return err
			}
		}
	}
	for i, c := range fc.Clients {
		if c.Key != "" {
			err := a.addFile(c.ID, fc.path(c.Key), c.Password)
			if errors.Is(err, fs.ErrPermission) {
				// A container's user may not read the key a host user
				// owns (mode 0600): only the signing for Postman is lost.
				a.skipped = append(a.skipped, fmt.Sprintf("client %s: key %s is not readable by this user (%v); POST /__admin/assertions will not sign for it (flamock postman needs it; nothing else does)", c.ID, c.Key, errors.Unwrap(err)))
				continue
			}
			if err != nil {
				return fmt.Errorf("clients[%d] (%s): key: %w", i, c.ID, err)
			}
			continue
		}
		for _, file := range c.Certificates { // a .p12 registered as the certificate holds the key too
			if l, err := certgen.LoadFile(fc.path(file), c.Password); err == nil && l.Key != nil {
				a.mu.Lock()
				a.keys[c.ID] = signingKey{key: l.Key, cert: l.Leaf()}
				a.mu.Unlock()
				break
			}
		}
	}
	return nil
}
