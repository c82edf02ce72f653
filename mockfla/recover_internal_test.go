package mockfla

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServer_Recover: a panic in a layer becomes a 500 problem and a
// journal event, never a crash.
func TestServer_Recover(t *testing.T) {
	s, err := New(flaConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.panicHook = func(*http.Request) { panic("boom") }
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainings", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(rec.Body.String(), `"type":"urn:problem-type:belgif:internalServerError"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	evs := s.Journal().Events(0)
	if len(evs) != 1 || evs[0].API.Status != 500 || evs[0].API.Layers[len(evs[0].API.Layers)-1].Name != "panic" {
		t.Fatalf("journal = %+v", evs)
	}
}

// TestServer_StrictDrift: a response that does not match the spec is
// replaced by a 500 problem in Strict mode.
func TestServer_StrictDrift(t *testing.T) {
	cfg := flaConfig(t)
	cfg.Strict = true
	// A profile rule whose computed answer does not match the document.
	cfg.Rules = []*Rules{{Name: "plain", Operations: map[string]OpRule{"getTrainings": {
		Handle: func(c Call) Answer { return c.JSON(200, map[string]any{"trainings": "not a list"}) },
	}}}}
	for i := range cfg.Specs {
		cfg.Specs[i].Profile = "plain"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := "/REST/careerpro-fla/v1/employers/0880820673/employees/65111899801/calendarYears/2023/trainings"
	s.cfg.Verifier = verifierFunc(func() Caller {
		return Caller{ClientID: "c", Quality: "employer", EnterpriseNumber: "0880820673", Scopes: []string{"scope:sigedis:gestion:careerpro-federal-learning-account:employer"}}
	})
	req := httptest.NewRequest("GET", key, nil)
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "does not match the spec") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

type verifierFunc func() Caller

func (f verifierFunc) VerifyAccessToken(_ context.Context, _ string, _ []string) (Caller, error) {
	return f(), nil
}
