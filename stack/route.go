package stack

import (
	"net/http"
	"strings"
)

// direct is the one router of the hot path: a request for the API mock
// goes straight to it, instead of through the admin mux, the public mux
// and then the API mock's own router. It takes only what the muxes would
// hand to the API mock unchanged (pattern "/"): a clean path (no empty,
// "." or ".." segment: a mux would redirect it) outside AdminPrefix and
// the token endpoint's paths, and neither CONNECT nor "*". Everything
// else goes to mux, which answers as before.
type direct struct {
	api    http.Handler
	mux    http.Handler
	others []string // path prefixes served by something else than api
}

func newDirect(api, mux http.Handler, others ...string) *direct {
	d := &direct{api: api, mux: mux}
	for _, p := range others {
		if p = strings.TrimSuffix(p, "/"); p != "" {
			d.others = append(d.others, p)
		}
	}
	return d
}

func (d *direct) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if r.Method == http.MethodConnect || r.RequestURI == "*" || !cleanPath(p) {
		d.mux.ServeHTTP(w, r)
		return
	}
	for _, o := range d.others {
		if strings.HasPrefix(p, o) {
			d.mux.ServeHTTP(w, r)
			return
		}
	}
	d.api.ServeHTTP(w, r)
}

// cleanPath reports whether path.Clean would leave p as it is, the way
// http.ServeMux decides to redirect (a trailing "/" is kept).
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	start := 1 // of the current segment, just after its '/'
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		seg := p[start:i]
		last := i == len(p)
		if seg == "." || seg == ".." || seg == "" && !last {
			return false
		}
		start = i + 1
	}
	return true
}
