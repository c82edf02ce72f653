package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// faultyFile is a state file whose disk can fill up: while full, a write
// puts down half its bytes and fails with ENOSPC, as a real full disk does.
type faultyFile struct {
	*os.File
	full          *atomic.Bool
	truncateFails *atomic.Bool
	syncs         *atomic.Int64
	syncGate      chan struct{} // if set, each Sync waits for a value
}

func (f *faultyFile) WriteAt(b []byte, off int64) (int, error) {
	if f.full.Load() {
		n, _ := f.File.WriteAt(b[:len(b)/2], off)
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.WriteAt(b, off)
}

func (f *faultyFile) Truncate(n int64) error {
	if f.truncateFails.Load() {
		return &os.PathError{Op: "truncate", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Truncate(n)
}

func (f *faultyFile) Sync() error {
	f.syncs.Add(1)
	if f.syncGate != nil {
		<-f.syncGate
	}
	return f.File.Sync()
}

type disk struct {
	full, truncateFails atomic.Bool
	syncs               atomic.Int64
	syncGate            chan struct{}
}

func (d *disk) open(name string, flag int, perm os.FileMode) (logFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: f, full: &d.full, truncateFails: &d.truncateFails, syncs: &d.syncs, syncGate: d.syncGate}, nil
}

func testLogConfig(t *testing.T, d *disk) (logConfig, *bytes.Buffer) {
	var logs bytes.Buffer
	return logConfig{
		path:     filepath.Join(t.TempDir(), "state.log"),
		log:      slog.New(slog.NewTextHandler(&logs, nil)),
		now:      func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
		openFile: d.open,
	}, &logs
}

func mustOpen(t *testing.T, cfg logConfig) *mem {
	t.Helper()
	s, err := openStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStateLog_DiskFullUndoneThenResumes(t *testing.T) {
	d := &disk{}
	cfg, logs := testLogConfig(t, d)
	s := mustOpen(t, cfg)
	acked := map[string]string{}
	for i := range 10 {
		k, v := fmt.Sprintf("/r/%d", i), fmt.Sprintf(`{"n":%d}`, i)
		if _, err := s.Put(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
		acked[k] = v
	}
	good, _ := os.ReadFile(cfg.path)
	d.full.Store(true)
	for i := 10; i < 13; i++ {
		_, err := s.Put(fmt.Sprintf("/r/%d", i), []byte(`{"lost":true}`))
		if !errors.Is(err, syscall.ENOSPC) || !strings.HasPrefix(err.Error(), "state file: write ") {
			t.Fatalf("Put on a full disk: %v", err)
		}
		if _, ok := s.Get(fmt.Sprintf("/r/%d", i)); ok {
			t.Fatal("a write that failed was applied")
		}
		if st, _ := s.Status(); !strings.Contains(st.WriteError, "no space left on device") {
			t.Fatalf("status after a failed write: %+v", st)
		}
	}
	if now, _ := os.ReadFile(cfg.path); !bytes.Equal(now, good) {
		t.Fatalf("after failed writes the file is %d bytes, not the %d of its synced records", len(now), len(good))
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"mockfla: state file write failed; undone") {
		t.Fatalf("no error logged:\n%s", logs)
	}
	d.full.Store(false)
	for i := 13; i < 43; i++ {
		k, v := fmt.Sprintf("/r/%d", i), fmt.Sprintf(`{"n":%d}`, i)
		if _, err := s.Put(k, []byte(v)); err != nil {
			t.Fatalf("Put after space came back: %v", err)
		}
		acked[k] = v
	}
	if st, _ := s.Status(); st.WriteError != "" {
		t.Fatalf("write error not cleared: %+v", st)
	}
	s.Close()
	s2 := mustOpen(t, cfg)
	for k, v := range acked {
		if b, ok := s2.Get(k); !ok || string(b) != v {
			t.Fatalf("acknowledged %s lost: %q %v", k, b, ok)
		}
	}
	if s2.Len() != len(acked) {
		t.Fatalf("%d resources after restart; want %d", s2.Len(), len(acked))
	}
}

// When the failed write cannot even be truncated away, the log refuses
// writes (they would land after garbage) and resumes once the truncation
// succeeds.
func TestStateLog_UndoFailsRefusesUntilRepaired(t *testing.T) {
	d := &disk{}
	cfg, logs := testLogConfig(t, d)
	s := mustOpen(t, cfg)
	s.Put("/a", []byte(`1`))
	good, _ := os.ReadFile(cfg.path)
	d.full.Store(true)
	d.truncateFails.Store(true)
	if _, err := s.Put("/b", []byte(`2`)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(logs.String(), "could not be undone; writes are refused until it can") {
		t.Fatalf("log:\n%s", logs)
	}
	d.full.Store(false) // space back, but the file still ends with half a record
	_, err := s.Put("/c", []byte(`3`))
	if err == nil || !strings.Contains(err.Error(), "state file: an earlier failed write (write ") ||
		!strings.Contains(err.Error(), "could not be undone yet: truncate") {
		t.Fatalf("err = %v", err)
	}
	d.truncateFails.Store(false)
	if _, err := s.Put("/d", []byte(`4`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "state file repaired; writes resume") {
		t.Fatalf("log:\n%s", logs)
	}
	now, _ := os.ReadFile(cfg.path)
	if !bytes.HasPrefix(now, good) || bytes.Count(now, []byte("\n")) != 2 {
		t.Fatalf("file after repair:\n%s", now)
	}
	rep, err := CheckStateFile(cfg.path)
	if err != nil || len(rep.Damaged) != 0 || rep.TornTail != 0 || rep.Records != 2 || rep.Resources != 2 {
		t.Fatalf("CheckStateFile = %+v, %v", rep, err)
	}
}

// Concurrent writes share fsyncs, and none is acknowledged (nor visible)
// before the fsync that covers it returns.
func TestStateLog_GroupCommit(t *testing.T) {
	d := &disk{syncGate: make(chan struct{})}
	cfg, _ := testLogConfig(t, d)
	go func() { d.syncGate <- struct{}{} }() // the start's compaction
	s, err := openStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := d.syncs.Load()
	const n = 64
	var acked atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Put(fmt.Sprintf("/g/%d", i), []byte(`{}`)); err != nil {
				t.Error(err)
			}
			acked.Add(1)
		}()
	}
	// Hold the first fsync: nothing may be acknowledged or visible meanwhile.
	for d.syncs.Load() == base {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if acked.Load() != 0 || s.Len() != 0 {
		t.Fatalf("%d acknowledged, %d visible before their fsync returned", acked.Load(), s.Len())
	}
	close(d.syncGate) // every fsync from now on returns at once
	wg.Wait()
	syncs := d.syncs.Load() - base
	t.Logf("%d concurrent writes, %d fsyncs", n, syncs)
	if syncs >= n/2 {
		t.Fatalf("%d fsyncs for %d concurrent writes: no group commit", syncs, n)
	}
	s.Close()
}

// The log is compacted while writes go on, stays proportional to the live
// resources, and loses nothing written during a compaction.
func TestStateLog_CompactsWhileRunning(t *testing.T) {
	d := &disk{}
	cfg, _ := testLogConfig(t, d)
	cfg.minBytes = 16 << 10
	s := mustOpen(t, cfg)
	val := []byte(`{"payload":"` + strings.Repeat("x", 200) + `"}`)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprintf("/c/%d", (w*2000+i)%50)
				if _, err := s.Put(k, append([]byte(fmt.Sprintf(`{"w":%d,"i":%d,`, w, i)), val[1:]...)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st, _ := s.Status()
	live := s.liveBytes()
	if st.Compactions == 0 {
		t.Fatalf("not compacted while running: %+v, live %d", st, live)
	}
	want := s.snapshot()
	s.Close()
	fi, _ := os.Stat(cfg.path)
	t.Logf("16000 writes to 50 resources: %d compactions while running (log %d bytes at the end), %d bytes after Close, live %d bytes",
		st.Compactions, st.LogBytes, fi.Size(), live)
	if fi.Size() > cfg.minBytes && fi.Size() > compactRatio*live {
		t.Fatalf("file %d bytes after Close; live %d", fi.Size(), live)
	}
	s2 := mustOpen(t, cfg)
	if s2.Len() != 50 {
		t.Fatalf("%d resources after restart", s2.Len())
	}
	for k, v := range want {
		if b, _ := s2.Get(k); !bytes.Equal(b, v) {
			t.Fatalf("%s = %s after restart; want %s", k, b, v)
		}
	}
	if m, _ := filepath.Glob(cfg.path + ".*"); len(m) != 0 {
		t.Fatalf("left-over files: %v", m)
	}
}

func TestStateLog_ReadOnlyFileIsAnError(t *testing.T) {
	cfg, _ := testLogConfig(t, &disk{})
	os.WriteFile(cfg.path, nil, 0o400)
	_, err := openStore(cfg)
	if err == nil || !strings.Contains(err.Error(), "state file: ") || !strings.Contains(err.Error(), "read-only") && !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(cfg.path); len(b) != 0 {
		t.Fatal("read-only file changed")
	}
	if fi, _ := os.Stat(cfg.path); fi.Mode().Perm() != 0o400 {
		t.Fatal("read-only file replaced")
	}
}

func TestCheckStateFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.log")
	a := encodeRecord(record{Op: "put", Key: "/a", Data: []byte("1")})
	b := encodeRecord(record{Op: "put", Key: "/b", Data: []byte("2")})
	c := encodeRecord(record{Op: "delete", Key: "/a"})
	bad := bytes.Clone(b)
	bad[15] ^= 1
	os.WriteFile(file, concat(a, bad, b, c, []byte(`0badc0de {"op":"put","ke`)), 0o600)
	rep, err := CheckStateFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := StateFileReport{Records: 3, Resources: 1, Damaged: []Damage{{Offset: int64(len(a)), Bytes: len(bad)}}, TornTail: 24,
		Bytes: int64(len(a) + len(bad) + len(b) + len(c) + 24)}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Fatalf("report = %+v\nwant %+v", rep, want)
	}
	if _, err := CheckStateFile(filepath.Join(dir, "none")); err == nil || !strings.HasPrefix(err.Error(), "state file: open ") {
		t.Fatalf("err = %v", err)
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var _ io.WriterAt = (*faultyFile)(nil)
