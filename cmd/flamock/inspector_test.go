package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
)

// chromium is a headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: it reads commands on fd 3 and writes
// answers on fd 4, each JSON message ended by a NUL byte).
type chromium struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpAnswer
	session string
}

type cdpAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startChromium(t *testing.T) *chromium {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		needTool(t, "chromium") // skips, or fails in CI
	}
	toChrome, ourEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChrome, chromeEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "--window-size=1280,1400", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, chromeEnd} // fd 3, fd 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	chromeEnd.Close()
	c := &chromium{cmd: cmd, in: ourEnd, waiting: map[int]chan cdpAnswer{}}
	t.Cleanup(func() {
		c.call(t, "Browser.close", nil, "")
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		ourEnd.Close()
	})
	go func() {
		r := bufio.NewReader(fromChrome)
		for {
			msg, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m struct {
				ID int `json:"id"`
				cdpAnswer
			}
			if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
				continue // an event
			}
			c.mu.Lock()
			ch := c.waiting[m.ID]
			delete(c.waiting, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m.cdpAnswer
			}
		}
	}()
	var targets struct {
		TargetInfos []struct{ TargetID, Type string }
	}
	c.must(t, "Target.getTargets", nil, "", &targets)
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			var att struct{ SessionID string }
			c.must(t, "Target.attachToTarget", map[string]any{"targetId": ti.TargetID, "flatten": true}, "", &att)
			c.session = att.SessionID
		}
	}
	if c.session == "" {
		t.Fatalf("no page target in Chromium\n%s", stderr.String())
	}
	return c
}

func (c *chromium) call(t *testing.T, method string, params any, session string) (cdpAnswer, error) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpAnswer, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := c.in.Write(append(b, 0)); err != nil {
		return cdpAnswer{}, err
	}
	select {
	case a := <-ch:
		if a.Error != nil {
			return a, fmt.Errorf("%s: %s", method, a.Error.Message)
		}
		return a, nil
	case <-time.After(30 * time.Second):
		return cdpAnswer{}, fmt.Errorf("%s: no answer in 30 s", method)
	}
}

func (c *chromium) must(t *testing.T, method string, params any, session string, out any) {
	t.Helper()
	a, err := c.call(t, method, params, session)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(a.Result, out); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
}

// eval evaluates a JavaScript expression in the page and returns its value.
func (c *chromium) eval(t *testing.T, expr string) any {
	t.Helper()
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	c.must(t, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, c.session, &r)
	if r.ExceptionDetails != nil {
		t.Fatalf("%s: %v", expr, r.ExceptionDetails)
	}
	return r.Result.Value
}

