package main

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// No Docker engine runs where these tests run, so the Dockerfile is checked
// with what can: the binary is built with the Dockerfile's own build command
// (same environment, same flags), must be static (no ELF interpreter, no
// shared library), and must start with the Dockerfile's own ENTRYPOINT, CMD,
// ENV and USER and answer /__admin/ready.

// dockerfile is the part of a Dockerfile these tests read.
type dockerfile struct {
	stages []dockerStage
	args   map[string]string // ARG defaults, any stage
}

type dockerStage struct {
	from       string
	runs       []string
	env        map[string]string
	user       string
	entrypoint []string
	cmd        []string
	expose     []string
}

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(string(data), "\n") {
		trim := strings.TrimSpace(l)
		if cur.Len() == 0 && (trim == "" || strings.HasPrefix(trim, "#")) {
			continue
		}
		if strings.HasSuffix(trim, "\\") {
			cur.WriteString(strings.TrimSuffix(trim, "\\") + " ")
			continue
		}
		cur.WriteString(trim)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	df := dockerfile{args: map[string]string{}}
	exec := func(s string) []string { // the JSON (exec) form
		var v []string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("Dockerfile: %q is not in exec (JSON array) form: %v", s, err)
		}
		return v
	}
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			df.stages = append(df.stages, dockerStage{from: strings.Fields(rest)[0], env: map[string]string{}})
			continue
		}
		if len(df.stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", instr)
		}
		st := &df.stages[len(df.stages)-1]
		switch instr {
		case "RUN":
			st.runs = append(st.runs, rest)
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			df.args[k] = v
		case "ENV":
			k, v, ok := strings.Cut(rest, "=")
			if !ok {
				t.Fatalf("Dockerfile: ENV %q: use the KEY=VALUE form", rest)
			}
			st.env[k] = v
		case "USER":
			st.user = rest
		case "ENTRYPOINT":
			st.entrypoint = exec(rest)
		case "CMD":
			st.cmd = exec(rest)
		case "EXPOSE":
			st.expose = append(st.expose, strings.Fields(rest)...)
		}
	}
	return df
}

// shellWords splits a command line as sh does for the simple cases a
// Dockerfile RUN uses: blanks, double and single quotes, ${VAR} expanded
// from vars.
func shellWords(t *testing.T, s string, vars map[string]string) []string {
	t.Helper()
	s = regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(s, func(m string) string {
		return vars[m[2:len(m)-1]]
	})
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary the Dockerfile builds; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	df := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(df.stages) < 2 {
		t.Fatalf("Dockerfile: %d stages; want a build stage and a runtime stage", len(df.stages))
	}
	final := df.stages[len(df.stages)-1]
	if final.from != "scratch" && !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("runtime stage FROM %s; want scratch or distroless static", final.from)
	}
	if u := strings.Split(final.user, ":")[0]; u == "" || u == "0" || u == "root" {
		t.Errorf("runtime stage USER %q; want a non-root user", final.user)
	}
	if len(final.runs) > 0 {
		t.Errorf("runtime stage RUN %q: a scratch image has no shell", final.runs)
	}

	// The build command, exactly as the Dockerfile writes it.
	var build []string
	for _, st := range df.stages[:len(df.stages)-1] {
		for _, r := range st.runs {
			if strings.Contains(r, "go build") {
				build = shellWords(t, r, map[string]string{"VERSION": "v9.9.9-docker", "COMMIT": "0123456789abcdef"})
			}
		}
	}
	if build == nil {
		t.Fatal("Dockerfile: no RUN ... go build in the build stages")
	}
	// The image's build stage sees none of this machine's GOFLAGS (CI runs
	// the tests with -race, which needs cgo).
	env := append(os.Environ(), "GOFLAGS=")
	for len(build) > 0 && strings.Contains(build[0], "=") {
		env = append(env, build[0])
		build = build[1:]
	}
	if !strings.Contains(strings.Join(env, "\n"), "CGO_ENABLED=0") {
		t.Errorf("Dockerfile build command does not set CGO_ENABLED=0: %q", build)
	}
	binDir := t.TempDir()
	for _, d := range []string{filepath.Dir(binDir), binDir} { // the non-root user must reach the binary
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(binDir, "flamock")
	for i := range build {
		if build[i] == "-o" && i+1 < len(build) {
			if build[i+1] != "/out/flamock" {
				t.Fatalf("the build writes %s; the runtime stage copies /out/flamock", build[i+1])
			}
			build[i+1] = bin
		}
	}
	if build[0] != "go" || build[1] != "build" {
		t.Fatalf("build command %q", build)
	}
	cmd := exec.Command("go", build[1:]...)
	cmd.Dir = root
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q: %v\n%s", build, err, out)
	}

	// Static: no program interpreter, no shared library.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has an ELF interpreter (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %q", libs)
	}
	f.Close()
	if st, err := os.Stat(bin); err == nil {
		t.Logf("static binary: %.1f MiB", float64(st.Size())/(1<<20))
	}

	// Start it as the image would: ENTRYPOINT + CMD, the image's ENV only,
	// as its USER when the test runs as root. The one substitution: the
	// listen address, because tests listen on loopback only.
	if len(final.entrypoint) == 0 || final.entrypoint[0] != "/flamock" {
		t.Fatalf("ENTRYPOINT %q; want [\"/flamock\"]", final.entrypoint)
	}
	argv := append(append([]string{}, final.entrypoint[1:]...), final.cmd...)
	addrAt := -1
	for i, a := range argv {
		if a == "--addr" && i+1 < len(argv) {
			addrAt = i + 1
		}
	}
	if addrAt < 0 || argv[addrAt] != "0.0.0.0:8080" {
		t.Fatalf("CMD %q does not listen on 0.0.0.0:8080", argv)
	}
	if !strings.Contains(strings.Join(final.expose, " "), "8080") {
		t.Errorf("EXPOSE %q lacks 8080", final.expose)
	}
	argv[addrAt] = "127.0.0.1:0"
	// As the image runs, then with FLAMOCK_ADMIN_TOKEN as `docker run -e`
	// or a CI service's env sets it: the admin API then requires it.
	for _, token := range []string{"", "ci-admin-token"} {
		url, stderr, stop := startImage(t, bin, argv, final, token)
		if code := getStatus(t, url+"/__admin/ready", ""); token == "" && code != http.StatusOK {
			t.Fatalf("/__admin/ready: %d\n%s", code, stderr.String())
		} else if token != "" && code != http.StatusUnauthorized {
			t.Errorf("/__admin/ready without the admin token: %d; want 401", code)
		}
		if token != "" {
			if code := getStatus(t, url+"/__admin/ready", token); code != http.StatusOK {
				t.Errorf("/__admin/ready with the admin token: %d\n%s", code, stderr.String())
			}
		}
		stop()
	}

	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "flamock v9.9.9-docker, commit 0123456789abcdef,") {
		t.Errorf("version of the image's binary: %q, %v", out, err)
	}
}

func TestVersionCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds flamock twice; skipped with -short")
	}
	// Built in a clone, the binary names the commit it was built from:
	// build in a fresh clone of this repository's HEAD, with version
	// control stamping on whatever GOFLAGS says.
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := exec.Command("git", "clone", "-q", "../..", clone).CombinedOutput(); err != nil {
		t.Skipf("git clone of this repository: %v\n%s", err, out)
	}
	head, err := exec.Command("git", "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "flamock")
	build := exec.Command("go", "build", "-o", bin, "./cmd/flamock")
	build.Dir = clone
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in a clone: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	// Go stamps a pseudo-version (v0.0.0-TIME-REV) of the commit, or (devel).
	want := regexp.MustCompile(`^flamock (\(devel\)|v\S+), commit ` + strings.TrimSpace(string(head)) + ` of \S+, go1\.\S+ \w+/\w+\n$`)
	if !want.Match(out) {
		t.Errorf("flamock version = %q; want %s", out, want)
	}

	// A release build names its version and commit.
	rel := filepath.Join(t.TempDir(), "flamock")
	b, err := exec.Command("go", "build", "-ldflags", "-X main.releaseVersion=v1.2.3 -X main.releaseCommit=feedface", "-o", rel, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	out, err = exec.Command(rel, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^flamock v1\.2\.3, commit feedface, go1\.\S+ \w+/\w+\n$`).Match(out) {
		t.Errorf("release version = %q", out)
	}
}

func getStatus(t *testing.T, url, bearer string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// startImage starts the binary with the image's argv, ENV (plus
// FLAMOCK_ADMIN_TOKEN when token is set) and USER, and returns its URL.
func startImage(t *testing.T, bin string, argv []string, final dockerStage, token string) (string, *syncBuffer, func()) {
	t.Helper()
	run := exec.Command(bin, argv...)
	run.Env = []string{}
	for k, v := range final.env {
		if k == "TMPDIR" { // the image's /tmp; here a fresh folder the user may write
			tmp := t.TempDir()
			os.Chmod(filepath.Dir(tmp), 0o755)
			os.Chmod(tmp, 0o1777)
			v = tmp
		}
		run.Env = append(run.Env, k+"="+v)
	}
	if token != "" {
		run.Env = append(run.Env, "FLAMOCK_ADMIN_TOKEN="+token)
	}
	if os.Getuid() == 0 {
		var uid, gid uint32
		if _, err := fmt.Sscanf(strings.Replace(final.user, ":", " ", 1), "%d %d", &uid, &gid); err != nil {
			t.Fatalf("USER %q: want numeric uid:gid (a scratch image has no /etc/passwd)", final.user)
		}
		run.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	}
	stdout, err := run.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	run.Stderr = stderr
	started := time.Now()
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		run.Process.Signal(syscall.SIGTERM)
		run.Wait()
	}
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
	}()
	select {
	case url := <-base:
		t.Logf("started as USER %s (when the test runs as root) and listening in %v", final.user, time.Since(started).Round(time.Millisecond))
		return url, stderr, stop
	case <-time.After(30 * time.Second):
		stop()
		t.Fatalf("no banner in 30 s; stderr:\n%s", stderr.String())
	}
	return "", nil, nil
}
