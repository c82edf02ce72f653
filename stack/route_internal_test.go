package stack

import (
	"net/http"
	"net/http/httptest"
	"path"
	"testing"
)

// muxClean is http.ServeMux's cleanPath: path.Clean, keeping a trailing
// slash.
func muxClean(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && p[:len(np)] == np {
			return p
		}
		np += "/"
	}
	return np
}

func FuzzCleanPath(f *testing.F) {
	for _, p := range []string{"/", "", "a", "/a", "/a/", "//", "/a//b", "/./", "/a/.", "/a/..", "/..", "/a/b/../c", "/.a/..b/", "/a/./"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := cleanPath(p), muxClean(p) == p; got != want {
			t.Fatalf("cleanPath(%q) = %v; the mux cleans it to %q", p, got, muxClean(p))
		}
	})
}

// TestDirect_SameAsMuxes sends the same requests to the direct router and
// to the muxes alone: the same status, headers and body.
func TestDirect_SameAsMuxes(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("api " + r.URL.Path)) })
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("other " + r.URL.Path)) })
	pub := http.NewServeMux()
	pub.Handle("/REST/oauth/v5/token", other)
	pub.Handle("/REST/oauth/v5/jwks", other)
	pub.Handle("/", api)
	all := http.NewServeMux()
	all.Handle(AdminPrefix, other)
	all.Handle("/", pub)
	d := newDirect(api, all, AdminPrefix, "/REST/oauth/v5/token", "/REST/oauth/v5/jwks")
	for _, target := range []string{"/", "/REST/x/v1/a", "/REST/x/v1/a/", "/REST//x", "/REST/./x", "/REST/x/..", "/__admin", "/__admin/health",
		"/__adminx", "/REST/oauth/v5/token", "/REST/oauth/v5/token/", "/REST/oauth/v5/jwks", "/a%2Fb", "/%2e%2e/x", "*"} {
		for _, method := range []string{"GET", "PUT", "CONNECT"} {
			r1 := httptest.NewRequest(method, "/", nil)
			r1.URL.Path, r1.RequestURI = target, target
			if target == "*" {
				r1.URL.Path = ""
			}
			r2 := r1.Clone(r1.Context())
			w1, w2 := httptest.NewRecorder(), httptest.NewRecorder()
			d.ServeHTTP(w1, r1)
			all.ServeHTTP(w2, r2)
			if w1.Code != w2.Code || w1.Body.String() != w2.Body.String() || w1.Header().Get("Location") != w2.Header().Get("Location") {
				t.Errorf("%s %s: direct %d %q %q; muxes %d %q %q", method, target, w1.Code, w1.Header().Get("Location"), w1.Body, w2.Code, w2.Header().Get("Location"), w2.Body)
			}
		}
	}
}
