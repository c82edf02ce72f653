package fla_test

import (
	"net/http/httptest"
	"testing"

	"github.com/flamock/flamock/profiles/fla"
)

// A provider's GET through the engine: the tenant rule checks its mandate
// on every call (the resource is absent: 404).
func BenchmarkProviderGet(b *testing.B) {
	cfg, _ := flaConfig(fla.Options{Mandates: []fla.Mandate{{Provider: providerEN, Employer: employerEN}}})
	s := newServer(b, cfg)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", seed, nil)
		r.Header.Set("Authorization", "Bearer "+providerTok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 404 {
			b.Fatal(w.Code, w.Body)
		}
	}
}
