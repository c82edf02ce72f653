package mockoauth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// VerifyAccessToken tells an API who is behind token, or why not:
// ErrMissing (empty), ErrInvalid (not issued here, or forgotten), ErrExpired,
// ErrRevoked, or a *ScopeError (errors.Is ErrInsufficientScope) when
// requiredScopes is not empty and the token carries none of them. Errors
// wrap the sentinels with context; test them with errors.Is. When the
// revocation store cannot be reached the error matches
// store.ErrUnavailable (the API answers 503, not 401).
//
// *Server thereby satisfies the token verifier interface of the API mock
// without either package naming the other.
func (s *Server) VerifyAccessToken(ctx context.Context, token string, requiredScopes []string) (Caller, error) {
	if token == "" {
		return Caller{}, ErrMissing
	}
	if s.jwt() {
		v, err := s.parseJWT(token)
		if err != nil {
			return Caller{}, err
		}
		if err := s.checkJWT(ctx, v, s.now()); err != nil {
			return Caller{}, err
		}
		return grantedTo(v.caller, requiredScopes)
	}
	e, ok := s.tokens.get(token)
	if !ok {
		return Caller{}, fmt.Errorf("%w: the token server did not issue it (or forgot it)", ErrInvalid)
	}
	now := s.now()
	if e.revoked {
		return Caller{}, fmt.Errorf("%w: token of client %s", ErrRevoked, e.grant.caller.ClientID)
	}
	if exp := time.Unix(0, e.expires); !now.Before(exp) {
		return Caller{}, fmt.Errorf("%w at %s (server time %s)", ErrExpired, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return grantedTo(e.grant.caller, requiredScopes)
}

// grantedTo checks a caller's scopes; the Caller returned is a copy.
func grantedTo(c Caller, requiredScopes []string) (Caller, error) {
	c.Scopes = slices.Clone(c.Scopes)
	if len(requiredScopes) > 0 && !slices.ContainsFunc(requiredScopes, c.HasScope) {
		return Caller{}, &ScopeError{Required: slices.Clone(requiredScopes), Granted: c.Scopes}
	}
	return c, nil
}

// IssueToken issues an access token to a registered client without a token
// request (for tests of an API that need a token but not the OAuth dance).
// No scopes means the client's default scopes. No journal event is written.
func (s *Server) IssueToken(clientID string, scopes ...string) (string, error) {
	c, err := s.lookup(context.Background(), clientID)
	if err != nil {
		return "", fmt.Errorf("mockoauth: issue token: %w", err)
	}
	if c == nil {
		return "", fmt.Errorf("mockoauth: issue token: client %q is not registered", clientID)
	}
	granted, str := c.defaults, c.defaultStr
	if len(scopes) > 0 {
		var e *Error
		if granted, str, e = checkScopes(c, strings.Join(scopes, " ")); e != nil {
			return "", fmt.Errorf("mockoauth: issue token: %w", e)
		}
	}
	iss := s.fixedIssuer()
	if iss == "" {
		iss = "http://localhost"
	}
	tok, err := s.newToken(s.grantFor(c, granted, str), iss, s.now())
	if err != nil {
		return "", fmt.Errorf("mockoauth: issue token: %w", err)
	}
	return tok, nil
}
