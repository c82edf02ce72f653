package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGather_YieldsWhileTheQueueGrows(t *testing.T) {
	for _, c := range []struct {
		grows, want int
	}{{0, 1}, {1, 2}, {2, 3}, {100, gatherRounds}} {
		l := &stateLog{}
		yields := 0
		l.yield = func() {
			if yields < c.grows {
				l.queue = append(l.queue, &pending{})
			}
			yields++
		}
		if got := l.gather(); got != c.want || yields != c.want {
			t.Errorf("queue growing on %d yields: gather = %d (yielded %d times), want %d", c.grows, got, yields, c.want)
		}
	}
}

// TestGather_WritesQueuedMeanwhileShareTheFsync: writes that reach the
// queue while the committer yields are written and synced with the one
// that woke it, and every writer gets its answer.
func TestGather_WritesQueuedMeanwhileShareTheFsync(t *testing.T) {
	var syncs atomic.Int64
	s, err := openStore(logConfig{path: filepath.Join(t.TempDir(), "state.log"), log: slog.New(slog.DiscardHandler),
		openFile: func(name string, flag int, perm os.FileMode) (logFile, error) {
			f, err := os.OpenFile(name, flag, perm)
			if err != nil {
				return nil, err
			}
			return countingFile{f, &syncs}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	put := func(i int) {
		defer wg.Done()
		if _, err := s.Put(fmt.Sprintf("/r/%d", i), []byte("{}")); err != nil {
			t.Error(err)
		}
	}
	joined := 0
	s.log.yield = func() { // the committer's yield: two more writers queue meanwhile
		if joined == 2 {
			return
		}
		joined++
		n := s.log.queued()
		wg.Add(1)
		go put(joined)
		for deadline := time.Now().Add(10 * time.Second); s.log.queued() == n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	before := syncs.Load()
	wg.Add(1)
	put(0)
	wg.Wait()
	if got := syncs.Load() - before; got != 1 {
		t.Errorf("3 writes, 2 of them queued while the committer gathered: %d fsyncs, want 1", got)
	}
	if s.Len() != 3 {
		t.Errorf("%d resources, want 3", s.Len())
	}
}
