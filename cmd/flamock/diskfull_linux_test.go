package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// setRlimit sets the soft limit of a resource (RLIMIT_FSIZE, RLIMIT_NOFILE)
// of process pid; the hard limit is left as it is. With RLIMIT_FSIZE a write
// past the limit fails with EFBIG, the way a full disk fails with ENOSPC,
// after writing what fits.
func setRlimit(t *testing.T, pid, resource int, limit uint64) {
	t.Helper()
	var old [2]uint64
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(resource), 0, uintptr(unsafe.Pointer(&old)), 0, 0); e != 0 {
		skipOutsideCI(t, fmt.Sprintf("prlimit: %v", e))
	}
	lim := [2]uint64{limit, old[1]}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(resource), uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
		skipOutsideCI(t, fmt.Sprintf("prlimit: %v", e))
	}
}

// skipOutsideCI skips the test with why, or fails it in CI (CI=true), where
// everything a test needs is there.
func skipOutsideCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI must be able to run this test)", why)
	}
	t.Skip(why)
}

// A full disk, then space freed: the write that fails is refused (503) and
// leaves nothing a reader takes as a record; the writes acknowledged after
// space came back all survive a kill -9 and a restart. The "disk" is the
// file-size limit of the real `flamock serve` process, lowered so that the
// next record only half fits, then raised again.
func TestServe_DiskFullThenFreedLosesNoAcknowledgedWrite(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	state := filepath.Join(t.TempDir(), "state.log")
	body := trainingsBody(t)
	client := &http.Client{Timeout: 10 * time.Second}
	p := startServe(t, "--config", cfg, "--state", state)
	token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	acked := map[string]string{}
	put := func(i int) int {
		url := trainingsURL(p.base, "403019261", testSSIN(i), 2023)
		name := fmt.Sprintf("disk training %d", i)
		r := call(t, client, "PUT", url, token, strings.Replace(body, "Safety at work, basic course", name, 1))
		if r.status == 200 || r.status == 201 {
			acked[strings.TrimPrefix(url, p.base)] = name
		}
		return r.status
	}
	for i := range 33 {
		if st := put(i); st != 200 && st != 201 {
			t.Fatalf("PUT %d before the disk filled: %d", i, st)
		}
	}
	fi, err := os.Stat(state)
	if err != nil {
		t.Fatal(err)
	}
	setRlimit(t, p.cmd.Process.Pid, syscall.RLIMIT_FSIZE, uint64(fi.Size())+100) // the next record is ~800 bytes: it half fits
	failed := 0
	for i := 33; i < 36; i++ {
		if st := put(i); st != 503 {
			t.Fatalf("PUT %d on a full disk: %d; want 503", i, st)
		}
		failed++
	}
	if fi2, _ := os.Stat(state); fi2.Size() != fi.Size() {
		t.Errorf("after the failed writes the state file is %d bytes; want %d (the last good record's end)", fi2.Size(), fi.Size())
	}
	setRlimit(t, p.cmd.Process.Pid, syscall.RLIMIT_FSIZE, ^uint64(0)) // space freed
	for i := 36; i < 66; i++ {
		if st := put(i); st != 200 && st != 201 {
			t.Fatalf("PUT %d after space came back: %d\n%s", i, st, p.stderr)
		}
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done

	p2 := startServe(t, "--config", cfg, "--state", state)
	token = getToken(t, client, p2.base, testEmployerID, bundles[testEmployerID])
	lost := 0
	for path, name := range acked {
		r := call(t, client, "GET", p2.base+path, token, "")
		if r.status != 200 || !strings.Contains(r.raw, name) {
			lost++
		}
	}
	t.Logf("%d refused on the full disk; %d of %d acknowledged writes lost after restart", failed, lost, len(acked))
	if lost != 0 {
		t.Fatalf("%d of %d acknowledged writes lost\n%s", lost, len(acked), p2.stderr)
	}
}
