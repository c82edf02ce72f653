package mockoauth

import (
	"net/http"
	"slices"

	"github.com/flamock/flamock/internal/tenant"
)

// errAccessDenied is the admin API's 403: the request's admin credential
// is a client's (see internal/tenant), and what it asked is another
// client's or the operator's (RFC 6749 §4.1.2.1's code).
var errAccessDenied = &Error{Code: "access_denied", Status: http.StatusForbidden}

// clientRoutes are the admin routes a client's admin credential may use:
// its own faults, tokens for itself, changes to its own tokens, the clock
// (read) and its own registration. The others (the clock's offset, adding
// and removing clients, the stats) are the operator's.
var clientRoutes = map[string]bool{
	"GET " + AdminPrefix + "faults":         true,
	"POST " + AdminPrefix + "faults":        true,
	"DELETE " + AdminPrefix + "faults":      true,
	"POST " + AdminPrefix + "tokens":        true,
	"POST " + AdminPrefix + "tokens/expire": true,
	"POST " + AdminPrefix + "tokens/revoke": true,
	"GET " + AdminPrefix + "clock":          true,
	"GET " + AdminPrefix + "clients":        true,
}

// scopedRoutes are the admin routes that take a client scope
// (?clientId=, see queryClient).
var scopedRoutes = map[string]bool{
	"GET " + AdminPrefix + "faults":    true,
	"POST " + AdminPrefix + "faults":   true,
	"DELETE " + AdminPrefix + "faults": true,
}

// clientGuard refuses, with 403, a client's admin request for a route
// that is not in clientRoutes (an unknown route keeps its 404); and, with
// 400, a client scope on a route that takes none (not in scopedRoutes),
// which would act for every client: tokens/expire?clientId=X with {} would
// expire every client's tokens.
func clientGuard(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if id, ok := tenant.Of(r.Context()); ok && pattern != "" && !clientRoutes[pattern] {
			adminDenied(w, "the admin credential of client %s may not %s %s: a client's access token acts on its own faults and tokens only; this route needs the operator's admin token", id, r.Method, r.URL.Path)
			return
		}
		if name := tenant.Named(r); name != "" && pattern != "" && !scopedRoutes[pattern] {
			adminError(w, http.StatusBadRequest, "%s", tenant.UnscopedDetail(r.Method, r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func adminDenied(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusForbidden, errAccessDenied.Describe(format, args...), nil)
}

func denyOtherClient(w http.ResponseWriter, own, named string) {
	adminDenied(w, "the admin credential of client %s acts for %s only, not for client %q", own, own, named)
}

// queryClient reads ?clientId= of the fault routes: "" for every client.
// An empty or repeated one, or a ?client=, is a 400; a client's admin
// credential gets its own id, and a 403 for another client's.
func queryClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, named, allowed, err := tenant.Query(r)
	if err != nil {
		_, detail := tenant.QueryDetail(err)
		adminError(w, http.StatusBadRequest, "%s", detail)
		return "", false
	}
	if !allowed {
		denyOtherClient(w, id, named)
		return "", false
	}
	return id, true
}

// scopeClient decides the client a request body names (a fault's, a token's
// clientId) for the request's admin credential: the client's own id when it
// names none; a 403 for another client's.
func scopeClient(w http.ResponseWriter, r *http.Request, named *string) bool {
	id, _, allowed := tenant.Scope(r.Context(), *named, *named != "")
	if !allowed {
		denyOtherClient(w, id, *named)
		return false
	}
	*named = id
	return true
}

// tokenOwner is the client an access token was issued to, when this
// server can tell (a token it issued, not yet forgotten).
func (s *Server) tokenOwner(tok string) (string, bool) {
	if s.jwt() {
		v, err := s.parseJWT(tok)
		if err != nil {
			return "", false
		}
		return v.caller.ClientID, true
	}
	e, ok := s.tokens.get(tok)
	if !ok {
		return "", false
	}
	return e.grant.caller.ClientID, true
}

// ownTokenOnly lets a client's admin credential expire or revoke only a
// token of its own: {} (every token) is the operator's, and a token issued
// to another client a 403.
func (s *Server) ownTokenOnly(w http.ResponseWriter, r *http.Request, tok string) bool {
	own, ok := tenant.Of(r.Context())
	if !ok {
		return true
	}
	if tok == "" {
		adminDenied(w, "the admin credential of client %s may change its own tokens only: name one, {\"token\":\"...\"}; every token at once is the operator's", own)
		return false
	}
	if owner, known := s.tokenOwner(tok); known && owner != own {
		denyOtherClient(w, own, owner)
		return false
	}
	return true
}

// ownClients keeps, for a client's admin credential, its own registration
// only.
func ownClients(r *http.Request, cs []adminClient) []adminClient {
	if own, ok := tenant.Of(r.Context()); ok {
		return slices.DeleteFunc(cs, func(c adminClient) bool { return c.ClientID != own })
	}
	return cs
}
