package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

// benchBody is about the size of the seed's trainings body, compact.
var benchBody = []byte(`{"trainings":[{"name":"Safety at work, basic course","startDate":"2023-03-01","endDate":"2023-03-02","duration":{"hours":14},"type":"formal","costs":{"amount":1250.5,"currency":"EUR"},"provider":{"enterpriseNumber":"0314595348"}},{"name":"First aid","startDate":"2023-06-12","endDate":"2023-06-12","duration":{"hours":7},"type":"informal"}]}`)

// BenchmarkPut is one acknowledged Put of a distinct resource, 64 writers
// at once (as scripts/load's c=64), on the in-memory store, the embedded
// durable log (fsync per group commit) and PostgreSQL (commit per batch,
// synchronous_commit on, fsync on: the pgtest cluster's defaults). Run it
// with -count=3: the three stores alternate, so a noisy machine weighs on
// each alike; compare the put/s medians.
func BenchmarkPut(b *testing.B) {
	for _, kind := range []string{"memory", "file", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			r, done := benchResources(b, kind)
			defer done()
			var n atomic.Int64
			b.SetParallelism(32) // 64 writers on 2 cores
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := fmt.Sprintf("/REST/bench/v1/employers/0403019261/employees/%d/trainings", n.Add(1))
					if _, err := r.Put(context.Background(), k, benchBody); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "put/s")
		})
	}
}

func benchResources(b *testing.B, kind string) (store.Resources, func()) {
	switch kind {
	case "memory":
		return store.NewMemory(), func() {}
	case "file":
		l, err := store.OpenFile(store.FileConfig{Path: filepath.Join(b.TempDir(), "state.log")})
		if err != nil {
			b.Fatal(err)
		}
		return l, func() { l.Close() }
	}
	pg, err := Open(context.Background(), newDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return pg.Resources(), func() { pg.Close() }
}

// BenchmarkReplayAdd is one jti recorded (a fresh one each time), 64 token
// requests at once: the embedded replay cache against PostgreSQL's insert.
func BenchmarkReplayAdd(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var r store.Replay = store.NewReplay(0)
			if kind == "postgres" {
				pg, err := Open(context.Background(), newDB(b), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer pg.Close()
				r = pg.Replay()
			}
			var n atomic.Int64
			now := time.Now()
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.Add(context.Background(), "client", fmt.Sprint(n.Add(1)), now, now.Add(time.Minute)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
