// Package tenant carries, in an admin request's context, the client the
// request acts for: set by the stack when the admin credential is a
// client's access token (not the operator's admin token), read by both
// mocks' admin APIs, which then serve that client's faults and journal
// only and refuse the rest. A context without it is the operator's: full
// access.
package tenant

import (
	"context"
	"errors"
	"net/http"
)

type key struct{}

// With returns ctx acting for the client clientID.
func With(ctx context.Context, clientID string) context.Context {
	return context.WithValue(ctx, key{}, clientID)
}

// Of returns the client ctx acts for; ok is false for the operator.
func Of(ctx context.Context) (clientID string, ok bool) {
	clientID, ok = ctx.Value(key{}).(string)
	return clientID, ok
}

type checkKey struct{}

// WithCheck returns ctx with check, which says whether the admin
// credential the request acts with is still honoured (nil error) or why
// not: set by the stack with a client's access token, which expires and
// can be revoked. A long-lived admin request (the live event stream) calls
// it from time to time and ends when it fails.
func WithCheck(ctx context.Context, check func(context.Context) error) context.Context {
	return context.WithValue(ctx, checkKey{}, check)
}

// Check returns ctx's credential check (see WithCheck); nil for none: the
// operator's credential, which does not expire while the server runs.
func Check(ctx context.Context) func(context.Context) error {
	check, _ := ctx.Value(checkKey{}).(func(context.Context) error)
	return check
}

// Scope decides a client id an admin request names (a query parameter, a
// fault's clientId) for the client it acts for. The operator's request
// keeps what it named. A client's request that names nothing gets its own
// id; one that names its own keeps it; one that names another client's is
// refused: allowed is false.
func Scope(ctx context.Context, named string, given bool) (clientID string, scoped, allowed bool) {
	own, isClient := Of(ctx)
	switch {
	case !isClient:
		return named, given, true
	case !given || named == own:
		return own, true, true
	default:
		return own, true, false
	}
}

// QueryName is the query parameter by which every admin route that can
// be scoped to one client takes the client's id: the fault routes, the
// journal page and stream, and the inspector page (?clientId=ID).
const QueryName = "clientId"

// renamedQuery is the name the journal views and the inspector took
// before they took QueryName.
const renamedQuery = "client"

// Query's errors: both are a 400, never ignored, since an ignored scope
// turns a view or a deletion of one client's into every client's.
var (
	// ErrQueryNotOne: QueryName is empty or repeated.
	ErrQueryNotOne = errors.New("tenant: not one client id")
	// ErrQueryRenamed: the request names a client by ?client=.
	ErrQueryRenamed = errors.New("tenant: ?client= is ?clientId=")
)

// Query reads the client id the request's QueryName parameter names,
// decided by Scope for the client the request acts for: "" for every
// client (the operator naming none). An empty or repeated parameter is
// ErrQueryNotOne, a ?client= parameter ErrQueryRenamed (see QueryDetail);
// another client's id than the request's own is allowed false (a 403),
// with own the request's client and named the other's.
func Query(r *http.Request) (id, named string, allowed bool, err error) {
	q := r.URL.Query()
	if _, old := q[renamedQuery]; old {
		return "", "", false, ErrQueryRenamed
	}
	vals, given := q[QueryName]
	if given && (len(vals) != 1 || vals[0] == "") {
		return "", "", false, ErrQueryNotOne
	}
	if given {
		named = vals[0]
	}
	id, _, allowed = Scope(r.Context(), named, given)
	return id, named, allowed, nil
}

// Named returns the client-scope parameter the request's query has
// (QueryName, or the name it took before), "" for none. An admin route
// that takes no client scope refuses one (a 400 saying UnscopedDetail),
// never ignores it: DELETE /__admin/journal?clientId=X would forget every
// client's events.
func Named(r *http.Request) string {
	q := r.URL.Query()
	for _, name := range []string{QueryName, renamedQuery} {
		if _, ok := q[name]; ok {
			return name
		}
	}
	return ""
}

// UnscopedDetail is what the 400 for a client scope on a route that takes
// none says.
func UnscopedDetail(method, path string) string {
	return method + " " + path + " takes no client scope (?" + QueryName + "=): it acts for every client; the fault routes and the journal views take one"
}

// QueryDetail is what the 400 for Query's error err says, and the query
// parameter it is about.
func QueryDetail(err error) (param, detail string) {
	if errors.Is(err, ErrQueryRenamed) {
		return renamedQuery, renamedQuery + " is not a query parameter of the admin API: a client id is ?" + QueryName + "=ID (e.g. ?" + QueryName + "=my_client), on every admin route that takes one"
	}
	return QueryName, QueryName + " must be one client id, e.g. ?" + QueryName + "=my_client"
}
