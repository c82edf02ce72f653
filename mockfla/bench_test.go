package mockfla_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
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

// benchSSIN returns the i-th of a series of distinct valid SSINs.
func benchSSIN(i int) string {
	day := i / 997
	n := (60+day/336)*10000000 + ((day%336)/28+1)*100000 + (day%28+1)*1000 + i%997 + 1
	return fmt.Sprintf("%09d%02d", n, 97-n%97)
}

// BenchmarkStoreGrowth stores b.N distinct training sets (two trainings
// each) through the handler and reports the live heap per stored set, the
// figure behind "memory for 1,000,000 stored trainings".
func BenchmarkStoreGrowth(b *testing.B) {
	s := newServer(b, baseConfig())
	base := seed[:strings.Index(seed, "/employees/")]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest("PUT", fmt.Sprintf("%s/employees/%s/calendarYears/2023/trainings", base, benchSSIN(i)), strings.NewReader(trainingSet))
		r.Header.Set("Authorization", "Bearer "+employerTok)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("PUT %d: %d %s", i, w.Code, w.Body)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heapB/set")
}
