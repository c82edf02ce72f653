package stack_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/stack"
)

// FuzzAdminCredential: whatever Authorization header comes, the admin API
// answers 200 or 401, never anything else and never a panic. With an
// admin token, 200 only when the header holds it, as a Bearer token or
// inside Basic credentials. Without one, 200 only for well-formed Basic
// credentials (a browser's password, the operator's as no credential
// would be): any other header that is present (another scheme, Bearer
// with no token or a token that is not an access token, malformed Basic,
// an empty value) is a 401, never the operator's unscoped access.
func FuzzAdminCredential(f *testing.F) {
	guarded := fuzzStack(f, "s3cret")
	open := fuzzStack(f, "")
	for _, seed := range []string{"", "Bearer s3cret", "bearer s3cret ", "Bearer", "Bearer ", "Basic " + base64.StdEncoding.EncodeToString([]byte("me:s3cret")),
		"Basic !!", "Basic " + base64.StdEncoding.EncodeToString([]byte("s3cret")), "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", "Bearer a.b.c.d", "Token s3cret",
		"Digest username=\"me\"", "s3cret", "Bearer\ts3cret", "basic", "BASIC " + base64.StdEncoding.EncodeToString([]byte(":"))} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		for _, h := range []struct {
			adminToken string
			h          http.Handler
		}{{"s3cret", guarded}, {"", open}} {
			req := httptest.NewRequest("GET", "/__admin/ready", nil)
			req.Header["Authorization"] = []string{auth}
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusUnauthorized:
			case http.StatusOK:
				if h.adminToken == "" && !wellFormedBasic(auth) {
					t.Fatalf("no admin token: Authorization %q = 200; want 401 (a header given that is not Basic credentials)", auth)
				}
				if h.adminToken == "" {
					break
				}
				holds := strings.Contains(auth, "s3cret")
				if len(auth) > 6 && strings.EqualFold(auth[:6], "basic ") {
					dec, _ := base64.StdEncoding.DecodeString(auth[6:])
					holds = holds || strings.Contains(string(dec), "s3cret")
				}
				if !holds {
					t.Fatalf("Authorization %q = 200 without the admin token", auth)
				}
			default:
				t.Fatalf("admin token %q: Authorization %q = %d %s; want 200 or 401", h.adminToken, auth, rec.Code, rec.Body)
			}
		}
	})
}

func fuzzStack(f *testing.F, adminToken string) http.Handler {
	st, err := stack.New(stack.Config{Profile: fla.StackProfile(), AdminToken: adminToken})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	return st.AdminHandler()
}

// wellFormedBasic reports whether auth is RFC 7617 Basic credentials:
// the scheme in any case, one space, the base64 of user:password.
func wellFormedBasic(auth string) bool {
	if len(auth) < 6 || !strings.EqualFold(auth[:6], "basic ") {
		return false
	}
	dec, err := base64.StdEncoding.DecodeString(auth[6:])
	return err == nil && strings.Contains(string(dec), ":")
}
