package main

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAdminPlacement(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 8080} }
	for _, tc := range []struct {
		api              net.Addr
		addr, token      string
		wantAddr         string
		wantExposedAlert bool
	}{
		{tcp("127.0.0.1"), "", "", "", false},
		{tcp("::1"), "", "", "", false},
		{tcp("0.0.0.0"), "", "", "127.0.0.1:0", true},
		{tcp("::"), "", "", "127.0.0.1:0", true},
		{tcp("192.0.2.7"), "", "", "127.0.0.1:0", true},
		{tcp("192.0.2.7"), "127.0.0.1:9999", "", "127.0.0.1:9999", true},
		{tcp("192.0.2.7"), "", "s3cret", "", true}, // beside the API, behind the token
		{tcp("127.0.0.1"), "127.0.0.1:0", "", "127.0.0.1:0", false},
	} {
		addr, exposed := adminPlacement(tc.api, tc.addr, tc.token)
		if addr != tc.wantAddr || exposed != tc.wantExposedAlert {
			t.Errorf("adminPlacement(%v, %q, %q) = %q, %v; want %q, %v", tc.api, tc.addr, tc.token, addr, exposed, tc.wantAddr, tc.wantExposedAlert)
		}
	}
}

var adminRE = regexp.MustCompile(`admin +(http://[^ ]+)/__admin/health `)

func status(t *testing.T, method, url, auth string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// --admin-addr serves the admin API apart (the API's listener has none);
// --admin-token guards it.
func TestServe_AdminApartAndGuarded(t *testing.T) {
	cfg, _ := writeTestConfig(t, "")
	p := startServe(t, "--config", cfg, "--admin-addr", "127.0.0.1:0")
	m := adminRE.FindStringSubmatch(p.banner)
	if m == nil || m[1] == p.base {
		t.Fatalf("banner does not show the admin API apart:\n%s", p.banner)
	}
	if s := status(t, "GET", p.base+"/__admin/health", ""); s != 404 {
		t.Fatalf("admin API on the API's listener: %d", s)
	}
	if s := status(t, "GET", m[1]+"/__admin/health", ""); s != 200 {
		t.Fatalf("admin API on its own listener: %d", s)
	}
	if s := status(t, "GET", m[1]+"/REST/careerpro-fla/v1/employers/403019261/calendarYears/2023/optOut", ""); s != 404 {
		t.Fatalf("the API on the admin listener: %d", s)
	}

	p2 := startServe(t, "--config", cfg, "--admin-token", "s3cret")
	if !strings.Contains(p2.banner, "(requires Authorization: Bearer <admin token>)") {
		t.Fatalf("banner:\n%s", p2.banner)
	}
	for _, tc := range []struct {
		method, path, auth string
		want               int
	}{
		{"GET", "/__admin/health", "", 401},
		{"GET", "/__admin/health", "Bearer wrong", 401},
		{"POST", "/__admin/oauth/tokens", "", 401},
		{"GET", "/__admin/health", "Bearer s3cret", 200},
		{"GET", "/__admin/oauth/clients", "bearer s3cret", 200},
		// A browser sends Basic credentials: any user, the token as password.
		{"GET", "/__admin/ui", "Basic " + base64.StdEncoding.EncodeToString([]byte("me:s3cret")), 200},
		{"GET", "/__admin/journal", "Basic " + base64.StdEncoding.EncodeToString([]byte("me:wrong")), 401},
		{"GET", "/__admin/ui", "Basic " + base64.StdEncoding.EncodeToString([]byte("s3cret:")), 401},
	} {
		if s := status(t, tc.method, p2.base+tc.path, tc.auth); s != tc.want {
			t.Errorf("%s %s (%q) = %d; want %d", tc.method, tc.path, tc.auth, s, tc.want)
		}
	}
	// The 401 offers Basic too, so a browser opening the inspector asks for the token.
	resp, err := http.Get(p2.base + "/__admin/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Values("WWW-Authenticate"); len(got) != 2 || !strings.HasPrefix(got[0], "Bearer ") || !strings.HasPrefix(got[1], "Basic ") {
		t.Errorf("WWW-Authenticate = %q; want a Bearer and a Basic challenge", got)
	}
	if code, _, errOut := flamock(t, "serve", "--addr", "127.0.0.1:0", "--admin-addr", "192.0.2.1:0"); code == 0 || errOut == "" {
		t.Fatalf("non-loopback --admin-addr: exit %d %q", code, errOut)
	}
}

// serveInProcess runs flamock serve in this process until its banner is
// printed, then stops it.
func serveInProcess(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &out, &errOut) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops it.") {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d\n%s\n%s", code, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no banner")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	return out.String(), errOut.String()
}

// Flag paths are relative to the working directory, paths in the config
// file to the file's folder; --demo-dir is made 0700.
func TestServe_PathsAndDemoDir(t *testing.T) {
	cfgDir, work := t.TempDir(), t.TempDir()
	cfg, _ := writeTestConfig(t, "journal: j.jsonl\nstate: from-config.log\n")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(filepath.Join(cfgDir, "flamock.yaml"), data, 0o600)
	files, _ := os.ReadDir(filepath.Dir(cfg))
	for _, f := range files {
		if f.Name() != "flamock.yaml" {
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(cfg), f.Name()))
			os.WriteFile(filepath.Join(cfgDir, f.Name()), b, 0o600)
		}
	}
	t.Chdir(work)
	serveInProcess(t, "--config", filepath.Join(cfgDir, "flamock.yaml"), "--state", "flag.log")
	for _, f := range []string{filepath.Join(work, "flag.log"), filepath.Join(cfgDir, "j.jsonl")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(cfgDir, "flag.log")); err == nil {
		t.Error("--state resolved against the config file's folder")
	}

	serveInProcess(t, "--demo-dir", "demo")
	if fi, err := os.Stat(filepath.Join(work, "demo")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("--demo-dir: %v %v", fi.Mode(), err)
	}

	os.WriteFile(filepath.Join(work, "ro.log"), nil, 0o400)
	if code, _, errOut := flamock(t, "serve", "--addr", "127.0.0.1:0", "--state", "ro.log"); code != 1 || !strings.Contains(errOut, "ro.log is read-only") {
		t.Fatalf("read-only state file: exit %d, %q", code, errOut)
	}
}
