package inspector

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/flamock/flamock/internal/journal"
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

// /__admin/ui?client=ID follows the stream of that client only: the page
// hands its client parameter to the journal stream, which filters.
func TestPage_ClientScope(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", Path+"?client=ci-job-7", nil))
	const want = `new EventSource("journal/stream" + (client ? "?client=" + encodeURIComponent(client) : ""))`
	if body := rec.Body.String(); !strings.Contains(body, `new URLSearchParams(location.search).get("client")`) || !strings.Contains(body, want) {
		t.Errorf("the page does not pass its client parameter to the stream; want %s", want)
	}
}
