// Package bearer holds what the token endpoint and the API mocks agree on
// about an access token: who the caller is and why a token was refused.
//
// mockoauth produces these values and mockfla consumes them; neither imports
// the other. Both re-export them under their own names with type aliases,
// so users never import this package.
package bearer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
)

// Caller is the identity behind a verified access token.
type Caller struct {
	ClientID         string   `json:"clientId"`
	Quality          string   `json:"quality"`          // as the profile names it, e.g. "employer"
	EnterpriseNumber string   `json:"enterpriseNumber"` // 10 digits
	Scopes           []string `json:"scopes"`           // granted scopes
}

// HasScope reports whether c was granted scope.
func (c Caller) HasScope(scope string) bool {
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Reasons a token is refused. An API maps them to Belgif problems:
// ErrMissing to noAccessToken, ErrInvalid and ErrRevoked to
// invalidAccessToken, ErrExpired to expiredAccessToken and
// ErrInsufficientScope to missingScope.
var (
	ErrMissing           = errors.New("no access token")
	ErrInvalid           = errors.New("invalid access token")
	ErrExpired           = errors.New("the access token expired")
	ErrRevoked           = errors.New("the access token was revoked")
	ErrInsufficientScope = errors.New("insufficient scope")
)

// ScopeError says which scopes an operation required and which the token
// carried. errors.Is(err, ErrInsufficientScope) holds for it.
type ScopeError struct {
	Required []string // the scopes of which at least one was needed
	Granted  []string // the scopes the token carries
}

func (e *ScopeError) Error() string {
	return "insufficient scope: requires " + strings.Join(e.Required, " or ") +
		"; token has " + quoteList(e.Granted)
}

// Is makes errors.Is(err, ErrInsufficientScope) true.
func (e *ScopeError) Is(target error) bool { return target == ErrInsufficientScope }

func quoteList(s []string) string {
	if len(s) == 0 {
		return "no scope"
	}
	return strings.Join(s, " ")
}

// Fingerprint names an access token in the journal without revealing it:
// the first 8 bytes of its SHA-256, in hex. The token endpoint and the API
// mock both use it, so a token request and the calls that used its token
// can be joined.
//
// A token is hashed once: the fingerprints of the last tokens seen (up to
// fingerprintCache of them) are remembered, since a client sends the same
// token on every call until it expires.
func Fingerprint(token string) string {
	if fp, ok := fingerprints.m.Load(token); ok {
		return fp.(string)
	}
	sum := sha256.Sum256([]byte(token))
	fp := hex.EncodeToString(sum[:8])
	if fingerprints.n.Add(1) > fingerprintCache {
		fingerprints.m.Clear() // forget them all: simple, and rare
		fingerprints.n.Store(1)
	}
	fingerprints.m.Store(token, fp)
	return fp
}

// fingerprintCache bounds the tokens Fingerprint remembers.
const fingerprintCache = 1024

var fingerprints struct {
	m sync.Map // token -> fingerprint
	n atomic.Int64
}
