package pgtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func psql(t *testing.T, s *Server, db, sql string) string {
	t.Helper()
	psql := filepath.Join(s.bin, "psql")
	if _, err := os.Stat(psql); err != nil {
		psql = "psql"
	}
	out, err := exec.Command(psql, "-X", "-A", "-t", "-h", s.Host, "-p", strconv.Itoa(s.Port), "-U", User, "-d", db, "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// A cluster starts, answers on loopback, survives a restart on the same
// port with its data, and leaves nothing behind.
func TestStartRestartClose(t *testing.T) {
	s, err := New()
	if err != nil {
		if err == ErrNoPostgres && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	if s.Host != "127.0.0.1" || s.Port == 0 {
		t.Fatalf("address %s:%d", s.Host, s.Port)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, ".s.PGSQL."+strconv.Itoa(s.Port))); err != nil {
		t.Errorf("no unix socket in the cluster's folder: %v", err)
	}
	if os.Geteuid() == 0 {
		if got := psql(t, s, "postgres", "select current_setting('data_directory') is not null"); got != "t" {
			t.Fatalf("psql: %q", got)
		}
	}
	u1, err := s.NewDB()
	if err != nil {
		t.Fatal(err)
	}
	u2, err := s.NewDB()
	if err != nil {
		t.Fatal(err)
	}
	if u1 == u2 || !strings.HasPrefix(u1, "postgres://flamock@127.0.0.1:") {
		t.Fatalf("database URLs %q %q", u1, u2)
	}
	psql(t, s, "t1", "create table kept (v int); insert into kept values (42)")

	port := s.Port
	if err := s.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", net.JoinHostPort(s.Host, strconv.Itoa(port))); err == nil {
		c.Close()
		t.Fatal("the port still accepts connections after Stop")
	}
	if err := s.Stop("fast"); err == nil {
		t.Error("stopping a stopped cluster: no error")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.Port != port {
		t.Errorf("restart moved the cluster from port %d to %d", port, s.Port)
	}
	if got := psql(t, s, "t1", "select v from kept"); got != "42" {
		t.Errorf("after a crash restart the committed row reads %q", got)
	}
	if !strings.Contains(s.Log(), "database system is ready") && s.Log() == "" {
		t.Error("empty server log")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's folder is left behind: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// FLAMOCK_PG_BIN naming a folder without the server binaries is refused
// with the folder's name; Start turns a missing PostgreSQL into a skip
// outside CI and a failure in CI.
func TestBinErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLAMOCK_PG_BIN", dir)
	_, err := Bin()
	if err == nil || err.Error() != "FLAMOCK_PG_BIN="+dir+" holds no initdb and pg_ctl" {
		t.Fatalf("Bin: %v", err)
	}
	if _, err := New(); err == nil {
		t.Fatal("New without binaries: no error")
	}
}

func TestBinMissing(t *testing.T) {
	t.Setenv("FLAMOCK_PG_BIN", "")
	t.Setenv("PATH", t.TempDir())
	defer func(g string) { debianBins = g }(debianBins)
	debianBins = filepath.Join(t.TempDir(), "*", "bin")
	if _, err := Bin(); err != ErrNoPostgres {
		t.Fatalf("Bin: %v, want ErrNoPostgres", err)
	}
	if _, err := New(); err != ErrNoPostgres {
		t.Fatalf("New: %v, want ErrNoPostgres", err)
	}
}
