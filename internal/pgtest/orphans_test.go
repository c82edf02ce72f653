package pgtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOrphanHelper is the test process TestReapOrphans kills: it starts a
// cluster, prints its folder and waits to be killed, so its cleanups never
// run, as with a `go test` killed by an outer timeout.
func TestOrphanHelper(t *testing.T) {
	if os.Getenv("PGTEST_ORPHAN_HELPER") != "1" {
		t.Skip("the helper process of TestReapOrphans")
	}
	s, err := New()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("dir:", s.Dir)
	time.Sleep(10 * time.Minute)
}

// postmasterPID is the PID in a cluster's postmaster.pid.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// A cluster whose test process was killed is stopped and removed by the
// next reap; so is one whose owner's PID now belongs to another process,
// and one whose postmaster is gone too. A cluster whose owner lives, and a
// folder without an owner file (a cluster being created, or another
// checkout's), are left alone.
func TestReapOrphans(t *testing.T) {
	bin, err := Bin()
	if err == ErrNoPostgres && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The reap sees only this test's folders, never another test's on a
	// shared machine. As root the cluster is nobody's, which must reach its
	// folder: not t.TempDir, whose parent is root's only.
	tmp, err := os.MkdirTemp("", "pgtest-reap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestOrphanHelper$")
	helper.Env = append(os.Environ(), "PGTEST_ORPHAN_HELPER=1", "TMPDIR="+tmp)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	helper.Process.Kill()
	helper.Wait()
	orphan, ok := strings.CutPrefix(strings.TrimSpace(line), "dir: ")
	if !ok {
		t.Fatalf("the helper printed %q; want its cluster's folder", line)
	}
	postmaster := postmasterPID(t, orphan)
	t.Cleanup(func() { // should the reap fail, the cluster must not outlive the test
		if alive(postmaster, 0) {
			(&Server{Dir: orphan, bin: bin, uid: -1, gid: -1}).Stop("immediate")
		}
	})
	if !alive(postmaster, 0) {
		t.Fatal("the cluster died with its test process: nothing would be left to reap")
	}

	folder := func(name, owner string, stalePostmaster bool) string {
		dir := filepath.Join(tmp, dirPattern+name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if stalePostmaster {
			if err := os.WriteFile(filepath.Join(dir, "data", "postmaster.pid"), []byte(strconv.Itoa(deadPID(t))+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	me := os.Getpid()
	living := folder("living", fmt.Sprintf("%d %d\n", me, startTime(me)), false)
	reused := folder("reused", fmt.Sprintf("%d %d\n", me, startTime(me)+1), false)
	stale := folder("stale", fmt.Sprintf("%d 0\n", deadPID(t)), true)
	unowned := folder("unowned", "", false)
	garbled := folder("garbled", "not a pid\n", false)

	reaped, err := reapOrphans(tmp, bin)
	if err != nil {
		t.Fatalf("reapOrphans: %v", err)
	}
	want := []string{orphan, reused, stale}
	if startTime(me) == 0 { // no /proc: a reused PID cannot be told from its owner
		want = []string{orphan, stale}
	}
	slices.Sort(want)
	if !slices.Equal(reaped, want) {
		t.Errorf("reaped %q; want %q", reaped, want)
	}
	if alive(postmaster, 0) {
		t.Errorf("the orphaned cluster's postmaster (PID %d) still runs", postmaster)
	}
	for _, dir := range want {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s is left behind: %v", dir, err)
		}
	}
	for _, dir := range []string{living, unowned, garbled} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was removed: %v", dir, err)
		}
	}
}

// deadPID is the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// procStat reads a command name with spaces and parentheses.
func TestProcStat(t *testing.T) {
	line := "4242 (go test (x) y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 19 20\n"
	state, start, ok := procStat(line)
	if state != "S" || start != 987654 || !ok {
		t.Errorf("procStat = %q, %d, %v; want S, 987654, true", state, start, ok)
	}
	if _, _, ok := procStat("4242 (x) S 1 2"); ok {
		t.Error("procStat of a short line: ok")
	}
}
