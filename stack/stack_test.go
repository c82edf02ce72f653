package stack_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/profiles/generic"
	"github.com/flamock/flamock/stack"
)

// token gets an access token for the demo client id, as a real client does.
func token(t *testing.T, ts *stack.TestServer, id string) string {
	t.Helper()
	l, err := certgen.LoadFile(ts.Demo.Keys[id], stack.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ssoauth.Assertion{ClientID: id, Audience: ts.TokenURL(), Key: l.Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ssoauth.RequestToken(context.Background(), ts.Client(), ts.TokenURL(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func call(t *testing.T, ts *stack.TestServer, method, path, tok, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, ts.URL+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestStack_FLADemo: the FLA profile's demo as serve runs it: the demo
// employer PUTs the seed's trainings, the mandated provider reads them, the
// profile's admin endpoint and both mocks' admin APIs answer on one
// listener, and Close removes the demo folder.
func TestStack_FLADemo(t *testing.T) {
	ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true}})
	cs := fla.DemoClients()
	path := ts.Demo.Calls[0].Path
	body, err := os.ReadFile(ts.Demo.BodyPath)
	if err != nil {
		t.Fatal(err)
	}
	if code, b := call(t, ts, "PUT", path, token(t, ts, cs[0].ClientID), string(body)); code != 200 {
		t.Fatalf("employer PUT = %d %s", code, b)
	}
	if code, b := call(t, ts, "GET", path, token(t, ts, cs[1].ClientID), ""); code != 200 {
		t.Fatalf("mandated provider GET = %d %s", code, b)
	}
	if code, b := call(t, ts, "GET", path, token(t, ts, cs[2].ClientID), ""); code != 403 || !strings.Contains(b, "missingScope") {
		t.Fatalf("training provider GET = %d %s", code, b)
	}
	if code, b := call(t, ts, "GET", "/__admin/mandates", "", ""); code != 200 || !strings.Contains(b, `"provider":"`+cs[1].EnterpriseNumber+`"`) {
		t.Fatalf("mandates = %d %s", code, b)
	}
	if code, b := call(t, ts, "GET", "/__admin/health", "", ""); code != 200 || !strings.Contains(b, `"profile":"fla"`) {
		t.Fatalf("health = %d %s", code, b)
	}
	if code, _ := call(t, ts, "GET", "/__admin/oauth/clients", "", ""); code != 200 {
		t.Fatalf("oauth admin = %d", code)
	}
	dir := ts.Demo.Dir
	ts.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("demo folder %s left behind: %v", dir, err)
	}
}

const petSpec = `openapi: 3.0.3
info: {title: pets, version: "1"}
servers: [{url: /REST/pets/v1}]
security: [{oauth2: ["scope:pets:read"]}]
paths:
  /pets/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getPet
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "404": {description: none, content: {application/problem+json: {schema: {type: object}}}}
    put:
      operationId: putPet
      security: [{oauth2: ["scope:pets:write"]}]
      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
components:
  securitySchemes:
    oauth2:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: /token, scopes: {"scope:pets:read": r, "scope:pets:write": w}}}
`

// TestStack_Generic: the generic profile serves the user's document; its
// demo client, and a configured client of a quality it does not know, get
// every scope the document names.
func TestStack_Generic(t *testing.T) {
	b, err := certgen.Create(certgen.Request{CommonName: "configured"})
	if err != nil {
		t.Fatal(err)
	}
	ts := stack.NewTestServer(t, stack.Config{
		Profile:  generic.StackProfile(),
		Settings: stack.Settings{Demo: true},
		Specs:    []mockfla.Spec{{Name: "pets.yaml", Data: []byte(petSpec)}},
		OAuth: mockoauth.Config{Clients: []mockoauth.Client{{ID: "self_service_chaman_403019_configured", Quality: "employer",
			EnterpriseNumber: "0403019261", Certificates: []*x509.Certificate{b.Cert}}}},
	})
	if code, body := call(t, ts, "GET", "/__admin/oauth/clients", "", ""); code != 200 ||
		!strings.Contains(body, `"clientId":"self_service_chaman_403019_configured"`) || strings.Count(body, `"scope:pets:write"`) != 2 {
		t.Fatalf("clients = %d %s", code, body)
	}
	if got := strings.Join(ts.API.Scopes(), " "); got != "scope:pets:read scope:pets:write" {
		t.Fatalf("Scopes = %q", got)
	}
	tok := token(t, ts, generic.DemoClientID)
	if code, b := call(t, ts, "PUT", "/REST/pets/v1/pets/rex", tok, `{"name":"Rex"}`); code != 200 {
		t.Fatalf("PUT = %d %s", code, b)
	}
	if code, b := call(t, ts, "GET", "/REST/pets/v1/pets/rex", tok, ""); code != 200 || !strings.Contains(b, "Rex") {
		t.Fatalf("GET = %d %s", code, b)
	}
}

// TestNew_Errors: the errors a user of the stack sees.
func TestNew_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  stack.Config
		want string
	}{
		{"no profile", stack.Config{}, "stack: no profile (Config.Profile)"},
		{"generic without spec", stack.Config{Profile: generic.StackProfile()}, "stack: profile generic serves no document of its own: give one (--spec FILE[@BASEPATH])"},
		{"admin handler outside /__admin/", stack.Config{Profile: fla.StackProfile(), AdminHandlers: map[string]http.Handler{"/ui": http.NotFoundHandler()}},
			`stack: admin handler "/ui": want a path under /__admin/, outside /__admin/oauth/`},
		{"admin handler on a taken path", stack.Config{Profile: fla.StackProfile(), AdminHandlers: map[string]http.Handler{"/__admin/oauth/x": http.NotFoundHandler()}},
			`stack: admin handler "/__admin/oauth/x": want a path under /__admin/, outside /__admin/oauth/`},
		{"admin handler twice", stack.Config{Profile: fla.StackProfile(), AdminHandlers: map[string]http.Handler{"GET /__admin/mandates": http.NotFoundHandler()}},
			`stack: admin handler "GET /__admin/mandates": the API mock's admin API already serves GET /__admin/mandates`},
		{"journal file in a missing folder", stack.Config{Profile: fla.StackProfile(), JournalFile: filepath.Join(t.TempDir(), "no", "j.jsonl")}, "journal: open"},
		{"profile options", stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Config: &fla.ConfigKeys{ServiceYears: fla.ConfigYears{First: 2025, Last: 2023}}}}, "fla: service years 2025 to 2023: first after last"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := stack.New(tc.cfg)
			if err == nil {
				st.Close()
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}

// TestStack_Handlers: AdminHandlers are mounted on the admin mux; the
// public handler serves no admin endpoint and the admin handler no API.
func TestStack_Handlers(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "inspector") })
	ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), AdminHandlers: map[string]http.Handler{"GET /__admin/ui": ui}})
	if code, b := call(t, ts, "GET", "/__admin/ui", "", ""); code != 200 || b != "inspector" {
		t.Fatalf("ui = %d %s", code, b)
	}
	for _, tc := range []struct {
		h    http.Handler
		path string
		want int
	}{
		{ts.PublicHandler(), "/__admin/health", 404},
		{ts.PublicHandler(), "/__admin/ui", 404},
		{ts.AdminHandler(), "/__admin/health", 200},
		{ts.AdminHandler(), "/__admin/ui", 200},
		{ts.AdminHandler(), fla.EmployerBasePath + "/employers/880820673/calendarYears/2023/optOut", 404},
	} {
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest("GET", tc.path, nil)
		tc.h.ServeHTTP(rec, req)
		if rec.code != tc.want {
			t.Errorf("%s: %d; want %d", tc.path, rec.code, tc.want)
		}
	}
	var health struct{ Specs []mockfla.Mount }
	_, b := call(t, ts, "GET", "/__admin/health", "", "")
	if err := json.Unmarshal([]byte(b), &health); err != nil || len(health.Specs) != 2 {
		t.Fatalf("health %s: %v", b, err)
	}
}

type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(b), nil
}
func (r *recorder) WriteHeader(code int) { r.code = code }

// TestStack_RetiredTokenPath: the v4 token path reaches the token endpoint,
// which points to v5, not the API mock's bare 404 (issue 17).
func TestStack_RetiredTokenPath(t *testing.T) {
	ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile()})
	code, b := call(t, ts, "POST", "/REST/oauth/v4/token", "", "")
	want := `{"error":"invalid_request","error_description":"/REST/oauth/v4/token is the token endpoint of OAuth v4, which the portal has retired; the token endpoint is POST /REST/oauth/v5/token, and the assertion's aud is its URL"}`
	if code != http.StatusNotFound || b != want {
		t.Errorf("POST /REST/oauth/v4/token: %d %s; want 404 %s", code, b, want)
	}
}
