package stack

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/flamock/flamock/internal/tenant"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/store"
)

// forClients marks an extra admin handler that a client's admin
// credential may use (see ForClients).
type forClients struct{ http.Handler }

// ForClients marks an extra admin handler (Config.AdminHandlers) that a
// client's admin credential may use: a page or a view that shows only what
// the request's client may see. Unmarked extras are the operator's: a
// client's credential gets 403.
func ForClients(h http.Handler) http.Handler { return forClients{h} }

// operatorOnly answers 403 to a client's admin request.
func (s *Stack) operatorOnly(h http.Handler) http.Handler {
	if _, ok := h.(forClients); ok {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := tenant.Of(r.Context()); ok {
			s.API.RefuseAdmin(w, http.StatusForbidden, false, mockfla.ClientForbidden(id, r.Method, r.URL.Path), 0)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Details of the admin API's 401s.
const (
	adminNeedsToken = "The admin API requires Authorization: Bearer <admin token> (flamock serve --admin-token), or in a browser the admin token as the password; or a client's access token from this token endpoint, which acts for that client only"
	adminBadToken   = "This admin credential is not accepted: it is not the admin token, nor an access token this token endpoint issued and still honours ("
	adminBadClient  = "This admin credential is not accepted: the admin API takes no credential, or a client's access token from this token endpoint, which acts for that client only; this one is not one it issued and still honours ("
	adminUnusable   = "This Authorization header holds no credential the admin API can use: "
	adminSchemes    = "; it takes Authorization: Bearer <token>, or Basic with any user name and the token as password"
)

// guardAdmin authenticates admin requests. The operator's: none when
// Config.AdminToken is empty, else the admin token (Bearer, or as a Basic
// password); it has full access. A client's: an access token this token
// endpoint issued and still honours (Bearer, or as a Basic password); the
// request then acts for that client only (internal/tenant), whatever
// Config.AdminToken is, and for as long as the token is honoured: the
// context carries its check (tenant.WithCheck), so a live event stream
// ends when the token expires or is revoked. A credential that is neither is a 401, never
// ignored: a CI job whose token expired must not clear every tenant's
// faults as the operator; so is an Authorization header that holds no
// usable credential (see adminCredential). One exception: with no admin token, a Basic
// password that is not an access token is the browser's, kept from an
// earlier server on this address (its admin token): the operator's, as
// no credential would be, or the browser could never open the page again.
func (s *Stack) guardAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, basic, unusable := adminCredential(r)
		switch {
		case unusable != "":
			s.challenge(w, true, adminUnusable+unusable+adminSchemes)
			return
		case cred == "" && s.cfg.AdminToken == "":
			h.ServeHTTP(w, r)
			return
		case cred == "":
			s.challenge(w, false, adminNeedsToken)
			return
		case s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(s.cfg.AdminToken)) == 1:
			h.ServeHTTP(w, r)
			return
		}
		caller, err := s.OAuth.VerifyAccessToken(r.Context(), cred, nil)
		switch {
		case err == nil:
			ctx := tenant.WithCheck(tenant.With(r.Context(), caller.ClientID), func(ctx context.Context) error {
				_, err := s.OAuth.VerifyAccessToken(ctx, cred, nil)
				return err
			})
			h.ServeHTTP(w, r.WithContext(ctx))
		case errors.Is(err, store.ErrUnavailable):
			retry, _ := store.RetryAfter(err)
			s.API.RefuseAdmin(w, http.StatusServiceUnavailable, false, "The admin credential could not be checked: "+err.Error(), retry)
		case s.cfg.AdminToken == "" && basic:
			h.ServeHTTP(w, r)
		case s.cfg.AdminToken != "":
			s.challenge(w, true, adminBadToken+err.Error()+")")
		default:
			s.challenge(w, true, adminBadClient+err.Error()+")")
		}
	})
}

// challenge answers 401 with a Bearer and a Basic challenge (a browser
// opening the inspector then asks for the credential).
func (s *Stack) challenge(w http.ResponseWriter, invalid bool, detail string) {
	w.Header().Add("WWW-Authenticate", `Bearer realm="flamock admin"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="flamock admin (any user name; the admin token, or a client's access token, as password)", charset="UTF-8"`)
	s.API.RefuseAdmin(w, http.StatusUnauthorized, invalid, detail, 0)
}

// adminCredential is the credential of an admin request: the password of
// HTTP Basic (any user name; basic is true), else the token of
// Authorization: Bearer (either scheme in any case); "" when the request
// has no Authorization header. A header that is present but holds no
// usable credential (another scheme, Bearer without a token, Basic that is
// not base64 of user:password, an empty or a repeated header) is never
// "no credential": unusable says why, and the request is a 401. Otherwise
// a CI job that sends its client token under a wrong scheme would act as
// the operator when there is no admin token, unscoped.
func adminCredential(r *http.Request) (cred string, basic bool, unusable string) {
	hs := r.Header.Values("Authorization")
	switch {
	case len(hs) == 0:
		return "", false, ""
	case len(hs) > 1:
		return "", false, "the request has " + strconv.Itoa(len(hs)) + " Authorization headers, not one"
	}
	h := strings.TrimSpace(hs[0])
	if h == "" {
		return "", false, "the Authorization header is empty"
	}
	scheme, rest, spaced := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "basic"):
		if _, pw, ok := r.BasicAuth(); ok {
			return pw, true, ""
		}
		return "", false, "its Basic credentials are not the base64 of user:password"
	case strings.EqualFold(scheme, "bearer"):
		if tok := strings.TrimSpace(rest); tok != "" {
			return tok, false, ""
		}
		return "", false, "it says Bearer but holds no token"
	case !spaced:
		return "", false, "it has no scheme (Bearer or Basic) and a space before the credential"
	case len(scheme) <= 20 && isToken(scheme):
		return "", false, "its scheme " + strconv.Quote(scheme) + " is not supported"
	default:
		return "", false, "its scheme is not supported"
	}
}

// isToken reports whether s is an RFC 9110 token (an auth scheme's
// syntax), so that naming it in an answer echoes no credential's bytes.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
