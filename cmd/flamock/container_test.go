package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The documented `docker run` of a folder `flamock init` made: the image's
// ENTRYPOINT, USER (uid 65532 when the test runs as root, as the
// container does) and ENV, the folder mounted as the host user left it
// (keys 0600 of another user), the journal in the container's /tmp.
func TestContainerServesAnInitFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	if os.Getuid() != 0 {
		t.Log("not root: the image's user cannot be taken; the folder is this user's own")
	}
	df := parseDockerfile(t, "../../Dockerfile")
	final := df.stages[len(df.stages)-1]
	mount := t.TempDir()
	for d := mount; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755) // as a folder under a home directory: others may enter
	}
	acme := filepath.Join(mount, "acme")
	if code, _, errOut := flamock(t, "init", acme); code != 0 {
		t.Fatal(errOut)
	}
	if st, err := os.Stat(filepath.Join(acme, "certs", "client.p12")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("init's key: %v %v; want mode 0600", st, err)
	}
	journal := filepath.Join(t.TempDir(), "traffic.jsonl") // the container's /tmp
	os.Chmod(filepath.Dir(journal), 0o1777)
	argv := append(append([]string{}, final.entrypoint[1:]...), "serve", "--addr", "127.0.0.1:0",
		"--config", filepath.Join(acme, "flamock.yaml"), "--journal", journal)
	bin := filepath.Join(mount, "flamock") // the image's /flamock: any user may run it
	data, err := os.ReadFile(flamockBinary(t))
	if err != nil || os.WriteFile(bin, data, 0o755) != nil {
		t.Fatal(err)
	}
	url, stderr, stop := startImage(t, bin, argv, final, "")
	defer stop()
	if code := getStatus(t, url+"/__admin/ready", ""); code != http.StatusOK {
		t.Fatalf("/__admin/ready: %d\n%s", code, stderr.String())
	}
	if code := getStatus(t, url+"/REST/oauth/v5/jwks", ""); code != http.StatusOK {
		t.Errorf("JWKS: %d", code)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Errorf("the journal was not opened where --journal says: %v\n%s", err, stderr.String())
	}
}

// The banner's URLs are ones a user can paste: the host it listens on
// (127.0.0.1 for every interface, never [::]), the binary that runs, and
// admin URLs that answer.
func TestBannerPrintsPasteableURLs(t *testing.T) {
	p := startServe(t, "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	if strings.Contains(p.banner, "[::]") || strings.Contains(p.banner, "0.0.0.0") {
		t.Errorf("the banner names an unspecified address:\n%s", p.banner)
	}
	if strings.Contains(p.banner, "go run ./cmd/flamock token") {
		t.Errorf("the banner suggests go run for a built binary:\n%s", p.banner)
	}
	if !strings.Contains(p.banner, "TOKEN=$("+flamockBinary(t)+" token --token-url ") {
		t.Errorf("the banner does not name the binary that runs (%s):\n%s", flamockBinary(t), p.banner)
	}
	checked := 0
	for _, f := range strings.Fields(p.banner) {
		if !strings.HasPrefix(f, "http://127.0.0.1:") || !strings.Contains(f, "/__admin/") {
			continue
		}
		checked++
		if code := getStatus(t, f, ""); code != http.StatusOK {
			t.Errorf("the banner prints %s, which answers %d", f, code)
		}
	}
	if checked < 4 {
		t.Errorf("%d admin URLs in the banner; want the inspector, health, ready and journal:\n%s", checked, p.banner)
	}
}

func TestDisplayURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"0.0.0.0:8080", "http://127.0.0.1:8080"},
		{"[::]:8080", "http://127.0.0.1:8080"},
		{"127.0.0.1:9", "http://127.0.0.1:9"},
		{"[::1]:80", "http://[::1]:80"},
	} {
		a, err := netResolve(tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := displayURL("http", a); got != tc.want {
			t.Errorf("displayURL(%s) = %s; want %s", tc.addr, got, tc.want)
		}
	}
}

func netResolve(s string) (*net.TCPAddr, error) { return net.ResolveTCPAddr("tcp", s) }
