// Package tenant carries, in an admin request's context, the client the
// request acts for: set by the stack when the admin credential is a
// client's access token (not the operator's admin token), read by both
// mocks' admin APIs, which then serve that client's faults and journal
// only and refuse the rest. A context without it is the operator's: full
// access.
package tenant

import "context"

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
