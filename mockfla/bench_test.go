package mockfla_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkPutGet measures one authenticated, validated, stored PUT of the
// seed's trainings and one GET of it, through the handler (no network), in
// memory and in the default non-strict mode. Setup (spec parsing, routers)
// happens before the timer.
func BenchmarkPutGet(b *testing.B) {
	for _, strict := range []bool{false, true} {
		name := "lenient"
		if strict {
			name = "strict"
		}
		b.Run(name, func(b *testing.B) {
			cfg := baseConfig()
			cfg.Strict = strict
			s := newServer(b, cfg)
			body := strings.NewReader(trainingSet)
			put := httptest.NewRequest("PUT", seed, body)
			put.Header.Set("Content-Type", "application/json")
			put.Header.Set("Authorization", "Bearer "+employerTok)
			get := httptest.NewRequest("GET", seed, nil)
			get.Header.Set("Authorization", "Bearer "+employerTok)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				body.Seek(0, 0)
				put.Body = http.NoBody
				put.Body = readCloser{body}
				clear(w.h)
				s.ServeHTTP(w, put)
				if w.code != 200 {
					b.Fatalf("PUT = %d", w.code)
				}
				clear(w.h)
				s.ServeHTTP(w, get)
				if w.code != 200 {
					b.Fatalf("GET = %d", w.code)
				}
			}
			el := time.Since(start).Seconds()
			b.ReportMetric(float64(2*b.N)/el, "req/s")
		})
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(c int)           { d.code = c }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
