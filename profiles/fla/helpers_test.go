package fla_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
)

// The FLA rules' own tests run the engine with the profile, as the
// mockfla tests do (mockfla/helpers_test.go has the same helpers).

// fakeVerifier stands in for mockoauth: token -> caller.
type fakeVerifier map[string]mockfla.Caller

func (f fakeVerifier) VerifyAccessToken(_ context.Context, token string, required []string) (mockfla.Caller, error) {
	c, ok := f[token]
	if !ok {
		return mockfla.Caller{}, bearer.ErrInvalid
	}
	if len(required) > 0 && !slices.ContainsFunc(required, c.HasScope) {
		return mockfla.Caller{}, &bearer.ScopeError{Required: required, Granted: c.Scopes}
	}
	return c, nil
}

const (
	employerEN  = "0880820673" // the seed's 880820673
	providerEN  = "0403019261" // mandated by employerEN
	stranger    = "0566988259" // a provider without mandate
	trainerEN   = "0314595348" // a training provider
	employerTok = "tok-employer"
	providerTok = "tok-provider"
	trainerTok  = "tok-trainer"

	emp  = fla.EmployerBasePath
	tp   = fla.TrainingProviderBasePath
	seed = emp + "/employers/880820673/employees/65111899801/calendarYears/2023/trainings"
)

const trainingSet = `{"trainings":[{"reference":"SAFETY-2023-01","name":"Safety at work","startDate":"2023-03-06","endDate":"2023-03-07","duration":{"value":2,"unit":"days"},"status":"completed","trainingType":"formal","countsForFla":true,"certificate":{"received":true,"validUntil":"2026-03-07"}},{"name":"Mentoring","startDate":"2023-09-11","endDate":"2023-09-11","duration":{"value":3.8,"unit":"hours"},"status":"completed","trainingType":"informal"}]}`

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func verifier() fakeVerifier {
	return fakeVerifier{
		employerTok: {ClientID: "self_service_chaman_1_employer", Quality: fla.QualityEmployer, EnterpriseNumber: employerEN, Scopes: []string{fla.EmployerScope}},
		providerTok: {ClientID: "self_service_chaman_2_provider", Quality: fla.QualityProvider, EnterpriseNumber: providerEN, Scopes: []string{fla.ProviderScope}},
		trainerTok:  {ClientID: "self_service_chaman_4_trainer", Quality: fla.QualityTrainingProvider, EnterpriseNumber: trainerEN, Scopes: []string{fla.TrainingProviderScope}},
	}
}

// flaConfig is the engine's Config with the FLA profile built from opts.
func flaConfig(opts fla.Options) (mockfla.Config, *fla.Profile) {
	p, err := fla.New(opts)
	if err != nil {
		panic(err)
	}
	return mockfla.Config{
		Specs:    fla.Specs(),
		Rules:    []*mockfla.Rules{p.Rules()},
		Verifier: verifier(),
		Now:      func() time.Time { return fixedNow },
		Journal:  journal.New(journal.Config{}),
		Strict:   true,
	}, p
}

func baseConfig() mockfla.Config {
	cfg, _ := flaConfig(fla.Options{Mandates: []fla.Mandate{{Provider: providerEN, Employer: "880820673", From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}}})
	return cfg
}

func newServer(t testing.TB, cfg mockfla.Config) *mockfla.Server {
	t.Helper()
	s, err := mockfla.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) problem(t *testing.T) mockfla.Problem {
	t.Helper()
	var p mockfla.Problem
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q; want application/problem+json (body %s)", ct, r.body)
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	return p
}

func do(t testing.TB, h http.Handler, method, path, token, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}
