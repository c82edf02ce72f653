package mockfla

import (
	"errors"
	"net/http"
	"strings"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/store"
)

// authenticate checks the bearer token and the scopes of the operation's
// security requirements (401 noAccessToken, invalidAccessToken,
// expiredAccessToken; 403 missingScope).
func (s *Server) authenticate(c *call) *response {
	sec := c.op.security
	if len(sec.requirements) == 0 {
		c.layer("auth", true, "no security requirement")
		return nil
	}
	r := c.r
	token, hasBearer := bearerToken(canonGet(r.Header, "Authorization"))
	if hasBearer && c.ev.Fingerprint == "" { // handle names the caller's token before faults
		c.ev.Fingerprint = bearer.Fingerprint(token)
	}
	needsBearer := false
	for _, req := range sec.requirements {
		for _, u := range req {
			needsBearer = needsBearer || u.kind == "bearer"
		}
	}
	if needsBearer && !hasBearer {
		if sec.optional {
			c.layer("auth", true, "anonymous (optional security)")
			return nil
		}
		if !s.otherSchemesPass(c, sec) {
			return s.unauthorized(c, bearer.ErrMissing, "")
		}
		c.layer("auth", true, "non-bearer scheme")
		return nil
	}
	if !needsBearer {
		if s.otherSchemesPass(c, sec) || sec.optional {
			c.layer("auth", true, "credentials present")
			return nil
		}
		return s.unauthorized(c, bearer.ErrMissing, "")
	}
	if s.cfg.Verifier == nil {
		return s.unauthorized(c, bearer.ErrInvalid, "no token verifier is configured")
	}
	ctx := r.Context()
	var scopeErr *bearer.ScopeError
	if sec.simple {
		caller, err := s.cfg.Verifier.VerifyAccessToken(ctx, token, sec.union)
		switch {
		case err == nil:
			return s.authenticated(c, caller)
		case errors.Is(err, bearer.ErrInsufficientScope):
			if !errors.As(err, &scopeErr) {
				scopeErr = &bearer.ScopeError{Required: sec.union}
			}
		default:
			return s.unauthorized(c, err, "")
		}
	} else {
		// Requirements with several schemes or several scopes: verify the
		// token once and check the scopes here (OpenAPI: all scopes of one
		// requirement, any one requirement).
		caller, err := s.cfg.Verifier.VerifyAccessToken(ctx, token, nil)
		if err != nil {
			return s.unauthorized(c, err, "")
		}
		for _, req := range sec.requirements {
			if s.requirementHolds(c, req, caller) {
				return s.authenticated(c, caller)
			}
		}
		c.caller = caller
		scopeErr = &bearer.ScopeError{Granted: caller.Scopes}
	}
	required := sec.union
	c.layer("auth", true, "token valid")
	c.layer("scope", false, scopeErr.Error())
	p := problemFor(http.StatusForbidden, "Forbidden to access the resource because the access token is missing a required scope")
	p.Type, p.Title, p.Href = TypeMissingScope, "Missing Scope", belgifHref(TypeMissingScope)
	p.RequiredScopes = required
	return problemResponse(p).setHeader("WWW-Authenticate",
		`Bearer realm="`+s.cfg.Realm+`", error="insufficient_scope", scope="`+strings.Join(required, " ")+`"`)
}

func (s *Server) authenticated(c *call, caller Caller) *response {
	c.caller = caller
	c.ev.ClientID = caller.ClientID
	c.layer("auth", true, s.authDetail(caller))
	c.layer("scope", true, "")
	return nil
}

// authDetail is the journal's detail of a passed auth layer, one string per
// client kept for all its calls (the journal holds thousands of them).
func (s *Server) authDetail(caller Caller) string {
	k := [2]string{caller.ClientID, caller.Quality}
	s.detailMu.RLock()
	d, ok := s.details[k]
	s.detailMu.RUnlock()
	if ok {
		return d
	}
	d = "client " + caller.ClientID + " (" + caller.Quality + ")"
	s.detailMu.Lock()
	if s.details == nil || len(s.details) >= 1024 {
		s.details = map[[2]string]string{}
	}
	s.details[k] = d
	s.detailMu.Unlock()
	return d
}

// requirementHolds checks one requirement against a verified caller.
func (s *Server) requirementHolds(c *call, req requirement, caller Caller) bool {
	for _, u := range req {
		switch u.kind {
		case "bearer":
			for _, sc := range u.scopes {
				if !caller.HasScope(sc) {
					return false
				}
			}
		default:
			if !credentialPresent(c.r, u) {
				return false
			}
		}
	}
	return true
}

// otherSchemesPass reports whether a requirement made only of non-bearer
// schemes (API key, basic) is met; their values are only checked for presence.
func (s *Server) otherSchemesPass(c *call, sec security) bool {
	for _, req := range sec.requirements {
		ok := true
		for _, u := range req {
			if u.kind == "bearer" || !credentialPresent(c.r, u) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func credentialPresent(r *http.Request, u schemeUse) bool {
	switch u.kind {
	case "basic":
		_, _, ok := r.BasicAuth()
		return ok
	case "apiKey":
		switch u.in {
		case "header":
			return r.Header.Get(u.key) != ""
		case "query":
			return r.URL.Query().Get(u.key) != ""
		case "cookie":
			_, err := r.Cookie(u.key)
			return err == nil
		}
	}
	return false
}

// unauthorized maps a verifier error to the Belgif 401 problems.
func (s *Server) unauthorized(c *call, err error, why string) *response {
	if errors.Is(err, store.ErrUnavailable) { // the verifier's store, not the token
		return s.verifierUnavailable(c, err)
	}
	realm := `Bearer realm="` + s.cfg.Realm + `"`
	var p Problem
	var hdr string
	switch {
	case errors.Is(err, bearer.ErrMissing):
		p = problemFor(http.StatusUnauthorized, "No Bearer access token found in Authorization HTTP header")
		hdr = realm
	case errors.Is(err, bearer.ErrExpired):
		p = problemFor(http.StatusUnauthorized, "The Bearer access token found in the Authorization HTTP header has expired")
		p.Type, p.Title = TypeExpiredAccessToken, "Expired Access Token"
		hdr = realm + `, error="invalid_token", error_description="The access token expired"`
	default: // ErrInvalid, ErrRevoked, or anything the verifier could not classify
		detail := "The Bearer access token found in the Authorization HTTP header is invalid"
		if why != "" {
			detail += ": " + why
		} else if errors.Is(err, bearer.ErrRevoked) {
			detail += ": it was revoked"
		}
		p = problemFor(http.StatusUnauthorized, detail)
		p.Type, p.Title = TypeInvalidAccessToken, "Invalid Access Token"
		hdr = realm + `, error="invalid_token", error_description="The access token is invalid"`
	}
	p.Href = belgifHref(p.Type)
	detail := err.Error()
	if why != "" {
		detail = why
	}
	c.layer("auth", false, detail)
	return problemResponse(p).setHeader("WWW-Authenticate", hdr)
}

// bearerToken extracts the token of an "Authorization: Bearer x" header
// (RFC 6750 §2.1; the scheme is case-insensitive).
func bearerToken(h string) (string, bool) {
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}
