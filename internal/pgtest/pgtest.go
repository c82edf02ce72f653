// Package pgtest starts a real PostgreSQL server for tests: the Debian
// `postgresql` package's initdb and pg_ctl, a cluster in a new temporary
// folder, listening on 127.0.0.1 on a free port and on a unix socket in
// that folder, never a mock.
//
// PostgreSQL refuses to run as root, and CI runs tests as root: then the
// cluster belongs to the unprivileged user "nobody" (setpriv changes the
// user of initdb and pg_ctl); otherwise to the current user.
//
// When the binaries are missing, Start skips the test with the reason,
// except in CI (the environment variable CI is "true"), where a missing
// PostgreSQL fails the test: CI installs the package.
//
// Each cluster's folder names the test process that owns it (test.pid).
// A `go test` that is killed never stops its clusters; so the first
// cluster a test process starts first stops and removes those whose owner
// no longer exists (Start logs them).
//
// The package runs the binaries only (initdb, pg_ctl, createdb): it imports
// no PostgreSQL driver.
package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// User is the database superuser of a cluster (trust authentication on
// loopback and the socket: the cluster only exists for a test).
const User = "flamock"

// ErrNoPostgres says the PostgreSQL server binaries are not installed.
var ErrNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package postgresql")

// Server is a running PostgreSQL cluster owned by a test.
type Server struct {
	Dir  string // the cluster's folder: data/, the socket, log
	Host string // 127.0.0.1
	Port int

	bin    string // folder of initdb, pg_ctl, createdb
	uid    int    // -1: the current user
	gid    int
	mu     sync.Mutex
	dbs    int
	closed bool
}

// debianBins is where the Debian packages put the server binaries.
var debianBins = "/usr/lib/postgresql/*/bin"

// Bin finds the folder of initdb and pg_ctl: FLAMOCK_PG_BIN when set,
// else the newest /usr/lib/postgresql/N/bin, else PATH.
func Bin() (string, error) {
	if d := os.Getenv("FLAMOCK_PG_BIN"); d != "" {
		if hasServer(d) {
			return d, nil
		}
		return "", fmt.Errorf("FLAMOCK_PG_BIN=%s holds no initdb and pg_ctl", d)
	}
	dirs, _ := filepath.Glob(debianBins)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if hasServer(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if d := filepath.Dir(p); hasServer(d) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func hasServer(dir string) bool {
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// Start starts a new cluster for t and stops it (and removes its folder)
// when t ends. It skips t when PostgreSQL is not installed, except in CI.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if report := reapReport(); report != "" {
		t.Log(report)
	}
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skipf("skipped: %v (in CI this is a failure)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	return s
}

// New creates and starts a cluster; Close stops it and removes its folder.
// The first call of a process first stops and removes the clusters left
// by test processes that no longer exist.
func New() (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	reapOnce.Do(func() { reapOnce.reaped, reapOnce.err = reapOrphans(os.TempDir(), bin) })
	s := &Server{Host: "127.0.0.1", bin: bin, uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		if s.uid, s.gid, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	if s.Dir, err = os.MkdirTemp("", dirPattern); err != nil {
		return nil, err
	}
	if err := writeOwner(s.Dir); err != nil {
		os.RemoveAll(s.Dir)
		return nil, err
	}
	if s.uid >= 0 {
		if err := os.Chown(s.Dir, s.uid, s.gid); err != nil {
			os.RemoveAll(s.Dir)
			return nil, err
		}
	}
	if err := s.initdb(); err != nil {
		os.RemoveAll(s.Dir)
		return nil, err
	}
	if err := s.Start(); err != nil {
		os.RemoveAll(s.Dir)
		return nil, err
	}
	return s, nil
}

// unprivileged is the user the cluster runs as when tests run as root.
func unprivileged() (uid, gid int, err error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return 0, 0, fmt.Errorf("tests run as root and PostgreSQL refuses root: no user nobody to run it as: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// command runs one of the cluster's binaries as the cluster's owner.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	if s.uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(s.uid), Gid: uint32(s.gid)}}
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	cmd.Dir = s.Dir
	return cmd
}

func (s *Server) run(name string, args ...string) error {
	cmd := s.command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

func (s *Server) initdb() error {
	return s.run("initdb", "-D", s.data(), "-U", User, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
}

// Start starts the stopped cluster again, on its port when it has one
// (a restart keeps the address clients know).
func (s *Server) Start() error {
	if s.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
	}
	opts := fmt.Sprintf("-c listen_addresses=%s -p %d -c unix_socket_directories=%s -c max_connections=200 -c log_min_messages=warning",
		s.Host, s.Port, s.Dir)
	return s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "-o", opts, "start")
}

// Stop stops the cluster: mode "fast" (clients disconnected, a clean
// shutdown) or "immediate" (as a crash: recovery at the next start).
func (s *Server) Stop(mode string) error {
	return s.run("pg_ctl", "-D", s.data(), "-m", mode, "-w", "-t", "60", "stop")
}

// Close stops the cluster and removes its folder.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.running() {
		err = s.Stop("immediate")
	}
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

// running reports whether the postmaster's PID file is there.
func (s *Server) running() bool {
	_, err := os.Stat(filepath.Join(s.data(), "postmaster.pid"))
	return err == nil
}

// Log returns the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
	return string(b)
}

// URL is the connection URL of database db (empty: "postgres") over TCP.
func (s *Server) URL(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", User, s.Host, s.Port, db)
}

// NewDB creates a new, empty database and returns its URL: tests that
// share a cluster each get a database of their own.
func (s *Server) NewDB() (string, error) {
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("t%d", s.dbs)
	s.mu.Unlock()
	err := s.run("createdb", "-h", s.Host, "-p", strconv.Itoa(s.Port), "-U", User, name)
	return s.URL(name), err
}

// DB is NewDB for a test: it fails t on error.
func (s *Server) DB(t testing.TB) string {
	t.Helper()
	u, err := s.NewDB()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
