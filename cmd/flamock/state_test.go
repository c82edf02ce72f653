package main

import (
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func stateLine(json string) string {
	return fmt.Sprintf("%08x %s\n", crc32.ChecksumIEEE([]byte(json)), json)
}

func TestStateCheck(t *testing.T) {
	dir := t.TempDir()
	a := stateLine(`{"op":"put","key":"/REST/x/a","data":"e30="}`)
	b := stateLine(`{"op":"put","key":"/REST/x/b","data":"e30="}`)
	c := stateLine(`{"op":"delete","key":"/REST/x/a"}`)
	good := filepath.Join(dir, "good.log")
	os.WriteFile(good, []byte(a+b+c+`0badc0de {"op":"pu`), 0o600)
	code, out, errOut := flamock(t, "state", "check", good)
	want := good + ": " + fmt.Sprint(len(a+b+c)+18) + " bytes, 3 intact records, 1 resources\n" +
		"unfinished last record: 18 bytes (a write cut short by a crash, never acknowledged; serve drops it)\n"
	if code != 0 || out != want || errOut != "" {
		t.Fatalf("intact file: exit %d\n%s\nwant\n%s\nstderr %s", code, out, want, errOut)
	}

	damaged := filepath.Join(dir, "damaged.log")
	os.WriteFile(damaged, []byte(a+strings.Replace(b, "/b", "/B", 1)+c), 0o600)
	code, out, errOut = flamock(t, "state", "check", damaged, "--json")
	if code != 1 || !strings.Contains(out, `"ok": false`) || !strings.Contains(out, fmt.Sprintf(`"offset": %d`, len(a))) ||
		errOut != "flamock state check: "+damaged+": 1 damaged records\n" {
		t.Fatalf("damaged file: exit %d\n%s\nstderr %s", code, out, errOut)
	}

	code, _, errOut = flamock(t, "state", "check", filepath.Join(dir, "none"))
	if code != 1 || !strings.HasPrefix(errOut, "flamock state: state file: open ") {
		t.Fatalf("missing file: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{"state"}, {"state", "check"}, {"state", "check", good, good}, {"state", "fix"}} {
		if code, _, _ := flamock(t, args...); code != 2 {
			t.Errorf("%q: exit %d; want 2", args, code)
		}
	}
}

// serve on a damaged state file says so on stderr and in health, keeps the
// original, and starts on a file that checks clean.
func TestServe_DamagedStateFileIsReportedLoudly(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.log")
	a := stateLine(`{"op":"put","key":"/REST/x/a","data":"e30="}`)
	b := stateLine(`{"op":"put","key":"/REST/x/b","data":"e30="}`)
	c := stateLine(`{"op":"put","key":"/REST/x/c","data":"e30="}`)
	os.WriteFile(file, []byte(a+strings.Replace(b, "e30", "e31", 1)+c), 0o600)
	cfg, _ := writeTestConfig(t, "")
	p := startServe(t, "--config", cfg, "--state", file)
	resp, err := http.Get(p.base + "/__admin/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"status":"DEGRADED"`) || !strings.Contains(string(body), `"damagedRecords":1`) ||
		!strings.Contains(string(body), `"resources":2`) {
		t.Fatalf("health: %s", body)
	}
	time.Sleep(100 * time.Millisecond)
	p.kill()
	if !strings.Contains(p.stderr.String(), "level=ERROR msg=\"mockfla: STATE FILE DAMAGED") {
		t.Fatalf("stderr:\n%s", p.stderr)
	}
	copies, _ := filepath.Glob(file + ".damaged-*")
	if len(copies) != 1 {
		t.Fatalf("copies: %v", copies)
	}
	if code, _, _ := flamock(t, "state", "check", copies[0]); code != 1 {
		t.Fatalf("the kept original checks clean")
	}
	if code, out, _ := flamock(t, "state", "check", file); code != 0 || !strings.Contains(out, "2 intact records, 2 resources") {
		t.Fatalf("the rewritten file: exit %d %s", code, out)
	}
}
