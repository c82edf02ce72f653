package mockfla_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validSSIN returns the i-th of a series of distinct valid SSINs.
func validSSIN(i int) string {
	day := time.Date(1981, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/997)
	body := fmt.Sprintf("%02d%02d%02d%03d", day.Year()%100, day.Month(), day.Day(), i%997+1)
	var n int64
	fmt.Sscan(body, &n)
	return fmt.Sprintf("%s%02d", body, 97-n%97)
}

func trainingsPath(i int) string {
	return emp + "/employers/880820673/employees/" + validSSIN(i) + "/calendarYears/2023/trainings"
}

// One damaged byte in record 50 of 100 loses that record only: the 50
// intact records after it are kept, the damage is reported, and the
// original file is kept beside the compacted one.
func TestStateFile_DamagedRecordInTheMiddle(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.log")
	cfg := baseConfig()
	cfg.StateFile = file
	s := newServer(t, cfg)
	for i := range 100 {
		if r := do(t, s, "PUT", trainingsPath(i), employerTok, trainingSet); r.status != 201 && r.status != 200 {
			t.Fatalf("PUT %d = %d %s", i, r.status, r.body)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(original, []byte("\n"))
	if len(lines) != 101 || len(lines[100]) != 0 {
		t.Fatalf("state file has %d lines; want 100 records", len(lines)-1)
	}
	// Damage one byte inside record 50 (index 49), in its data.
	damaged := bytes.Clone(original)
	off := 0
	for _, l := range lines[:49] {
		off += len(l)
	}
	pos := off + len(lines[49]) - 20
	damaged[pos] ^= 0x20
	if err := os.WriteFile(file, damaged, 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := newServer(t, cfg)
	kept := 0
	for i := range 100 {
		if r := do(t, s2, "GET", trainingsPath(i), employerTok, ""); r.status == 200 {
			kept++
		} else if i != 49 {
			t.Errorf("record %d, intact, lost after damage in record 50: %d", i+1, r.status)
		}
	}
	t.Logf("%d of 100 records kept after one damaged byte in record 50", kept)
	if kept != 99 {
		t.Fatalf("kept %d records; want 99", kept)
	}
	// The original, damage included, is kept beside the new file.
	copies, _ := filepath.Glob(file + ".damaged-*")
	if len(copies) != 1 {
		t.Fatalf("damaged copies: %v; want one", copies)
	}
	if b, _ := os.ReadFile(copies[0]); !bytes.Equal(b, damaged) {
		t.Fatalf("%s is not the damaged original", copies[0])
	}
	// Health says so.
	h := do(t, s2, "GET", "/__admin/health", "", "")
	if !strings.Contains(string(h.body), `"damagedRecords":1`) || !strings.Contains(string(h.body), `"status":"DEGRADED"`) ||
		!strings.Contains(string(h.body), filepath.Base(copies[0])) {
		t.Fatalf("health does not report the damage: %s", h.body)
	}
}
