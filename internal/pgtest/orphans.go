package pgtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ownerFile, in each cluster's folder, names the test process that owns
// the cluster: its PID and, on Linux, its start time (so that a reused PID
// is not mistaken for the owner), "PID START\n".
const ownerFile = "test.pid"

// dirPattern is the name of a cluster's folder in os.TempDir.
const dirPattern = "flamock-pg-"

// reapOnce runs reapOrphans once per test process, at the first cluster.
var reapOnce struct {
	sync.Once
	reaped   []string
	err      error
	reported sync.Once
}

// reapReport says, once per process, which orphaned clusters New removed
// and what failed; "" when there is nothing to say.
func reapReport() string {
	var out string
	reapOnce.reported.Do(func() {
		if len(reapOnce.reaped) > 0 {
			out = fmt.Sprintf("pgtest: stopped and removed %d cluster(s) left by test processes that no longer exist: %s", len(reapOnce.reaped), strings.Join(reapOnce.reaped, " "))
		}
		if reapOnce.err != nil {
			out = strings.TrimSpace(out + "\n" + reapOnce.err.Error())
		}
	})
	return out
}

// writeOwner records the current process as the owner of the cluster in
// dir.
func writeOwner(dir string) error {
	pid := os.Getpid()
	return os.WriteFile(filepath.Join(dir, ownerFile), fmt.Appendf(nil, "%d %d\n", pid, startTime(pid)), 0o644)
}

// reapOrphans stops and removes the clusters in tmp whose owning test
// process no longer exists: a `go test` killed (by an outer timeout, a
// SIGKILL) never ran its cleanups, and its postmaster, detached by pg_ctl,
// runs on. A folder without an owner file is never touched: a cluster
// being created, or one of a pgtest that did not write the file yet (on a
// shared machine, another checkout's running test). Neither is one that
// belongs to another user when this process is not root. It returns the
// folders removed and what failed.
func reapOrphans(tmp, bin string) (reaped []string, err error) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPattern+"*"))
	var errs []error
	for _, dir := range dirs {
		b, rerr := os.ReadFile(filepath.Join(dir, ownerFile))
		if rerr != nil {
			continue
		}
		pid, start, ok := parseOwner(string(b))
		if !ok || alive(pid, start) {
			continue
		}
		fi, serr := os.Stat(dir)
		if serr != nil {
			continue
		}
		uid, gid := -1, -1
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
			if os.Geteuid() != 0 {
				continue
			}
			uid, gid = int(st.Uid), int(st.Gid)
		}
		s := &Server{Dir: dir, bin: bin, uid: uid, gid: gid}
		if e := s.stopOrphan(); e != nil {
			errs = append(errs, fmt.Errorf("pgtest: the cluster in %s, left by test process %d, could not be stopped: %w", dir, pid, e))
			continue
		}
		if e := os.RemoveAll(dir); e != nil && !errors.Is(e, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("pgtest: remove %s: %w", dir, e))
			continue
		}
		reaped = append(reaped, dir)
	}
	return reaped, errors.Join(errs...)
}

// stopOrphan stops an orphaned cluster, as a crash would (no clean
// shutdown is owed to a cluster no test uses). A postmaster that no longer
// runs (its PID file stale, e.g. after a reboot) needs no stopping.
func (s *Server) stopOrphan() error {
	b, err := os.ReadFile(filepath.Join(s.data(), "postmaster.pid"))
	if err != nil {
		return nil // never started, or stopped
	}
	pid, perr := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if perr != nil || !alive(pid, 0) {
		return nil
	}
	return s.Stop("immediate")
}

// parseOwner reads an owner file: "PID START".
func parseOwner(s string) (pid int, start uint64, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	return pid, start, err1 == nil && err2 == nil && pid > 0
}

// alive reports whether process pid exists and, when start is not 0 and
// the system tells (Linux's /proc), started at start: a zombie, or another
// process that got the PID since, is not the owner. When in doubt, alive.
func alive(pid int, start uint64) bool {
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		state, st, ok := procStat(string(b))
		return ok && state != "Z" && state != "X" && (start == 0 || st == start)
	} else if errors.Is(err, fs.ErrNotExist) && procMounted() {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// startTime is the start time of process pid as /proc tells it (clock
// ticks since boot); 0 where there is no /proc.
func startTime(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	_, st, _ := procStat(string(b))
	return st
}

// procStat reads the state (field 3) and the start time (field 22) of a
// /proc/PID/stat line; the command name (field 2) may hold spaces and
// parentheses, so the fields are counted after its last ')'.
func procStat(line string) (state string, start uint64, ok bool) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 20 {
		return "", 0, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	return f[0], start, err == nil
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}
