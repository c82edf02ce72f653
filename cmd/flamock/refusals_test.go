package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/ssoauth"
)

// driveRefusals makes, against a served process: a token request with a
// wrong aud, one with a client_secret, a granted one, a PUT for an
// employer the client may not act for, a PUT with a bad body, a good PUT.
// It returns the secrets it sent, none of which may be printed.
func driveRefusals(t *testing.T, p *servedProcess, cfgBundles map[string]*certgen.Bundle) []string {
	t.Helper()
	tokenURL := p.base + "/REST/oauth/v5/token"
	emp := cfgBundles[testEmployerID]
	bad, err := ssoauth.Assertion{ClientID: testEmployerID, Audience: tokenURL + "/", Key: emp.Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	secret := "s3cr3t-value-never-printed"
	for _, form := range []url.Values{
		{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {bad}},
		{"grant_type": {"client_credentials"}, "client_id": {testEmployerID}, "client_secret": {secret}},
	} {
		resp, err := http.PostForm(tokenURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 401 {
			t.Fatalf("bad token request answered %d", resp.StatusCode)
		}
	}
	tok := getToken(t, http.DefaultClient, p.base, testEmployerID, emp)
	if r := call(t, http.DefaultClient, "PUT", trainingsURL(p.base, "880820673", "65111899801", 2023), tok, trainingsBody(t)); r.status != 403 {
		t.Fatalf("PUT for another employer: %d %s", r.status, r.raw)
	}
	if r := call(t, http.DefaultClient, "PUT", trainingsURL(p.base, testEmployerEnt[1:], "65111899801", 2023), tok, `{"trainings": 7}`); r.status != 400 {
		t.Fatalf("PUT with a bad body: %d %s", r.status, r.raw)
	}
	if r := call(t, http.DefaultClient, "PUT", trainingsURL(p.base, testEmployerEnt[1:], "65111899801", 2023), tok, trainingsBody(t)); r.status >= 300 {
		t.Fatalf("good PUT: %d %s", r.status, r.raw)
	}
	return []string{secret, bad, tok, strings.Split(bad, ".")[2]}
}

func TestServe_RefusalLines(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	line := `^\d\d:\d\d:\d\d\.\d{3} `
	for _, tc := range []struct {
		name string
		args []string
		want []string // regexps, each must match one line
		not  []string
	}{
		{"default", nil, []string{
			line + `refused  POST /REST/oauth/v5/token  client ` + testEmployerID + `  400 invalid_client  check aud: .*aud`,
			line + `refused  POST /REST/oauth/v5/token  client ` + testEmployerID + `  40[01] \w+  check client-secret: .+`,
			line + `refused  PUT /REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainings  client ` + testEmployerID + `  403 missingPermission  check tenant: .+`,
			line + `refused  PUT /REST/careerpro-fla/v1/employers/403019261/employees/65111899801/calendarYears/2023/trainings  client ` + testEmployerID + `  400 badRequest  check schema: .+`,
		}, []string{`granted`, `\bok\b`}},
		{"-v", []string{"-v"}, []string{
			line + `refused  POST /REST/oauth/v5/token  client ` + testEmployerID + `  400 invalid_client  check aud: `,
			line + `granted  POST /REST/oauth/v5/token  client ` + testEmployerID + `  200  token issued, expires_in \d+ s`,
			line + `ok       PUT /REST/careerpro-fla/v1/employers/403019261/.*  client ` + testEmployerID + `  20\d  \w+ \(\d+\.\d ms\)`,
		}, nil},
		{"-q", []string{"-q"}, nil, []string{`refused`, `granted`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startServe(t, append([]string{"--config", cfg}, tc.args...)...)
			secrets := driveRefusals(t, p, bundles)
			p.stop(t)
			out := p.stderr.String()
			t.Logf("stderr:\n%s", out)
			lines := strings.Split(out, "\n")
			for _, w := range tc.want {
				re := regexp.MustCompile(w)
				found := false
				for _, l := range lines {
					found = found || re.MatchString(l)
				}
				if !found {
					t.Errorf("no stderr line matches %s", w)
				}
			}
			for _, n := range tc.not {
				if regexp.MustCompile(n).MatchString(out) {
					t.Errorf("stderr matches %s; it should not", n)
				}
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("stderr shows a secret or token %.20q…", s)
				}
			}
		})
	}
}

func TestRequestLine(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.Local)
	long := strings.Repeat("x", 400)
	for _, tc := range []struct {
		e    journal.Event
		all  bool
		want string // "" means no line
	}{
		{journal.Event{Time: at, Token: &journal.Token{Verdict: journal.VerdictInjected, Stage: journal.StageFault, Status: 503, Error: "temporarily_unavailable", Description: "planted"}},
			false, "03:04:05.006 fault    POST /t  client -  503 temporarily_unavailable  check fault: planted"},
		{journal.Event{Time: at, Token: &journal.Token{Verdict: journal.VerdictRefused, Stage: journal.StageJWS, Status: 400, Error: "invalid_request",
			Description: "not a JWS: eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln\nsecond line"}},
			false, "03:04:05.006 refused  POST /t  client -  400 invalid_request  check jws: not a JWS: [token] second line"},
		{journal.Event{Time: at, Token: &journal.Token{Verdict: journal.VerdictGranted, Status: 200, ClientID: "c"}}, false, ""},
		{journal.Event{Time: at, API: &journal.API{Method: "GET", Path: "/a", Verdict: journal.VerdictInjected, Status: 503, Fault: "503 x2",
			ProblemType: "urn:problem-type:belgif:serviceUnavailable"}},
			false, "03:04:05.006 fault    GET /a  client -  503 serviceUnavailable  check fault: planted by a test: 503 x2"},
		{journal.Event{Time: at, API: &journal.API{Method: "GET", Path: "/a", Verdict: journal.VerdictRejected, Status: 401, ClientID: "c",
			ProblemType: "urn:problem-type:belgif:noAccessToken", Layers: []journal.Layer{{Name: "route", Verdict: "pass"}, {Name: "auth", Verdict: "fail", Detail: long}}}},
			false, "03:04:05.006 refused  GET /a  client c  401 noAccessToken  check auth: " + long[:maxReason] + "…"},
		{journal.Event{Time: at, API: &journal.API{Method: "GET", Path: "/a", Verdict: journal.VerdictOK, Status: 200, Operation: "getX", DurationMS: 1.25}},
			false, ""},
		{journal.Event{Time: at, API: &journal.API{Method: "GET", Path: "/a", Verdict: journal.VerdictOK, Status: 200, Operation: "getX", DurationMS: 1.25}},
			true, "03:04:05.006 ok       GET /a  client -  200  getX (1.2 ms)"},
	} {
		got, ok := requestLine(tc.e, tc.all, "/t")
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("requestLine = %q, %v\nwant          %q", got, ok, tc.want)
		}
	}
}
