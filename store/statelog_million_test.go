package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStateLog_MillionPuts writes the state files that scripts/load/state.sh
// restarts `flamock serve` on: 1,000,000 PUTs of an 800-byte body to 1,000
// resources with 64 concurrent writers, once with compaction while running
// (compacted.log) and once without (uncompacted.log, what a log that only
// grows holds). It runs only with FLAMOCK_STATE_MILLION=DIR: it takes minutes
// and about 1 GB of disk.
func TestStateLog_MillionPuts(t *testing.T) {
	dir := os.Getenv("FLAMOCK_STATE_MILLION")
	if dir == "" {
		t.Skip("set FLAMOCK_STATE_MILLION=DIR to write the files of scripts/load/state.sh")
	}
	const puts, resources, writers = 1_000_000, 1000, 64
	pad := strings.Repeat("x", 640)
	for _, tc := range []struct {
		name  string
		ratio int
	}{{"compacted.log", 0}, {"uncompacted.log", 1 << 30}} {
		path := filepath.Join(dir, tc.name)
		os.Remove(path)
		s, err := openStore(logConfig{path: path, log: slog.New(slog.DiscardHandler), ratio: tc.ratio})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= puts {
						return
					}
					key := fmt.Sprintf("/REST/careerpro-fla/v1/employers/403019261/employees/%d/calendarYears/2023/trainings", 10_000_000_000+i%resources)
					body := fmt.Sprintf(`{"trainings":[{"name":"training %d","startDate":"2023-03-06","endDate":"2023-03-07","note":"%s"}]}`, i, pad)
					if _, err := s.Put(key, []byte(body)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		st, _ := s.Status()
		live := s.liveBytes()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		t.Logf("%s: %d PUTs to %d resources in %v (%.0f/s): %d compactions, file %d bytes, live resources ~%d bytes (file/live %.2f)",
			tc.name, puts, resources, elapsed.Round(time.Millisecond), float64(puts)/elapsed.Seconds(), st.Compactions, fi.Size(), live, float64(fi.Size())/float64(live))
	}
}
