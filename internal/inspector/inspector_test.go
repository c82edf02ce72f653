package inspector

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/tenant"
)

func TestPage(t *testing.T) {
	mux := http.NewServeMux()
	for p, h := range AdminHandlers() {
		mux.Handle(p, h)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/__admin/", nil))
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != Path {
		t.Errorf("GET /__admin/: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", Path, nil))
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET %s: %d %v", Path, rec.Code, rec.Header())
	}
	// Self-contained: nothing loaded from elsewhere.
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(body); m != "" {
		t.Errorf("the page loads %s", m)
	}
	// The checks come from the journal, filled in.
	m := regexp.MustCompile(`const STAGES = (\[.*?\]);\nconst PASSED = (\{.*?\});`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("STAGES and PASSED not filled in")
	}
	var stages []string
	var passed map[string][]string
	if json.Unmarshal([]byte(m[1]), &stages) != nil || json.Unmarshal([]byte(m[2]), &passed) != nil {
		t.Fatalf("not JSON: %s %s", m[1], m[2])
	}
	if strings.Join(stages, " ") != strings.Join(journal.Stages(), " ") {
		t.Errorf("stages %v", stages)
	}
	if got := strings.Join(passed[journal.StageAud], " "); !strings.Contains(got, "signature iss-sub") || strings.Contains(got, "exp") {
		t.Errorf("passed before aud: %s", got)
	}
	if len(passed[journal.StageMethod]) != 0 {
		t.Errorf("passed before method: %v", passed[journal.StageMethod])
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", Path, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d", Path, rec.Code)
	}
}

// /__admin/ui?clientId=ID follows the stream of that client only: the
// page hands its clientId parameter to the journal stream, which filters.
func TestPage_ClientScope(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", Path+"?clientId=ci-job-7", nil))
	const want = `new EventSource("journal/stream" + (client ? "?clientId=" + encodeURIComponent(client) : ""))`
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, `new URLSearchParams(location.search).get("clientId")`) || !strings.Contains(body, want) {
		t.Errorf("GET %s?clientId=ci-job-7 = %d; want 200 and the page passing its clientId parameter to the stream: %s", Path, rec.Code, want)
	}
}

// A scope the page cannot honour is refused with the reason, never a page
// that silently follows every client's events: ?client= (the old name),
// an empty or repeated clientId, another client's id than the one a
// client's admin credential acts for.
func TestPage_ClientScopeRefused(t *testing.T) {
	for _, tc := range []struct {
		actsFor, query string
		code           int
		body           string
	}{
		{"", "?client=ci-job-7", 400, "flamock inspector: client is not a query parameter of the admin API: a client id is ?clientId=ID (e.g. ?clientId=my_client), on every admin route that takes one"},
		{"", "?clientId=", 400, "flamock inspector: clientId must be one client id, e.g. ?clientId=my_client"},
		{"", "?clientId=a&clientId=b", 400, "flamock inspector: clientId must be one client id, e.g. ?clientId=my_client"},
		{"ci-job-7", "?client=ci-job-7", 400, "flamock inspector: client is not a query parameter of the admin API: a client id is ?clientId=ID (e.g. ?clientId=my_client), on every admin route that takes one"},
		{"ci-job-7", "?clientId=ci-job-8", 403, `flamock inspector: the admin credential of client ci-job-7 acts for ci-job-7 only, not for client "ci-job-8"`},
		{"ci-job-7", "?clientId=ci-job-7", 200, ""},
		{"ci-job-7", "", 200, ""},
	} {
		req := httptest.NewRequest("GET", Path+tc.query, nil)
		if tc.actsFor != "" {
			req = req.WithContext(tenant.With(req.Context(), tc.actsFor))
		}
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, req)
		body := strings.TrimSpace(rec.Body.String())
		if rec.Code != tc.code || (tc.code != 200 && body != tc.body) || (tc.code == 200 && !strings.Contains(body, "<html")) {
			t.Errorf("acting for %q: GET %s%s = %d %.80s; want %d %s", tc.actsFor, Path, tc.query, rec.Code, body, tc.code, tc.body)
		}
	}
}
