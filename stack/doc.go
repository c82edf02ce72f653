// Package stack assembles everything flamock serves, once: the journal, the
// token endpoint (mockoauth), the API mock (mockfla) with a profile's
// documents and rules, the admin mux and, on demand, a TLS CA. flamock
// serve, flamock conform's harness and Go tests all build their mocks with
// New (or NewTestServer).
//
// A Profile (package profiles lists them; profiles/fla is the first)
// gives the stack its Parts: documents, the qualities and scopes of the
// token endpoint, rules, and a demo.
//
//	profile, _ := profiles.Lookup("fla")
//	st, err := stack.New(stack.Config{Profile: profile, OAuth: mockoauth.Config{Clients: clients}})
//	http.ListenAndServe("127.0.0.1:8080", st.Handler())
//
// # Hooks
//
//   - Config.AdminHandlers mounts extra handlers on the admin mux (paths
//     under /__admin/ that neither mock serves), e.g. an inspector page at
//     /__admin/ui. Handler and AdminHandler serve them; a client's admin
//     credential reaches only those wrapped in ForClients.
//   - Handler serves everything on one listener. PublicHandler (token
//     endpoint and API, no admin) and AdminHandler (admin only) let a caller
//     serve the admin API on a listener of its own, with http.Server limits.
//
// # Admin credentials
//
// The admin API is the operator's: with Config.AdminToken set it wants
// that token; without, no credential. A client's access token from the
// token endpoint is an admin credential too, acting for that client only
// (its faults, its journal, tokens for itself; the rest is 403): how CI
// jobs share one sandbox without disturbing each other.
//   - TLSConfig makes a CA and a server certificate for a listener.
//
// The stack itself opens no listener: the caller chooses the http.Server,
// its timeouts and limits.
package stack
