package mockfla_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
)

func TestStateFile_RoundTrip(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.log")
	cfg := baseConfig()
	cfg.StateFile = file
	s, err := mockfla.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(seed, "/2023/", "/2024/", 1)
	other = strings.Replace(other, "2023-", "2024-", -1)
	for _, st := range []struct{ m, p, b string }{{"PUT", seed, trainingSet}, {"PUT", other, strings.ReplaceAll(trainingSet, "2023-", "2024-")}, {"DELETE", other, ""}} {
		if r := do(t, s, st.m, st.p, employerTok, st.b); r.status >= 300 {
			t.Fatalf("%s = %d %s", st.m, r.status, r.body)
		}
	}
	want := do(t, s, "GET", seed, employerTok, "").body
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := do(t, s, "PUT", seed, employerTok, trainingSet); r.status != 503 {
		t.Fatalf("PUT after Close = %d; want 503", r.status)
	}
	// Simulate a crash in the middle of the next write: half a record.
	f, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`0badc0de {"op":"put","key":"/x","da`)
	f.Close()
	s2 := newServer(t, cfg)
	if r := do(t, s2, "GET", seed, employerTok, ""); r.status != 200 || string(r.body) != string(want) {
		t.Fatalf("after restart: %d %s", r.status, r.body)
	}
	if r := do(t, s2, "GET", strings.Replace(seed, "/2023/", "/2024/", 1), employerTok, ""); r.status != 404 {
		t.Fatalf("deleted resource came back: %d", r.status)
	}
	s2.Close()
	// The file was compacted: one record, no torn tail.
	b, _ := os.ReadFile(file)
	if n := strings.Count(string(b), "\n"); n != 1 || strings.Contains(string(b), "0badc0de") {
		t.Fatalf("state file after compaction:\n%s", b)
	}
	// A damaged checksum is ignored too, never fatal.
	damaged := strings.Replace(string(b), `"op":"put"`, `"op":"PUT"`, 1)
	os.WriteFile(file, []byte(damaged), 0o600)
	s3 := newServer(t, cfg)
	if r := do(t, s3, "GET", seed, employerTok, ""); r.status != 404 {
		t.Fatalf("damaged record was applied: %d", r.status)
	}
	// Reset is durable.
	do(t, s3, "PUT", seed, employerTok, trainingSet)
	do(t, s3, "DELETE", "/__admin/state", "", "")
	s3.Close()
	s4 := newServer(t, cfg)
	if r := do(t, s4, "GET", seed, employerTok, ""); r.status != 404 {
		t.Fatalf("reset lost: %d", r.status)
	}
}

func TestStateFile_Unwritable(t *testing.T) {
	cfg := baseConfig()
	cfg.StateFile = filepath.Join(t.TempDir(), "no", "such", "dir", "state.log")
	if _, err := mockfla.New(cfg); err == nil || !strings.Contains(err.Error(), "state file") {
		t.Fatalf("err = %v", err)
	}
}
