package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// benchTrainings is a stored FLA trainings body (compact, 700 bytes or so,
// as mockfla keeps the spec's example after its defaults).
var benchTrainings = []byte(`{"trainings":[{"certificate":{"received":true,"validUntil":"2026-03-07"},"countsForFla":true,"duration":{"unit":"days","value":2},"endDate":"2023-03-07","financing":"sectoralFund","name":"Safety at work, basic course for new employees on the production floor","startDate":"2023-03-06","type":"formal"},{"certificate":{"received":false},"countsForFla":true,"duration":{"unit":"hours","value":7},"endDate":"2023-06-12","financing":"employer","name":"First aid at the workplace, refresher","startDate":"2023-06-12","type":"informal"},{"countsForFla":false,"duration":{"unit":"hours","value":3},"endDate":"2023-09-20","financing":"employer","name":"Fire safety drill","startDate":"2023-09-20","type":"informal"}]}`)

// countingFile counts the syncs of the state file.
type countingFile struct {
	*os.File
	syncs *atomic.Int64
}

func (f countingFile) Sync() error {
	f.syncs.Add(1)
	return f.File.Sync()
}

// BenchmarkStateLogPut is one acknowledged Put (appended, synced by its
// group commit, applied) of a resource drawn from a pool of 1,000 keys
// (as scripts/load's put.lua), by 1 writer (one fsync per Put) and by 64
// writers at once (as wrk -c64: group commit). It reports puts per fsync.
// The memory case is the same Put without a file. It uses only openStore
// and Put, which the pre-seam mockfla store had too, so the same file
// measures both. Under load compare allocations (-benchmem) and callgrind
// instruction counts (GODEBUG=asyncpreemptoff=1, -test.cpu=1, two
// -benchtime=Nx runs differenced), not times.
func BenchmarkStateLogPut(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("/REST/careerpro-fla/v1/employers/403019261/employees/%011d/calendarYears/2023/trainings", 60010100000+i)
	}
	for _, c := range []struct {
		name    string
		file    bool
		writers int
	}{{"memory", false, 1}, {"file/writers=1", true, 1}, {"file/writers=64", true, 64}} {
		b.Run(c.name, func(b *testing.B) {
			var syncs atomic.Int64
			cfg := logConfig{log: slog.New(slog.DiscardHandler)}
			if c.file {
				cfg.path = filepath.Join(b.TempDir(), "state.log")
				cfg.openFile = func(name string, flag int, perm os.FileMode) (logFile, error) {
					f, err := os.OpenFile(name, flag, perm)
					if err != nil {
						return nil, err
					}
					return countingFile{f, &syncs}, nil
				}
			}
			s, err := openStore(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for _, k := range keys { // the pool exists: every measured Put replaces
				if _, err := s.Put(k, benchTrainings); err != nil {
					b.Fatal(err)
				}
			}
			syncs.Store(0)
			var n atomic.Int64
			put := func() bool {
				k := keys[n.Add(1)%int64(len(keys))]
				if _, err := s.Put(k, benchTrainings); err != nil {
					b.Error(err)
					return false
				}
				return true
			}
			b.ReportAllocs()
			b.SetParallelism((c.writers + 1) / 2) // 2 cores: GOMAXPROCS×p writers
			b.ResetTimer()
			start := time.Now()
			if c.writers == 1 {
				for i := 0; i < b.N && put(); i++ {
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() && put() {
					}
				})
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "put/s")
			if c.file {
				b.ReportMetric(float64(b.N)/float64(max(syncs.Load(), 1)), "puts/fsync")
			}
		})
	}
}
