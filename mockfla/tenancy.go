package mockfla

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/flamock/flamock/internal/tenant"
)

// clientRoutes are the admin routes a client's admin credential may use
// (see tenant): its own faults and journal, and health. Every other route
// (resetting the store or the journal, the profile's routes) is the
// operator's; an unknown path still answers its 404.
var clientRoutes = map[string]bool{
	"GET /__admin/health":         true,
	"GET /__admin/ready":          true,
	"GET /__admin/journal":        true,
	"GET /__admin/journal/stream": true,
	"GET /__admin/faults":         true,
	"POST /__admin/faults":        true,
	"DELETE /__admin/faults":      true,
	AdminPrefix:                   true,
}

// scopedRoutes are the admin routes that take a client scope
// (?clientId=, see queryClient).
var scopedRoutes = map[string]bool{
	"GET /__admin/journal":        true,
	"GET /__admin/journal/stream": true,
	"GET /__admin/faults":         true,
	"POST /__admin/faults":        true,
	"DELETE /__admin/faults":      true,
}

// clientGuard refuses, with 403, a client's admin request for a route
// that is not in clientRoutes; and, with 400, a client scope on a route
// that takes none (not in scopedRoutes), which would act for every client.
func clientGuard(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if id, ok := tenant.Of(r.Context()); ok && !clientRoutes[pattern] {
			writeProblem(w, problemFor(http.StatusForbidden, ClientForbidden(id, r.Method, r.URL.Path)))
			return
		}
		if name := tenant.Named(r); name != "" && pattern != AdminPrefix && !scopedRoutes[pattern] {
			writeIssue(w, Issue{Type: IssueInvalidInput, Title: titleInvalid, In: "query", Name: name, Detail: tenant.UnscopedDetail(r.Method, r.URL.Path)})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// ClientForbidden is the detail of the 403 a client's admin credential
// gets for a route that is the operator's.
func ClientForbidden(clientID, method, path string) string {
	return "The admin credential of client " + clientID + " may not " + method + " " + path +
		": a client's access token acts on its own faults and journal only; this route needs the operator's admin token"
}

// RefuseAdmin answers an admin request the stack refuses before any route,
// in the admin API's problem format: 401 noAccessToken (no credential;
// invalid: invalidAccessToken, a credential that is not accepted), 403
// missingPermission, or 503 with Retry-After retry (the credential could
// not be checked). The caller sets any WWW-Authenticate challenge first.
func (s *Server) RefuseAdmin(w http.ResponseWriter, status int, invalid bool, detail string, retry time.Duration) {
	p := problemFor(status, detail)
	if invalid {
		p.Type, p.Href, p.Title = TypeInvalidAccessToken, belgifHref(TypeInvalidAccessToken), "Invalid Access Token"
	}
	if status == http.StatusServiceUnavailable {
		writeResponse(w, retryLater(p, max(1, int(math.Ceil(retry.Seconds()))), s.cfg.Now()))
		return
	}
	writeProblem(w, p)
}

// otherClient is the detail of the 403 a client's admin credential gets
// when it names another client.
func otherClient(own, named string) string {
	return "The admin credential of client " + own + " acts for " + own + " only, not for client " + strconv.Quote(named)
}

// queryClient reads the client id of an admin request's ?clientId= (the
// journal views and the fault routes): "" for every client. An empty or
// repeated one, or a ?client=, is a 400. A client's admin credential gets
// its own id, and a 403 for another client's.
func queryClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, named, allowed, err := tenant.Query(r)
	if err != nil {
		name, detail := tenant.QueryDetail(err)
		writeIssue(w, Issue{Type: IssueInvalidInput, Title: titleInvalid, In: "query", Name: name, Detail: detail})
		return "", false
	}
	if !allowed {
		writeProblem(w, problemFor(http.StatusForbidden, otherClient(id, named)))
		return "", false
	}
	return id, true
}

// scopeFaults gives each fault a client's admin credential plants its
// client id; it answers 403 for a fault scoped to another client.
func scopeFaults(w http.ResponseWriter, r *http.Request, fs []Fault) bool {
	for i := range fs {
		id, _, allowed := tenant.Scope(r.Context(), fs[i].Client, fs[i].Client != "")
		if !allowed {
			writeProblem(w, problemFor(http.StatusForbidden, otherClient(id, fs[i].Client)))
			return false
		}
		fs[i].Client = id
	}
	return true
}

// nameFaultedClient fills the journal's client of a call that an unscoped
// fault answers before authentication, from its bearer token when the
// verifier accepts it, so the client's journal view shows the call.
func (s *Server) nameFaultedClient(ctx context.Context, c *call) {
	token, ok := bearerToken(c.r.Header.Get("Authorization"))
	if !ok || s.cfg.Verifier == nil {
		return
	}
	if caller, err := s.cfg.Verifier.VerifyAccessToken(ctx, token, nil); err == nil {
		c.ev.ClientID = caller.ClientID
	}
}
