// Package inspector is the page `flamock serve` shows at /__admin/ui: the
// journal live (the admin API's server-sent events), newest first, each
// token request with its decoded assertion, times relative to the request
// and the verdict of each check, each API call with its verdict per layer
// and the problem answered, filtered by client, outcome and kind. Opened
// with a client's access token as the admin credential (in a browser, the
// Basic password), or at /__admin/ui?clientId=ID, it follows that
// client's events only. One
// self-contained HTML page: no framework, no CDN, no build step.
package inspector

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/tenant"
)

// Path is where the page is served; Index, the admin API's root, redirects
// to it.
const (
	Path  = "/__admin/ui"
	Index = "/__admin/"
)

//go:embed page.html
var pageTemplate string

// page is the HTML with the token endpoint's checks filled in: the stage
// names in order and, for each, the checks a request refused there passed
// (from journal.Passed, so that the page and the conformance judges agree).
func page() []byte {
	stages := journal.Stages()
	passed := map[string][]string{}
	for _, s := range stages {
		passed[s] = []string{}
		for _, c := range stages {
			if journal.Passed(s, c) {
				passed[s] = append(passed[s], c)
			}
		}
	}
	st, _ := json.Marshal(stages)
	ps, _ := json.Marshal(passed)
	return []byte(strings.NewReplacer("/*STAGES*/[]", string(st), "/*PASSED*/{}", string(ps)).Replace(pageTemplate))
}

// Handler serves the page. With ?clientId=ID the page follows that
// client's events only; an empty or repeated clientId, or a ?client=, is
// a 400, and another client's id than the one a client's admin credential
// acts for a 403 (text, saying why): a page that silently showed every
// client's events would pass for a scoped view.
func Handler() http.Handler {
	body := page()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, named, allowed, err := tenant.Query(r)
		if err != nil {
			_, detail := tenant.QueryDetail(err)
			http.Error(w, "flamock inspector: "+detail, http.StatusBadRequest)
			return
		}
		if !allowed {
			http.Error(w, "flamock inspector: the admin credential of client "+id+" acts for "+id+" only, not for client "+strconv.Quote(named), http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		// Everything is inline; the page talks only to this server.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(body)
	})
}

// AdminHandlers are the page and the redirect of the admin root to it, by
// ServeMux pattern, for stack.Config.AdminHandlers.
func AdminHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"GET " + Path:          Handler(),
		"GET " + Index + "{$}": http.RedirectHandler(Path, http.StatusFound),
	}
}
