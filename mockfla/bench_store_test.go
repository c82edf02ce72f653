package mockfla_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkPut measures authenticated, validated, stored PUTs of the
// seed's trainings through the handler, 16 writers per core at once: in
// memory, and durable (a state file: each PUT acknowledged once the fsync
// of its group commit has returned).
func BenchmarkPut(b *testing.B) {
	for _, durable := range []bool{false, true} {
		name := "memory"
		if durable {
			name = "durable"
		}
		b.Run(name, func(b *testing.B) {
			cfg := baseConfig()
			if durable {
				cfg.StateFile = filepath.Join(b.TempDir(), "state.log")
			}
			s := newServer(b, cfg)
			b.ReportAllocs()
			b.SetParallelism(16)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				w := &discard{h: http.Header{}}
				for pb.Next() {
					put := httptest.NewRequest("PUT", seed, strings.NewReader(trainingSet))
					put.Header.Set("Content-Type", "application/json")
					put.Header.Set("Authorization", "Bearer "+employerTok)
					clear(w.h)
					s.ServeHTTP(w, put)
					if w.code != 200 && w.code != 201 {
						b.Errorf("PUT = %d", w.code)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
