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
// answers 200 (the operator: the admin token) or 401, never anything else
// and never a panic; and 200 only when the header holds the admin token,
// as a Bearer token or inside Basic credentials.
func FuzzAdminCredential(f *testing.F) {
	st, err := stack.New(stack.Config{Profile: fla.StackProfile(), AdminToken: "s3cret"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	for _, seed := range []string{"", "Bearer s3cret", "bearer s3cret ", "Bearer", "Bearer ", "Basic " + base64.StdEncoding.EncodeToString([]byte("me:s3cret")),
		"Basic !!", "Basic " + base64.StdEncoding.EncodeToString([]byte("s3cret")), "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", "Bearer a.b.c.d", "Token s3cret"} {
		f.Add(seed)
	}
	h := st.AdminHandler()
	f.Fuzz(func(t *testing.T, auth string) {
		req := httptest.NewRequest("GET", "/__admin/ready", nil)
		req.Header["Authorization"] = []string{auth}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusUnauthorized:
		case http.StatusOK:
			holds := strings.Contains(auth, "s3cret")
			if len(auth) > 6 && strings.EqualFold(auth[:6], "basic ") {
				dec, _ := base64.StdEncoding.DecodeString(auth[6:])
				holds = holds || strings.Contains(string(dec), "s3cret")
			}
			if !holds {
				t.Fatalf("Authorization %q = 200 without the admin token", auth)
			}
		default:
			t.Fatalf("Authorization %q = %d %s; want 200 or 401", auth, rec.Code, rec.Body)
		}
	})
}
