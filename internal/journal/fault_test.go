package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fullDisk is a journal file on a disk that can fill up: while full, a
// write puts down part of its bytes and fails with ENOSPC.
type fullDisk struct {
	*os.File
	full bool
}

func (f *fullDisk) Write(b []byte) (int, error) {
	if f.full {
		n, _ := f.File.Write(b[:len(b)/3])
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Write(b)
}

func TestJournal_FullDiskNeverHalfALineAndResumes(t *testing.T) {
	name := filepath.Join(t.TempDir(), "journal.jsonl")
	os.WriteFile(name, []byte(`{"seq":0,"kind":"api"}`+"\n"), 0o600) // an earlier run's line
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &fullDisk{File: f}
	var logs bytes.Buffer
	j := New(Config{Writer: w, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	api := func() {
		j.Append(Event{Kind: KindAPI, API: &API{Method: "GET", Path: "/x", Verdict: VerdictOK, Status: 200}})
	}
	api()
	api()
	w.full = true
	for range 5 {
		api()
	}
	if err := j.Err(); err == nil || !strings.Contains(err.Error(), "journal: write ") || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Err = %v", err)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d error lines; want one:\n%s", n, logs.String())
	}
	w.full = false
	api()
	api()
	if j.Err() != nil || j.Unwritten() != 5 || len(j.Events(0)) != 9 {
		t.Fatalf("after space came back: Err %v, Unwritten %d, %d events in memory", j.Err(), j.Unwritten(), len(j.Events(0)))
	}
	if !strings.Contains(logs.String(), `level=WARN msg="journal: writing resumes; the events in between are missing from the file (they were kept in memory)" missing=3-7`) {
		t.Fatalf("no resume line:\n%s", logs.String())
	}
	b, _ := os.ReadFile(name)
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Fatalf("file ends with half a line:\n%s", b)
	}
	var seqs []uint64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q is not an event: %v", sc.Text(), err)
		}
		seqs = append(seqs, e.Seq)
	}
	if want := []uint64{0, 1, 2, 8, 9}; !slicesEqual(seqs, want) {
		t.Fatalf("lines %v; want %v", seqs, want)
	}
}

func slicesEqual(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