// TestInspectorInChromium drives a refused token request (wrong aud), a
// granted one and a refused PUT against the real binary, opens
// /__admin/ (which must lead to the inspector) in headless Chromium, and
// checks the page shows all three from the live stream, newest first, with
// their reasons, the decoded assertion, the checks and the layers, and
// that the filters work. The screenshot goes to .ci/out/inspector.png.
func TestInspectorInChromium(t *testing.T) {
	p := startServe(t)
	m := demoDirRE.FindStringSubmatch(p.banner)
	if m == nil {
		t.Fatalf("no demo folder in the banner:\n%s", p.banner)
	}
	key, err := certgen.LoadFile(filepath.Join(m[1], "employer.p12"), "changeit")
	if err != nil {
		t.Fatal(err)
	}
	const emp = "self_service_chaman_880820_demoemploy"
	tokenURL := p.base + "/REST/oauth/v5/token"
	c := startChromium(t)
	c.must(t, "Page.enable", nil, c.session, nil)
	c.must(t, "Page.navigate", map[string]any{"url": p.base + "/__admin/"}, c.session, nil)
	waitFor := func(what, expr string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			// Errors (the page still loading, a context replaced by the
			// navigation) mean "not yet".
			a, err := c.call(t, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, c.session)
			var r struct {
				Result struct {
					Value any `json:"value"`
				} `json:"result"`
			}
			if err == nil && json.Unmarshal(a.Result, &r) == nil && r.Result.Value == true {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: not true within 20 s: %s\npage text:\n%v", what, expr, c.eval(t, "document.body ? document.body.innerText : ''"))
	}
	waitFor("the inspector is open and live", `location.pathname === "/__admin/ui" && document.getElementById("status")?.textContent === "live"`)

	// The traffic comes after the page is open: it arrives by the stream.
	// First a hostile client id (unsigned: refused at alg): text, never markup.
	hostile := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"<img id=pwn src=x onerror=alert(1)>","sub":"x"}`)) + "."
	resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {hostile}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bad, err := ssoauth.Assertion{ClientID: emp, Audience: tokenURL + "/", Key: key.Key, Lifetime: 300 * time.Second}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {bad}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok := getToken(t, http.DefaultClient, p.base, emp, &certgen.Bundle{Key: key.Key, Cert: key.Leaf()})
	if r := call(t, http.DefaultClient, "PUT", trainingsURL(p.base, "880820673", "65111899801", 2023), tok, `{"trainings": 7}`); r.status != 400 {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}

	waitFor("four events", `document.querySelectorAll("details.ev").length === 4`)
	summaries := c.eval(t, `Array.from(document.querySelectorAll("details.ev > summary")).map(s => s.innerText.replace(/\s+/g, " "))`).([]any)
	t.Logf("summaries:\n%v", summaries)
	want := []string{
		"PUT /REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainings → 400 badRequest",
		"granted POST token endpoint → 200",
		"refused POST token endpoint → 400 invalid_client",
	}
	for i, w := range want { // newest first
		if s := fmt.Sprint(summaries[i]); !strings.Contains(s, w) {
			t.Errorf("entry %d = %q; want it to contain %q", i, s, w)
		}
	}
	for i, w := range []string{"check schema: body trainings: value must be an array", "", "check aud: invalid_client — client_assertion aud is"} {
		if s := fmt.Sprint(summaries[i]); w != "" && !strings.Contains(s, w) {
			t.Errorf("entry %d = %q; want the reason %q", i, s, w)
		}
	}

	// Opened, each shows its detail: the assertion and the checks of the
	// token request, the layers and problem of the API call.
	c.eval(t, `document.querySelectorAll("details.ev").forEach(d => { d.open = true; d.dispatchEvent(new Event("toggle")); }); true`)
	waitFor("details built", `document.querySelectorAll("details.ev .body").length === 4`)
	if v := c.eval(t, `document.getElementById("pwn") === null && document.querySelectorAll("img").length === 0`); v != true {
		t.Errorf("a client id from the journal became markup in the page")
	}
	text := fmt.Sprint(c.eval(t, `document.body.innerText`))
	for _, w := range []string{
		`"alg": "RS256"`, `"iss": "` + emp + `"`, "exp − iat\t300 s",
		"✓ signature — passed", "✗ aud — invalid_client: client_assertion aud is", "· jti — not reached",
		"✓ auth", "✗ schema", `"iss": "<img id=pwn src=x onerror=alert(1)>"`, "✗ alg — invalid_client", "PROBLEM ANSWERED", "urn:problem-type:belgif:badRequest",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("the opened page lacks %q", w)
		}
	}
	// iat about now, exp 300 s later (to a tenth of a second; the claims
	// have whole seconds).
	for _, re := range []string{`iat\trequest [−+][01]\.\d s`, `exp\trequest \+(299|300)\.\d s`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("the opened page lacks %s", re)
		}
	}

	// Filters: refused only, then the token requests only.
	shown := func() float64 {
		return c.eval(t, `Array.from(document.querySelectorAll("details.ev")).filter(d => !d.hidden).length`).(float64)
	}
	c.eval(t, `(s => { s.value = "refused"; s.dispatchEvent(new Event("change")); })(document.getElementById("f-outcome")); true`)
	if n := shown(); n != 3 {
		t.Errorf("outcome refused: %v shown; want 3", n)
	}
	c.eval(t, `(s => { s.value = "token"; s.dispatchEvent(new Event("change")); })(document.getElementById("f-kind")); true`)
	if n := shown(); n != 2 {
		t.Errorf("refused token requests: %v shown; want 2", n)
	}
	c.eval(t, `(s => { s.value = "`+emp+`"; s.dispatchEvent(new Event("change")); })(document.getElementById("f-client")); true`)
	if n := shown(); n != 1 {
		t.Errorf("refused token requests of %s: %v shown; want 1", emp, n)
	}
	c.eval(t, `for (const id of ["f-outcome", "f-kind"]) { const s = document.getElementById(id); s.value = ""; s.dispatchEvent(new Event("change")); } true`)

	var shot struct{ Data string }
	c.must(t, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, c.session, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) < 1000 {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	out := filepath.Join("..", "..", ".ci", "out")
	if err := os.MkdirAll(out, 0o755); err == nil {
		if err := os.WriteFile(filepath.Join(out, "inspector.png"), png, 0o644); err == nil {
			t.Logf("screenshot: %s (%d bytes)", filepath.Join(out, "inspector.png"), len(png))
		}
	}
}
