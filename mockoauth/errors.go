package mockoauth

import (
	"fmt"
	"net/http"
	"time"

	"github.com/flamock/flamock/internal/bearer"
)

// Error is an RFC 6749 §5.2 error response. Its JSON encoding is exactly the
// RFC's body, so golang.org/x/oauth2's RetrieveError.ErrorCode matches Code.
//
// The package-level values (ErrInvalidRequest, ...) are prototypes: never
// modify them; Describe returns a customised copy. Is compares Code, so
// errors.Is(err, ErrInvalidClient) matches any customised copy.
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"-"` // HTTP status; 0 means 400

	retryAfter time.Duration // Retry-After, for temporarily_unavailable
	stage      string        // the token endpoint's check that refused (journal.Stage*); never sent
}

// Prototypes of the token endpoint's errors (RFC 6749 §5.2, and
// temporarily_unavailable from §4.1.2.1 for the replay cache at its bound).
var (
	ErrInvalidRequest         = &Error{Code: "invalid_request", Status: http.StatusBadRequest}
	ErrInvalidClient          = &Error{Code: "invalid_client", Status: http.StatusBadRequest}
	ErrInvalidGrant           = &Error{Code: "invalid_grant", Status: http.StatusBadRequest}
	ErrUnauthorizedClient     = &Error{Code: "unauthorized_client", Status: http.StatusBadRequest}
	ErrUnsupportedGrantType   = &Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest}
	ErrInvalidScope           = &Error{Code: "invalid_scope", Status: http.StatusBadRequest}
	ErrTemporarilyUnavailable = &Error{Code: "temporarily_unavailable", Status: http.StatusServiceUnavailable}
)

func (e *Error) Error() string {
	if e.Description == "" {
		return "mockoauth: " + e.Code
	}
	return "mockoauth: " + e.Code + ": " + e.Description
}

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Describe returns a copy of e with a formatted description; e is never
// modified.
func (e *Error) Describe(format string, args ...any) *Error {
	c := *e
	if len(args) == 0 {
		c.Description = format
	} else {
		c.Description = fmt.Sprintf(format, args...)
	}
	return &c
}

// at returns a copy of e naming the check that refused the request, for
// the journal; the response body and Is do not change.
func (e *Error) at(stage string) *Error {
	c := *e
	c.stage = stage
	return &c
}

// WithStatus returns a copy of e with another HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// Caller is the identity behind a verified access token.
type Caller = bearer.Caller

// ScopeError is returned by VerifyAccessToken when a token lacks every one
// of the required scopes; errors.Is(err, ErrInsufficientScope) holds.
type ScopeError = bearer.ScopeError

// Reasons VerifyAccessToken refuses a token. They are the values of
// internal/bearer, so an API mock can map them to Belgif problems without
// importing this package.
var (
	ErrMissing           = bearer.ErrMissing           // no token at all
	ErrInvalid           = bearer.ErrInvalid           // not a token this server issued (or forgotten)
	ErrExpired           = bearer.ErrExpired           // issued here, but expired
	ErrRevoked           = bearer.ErrRevoked           // issued here, then revoked
	ErrInsufficientScope = bearer.ErrInsufficientScope // valid, but lacks the required scopes
)
