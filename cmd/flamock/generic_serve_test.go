package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/profiles/generic"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// genericCall is one step of a walk through a generic document, over HTTP.
type genericCall struct {
	method, path, body, ctype string
	want                      int
	check                     func(t *testing.T, r apiResult)
}

func walkGeneric(t *testing.T, client *http.Client, base, token string, steps []genericCall) {
	t.Helper()
	loc := ""
	for i, st := range steps {
		path := strings.ReplaceAll(st.path, "{loc}", loc)
		req, err := http.NewRequest(st.method, base+path, strings.NewReader(st.body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if st.body != "" {
			ct := st.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("step %d: %s %s: %v", i, st.method, path, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := apiResult{status: resp.StatusCode, raw: string(raw)}
		_ = json.Unmarshal(raw, &r.body)
		if r.status != st.want {
			t.Errorf("step %d: %s %s = %d %s; want %d", i, st.method, path, r.status, raw, st.want)
			continue
		}
		if st.check != nil {
			st.check(t, r)
		}
		if l := resp.Header.Get("Location"); l != "" {
			loc = l
		}
	}
}

func has(field string, want any) func(*testing.T, apiResult) {
	return func(t *testing.T, r apiResult) {
		t.Helper()
		if got := r.body[field]; got != want {
			t.Errorf("%s = %v in %s; want %v", field, got, r.raw, want)
		}
	}
}

func bodyHas(subs ...string) func(*testing.T, apiResult) {
	return func(t *testing.T, r apiResult) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(r.raw, s) {
				t.Errorf("%s lacks %s", r.raw, s)
			}
		}
	}
}

// The real binary serves two documents no profile knows, under --strict
// (flamock serve --spec ... --strict, the generic profile and its demo client):
// a Swagger 2.0 one in the style of an older Social Security API
// (StatusMessage errors, HAL, no security, a placeholder basePath mounted
// with @BASE) and an OpenAPI 3.1 one with RFC 9457 problems and a bearer
// token. Each walks create -> read -> patch -> list -> delete, a bad body
// answered in the document's own error model, and reads with nothing stored.
func TestServe_GenericSpecsStrict(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--demo-dir", dir, "--strict",
		"--spec", "../../testdata/specs/dossiers-swagger2.yaml@/REST/dossiers/v1",
		"--spec", "../../testdata/specs/absences-openapi31.yaml")
	client := &http.Client{Timeout: 10 * time.Second}
	const dossiers = "/REST/dossiers/v1/employers/0403019261/dossiers"
	statusMessage := func(code string) func(*testing.T, apiResult) {
		return func(t *testing.T, r apiResult) {
			t.Helper()
			if r.body["code"] != code || r.body["message"] == "" || r.body["id"] == "" || r.body["type"] != nil {
				t.Errorf("not a %s StatusMessage: %s", code, r.raw)
			}
		}
	}
	walkGeneric(t, client, p.base, "", []genericCall{
		{method: "GET", path: dossiers + "/D000042", want: 200, check: has("dossierId", "D000042")},
		{method: "GET", path: dossiers, want: 200, check: bodyHas(`"_embedded":{"dossiers":[]}`, `"total":0`)},
		{method: "POST", path: dossiers, body: `{"subject":"Late declaration","status":"open","openedOn":"2025-05-02"}`, want: 201, check: has("dossierId", "D000001")},
		{method: "GET", path: "{loc}", want: 200, check: has("subject", "Late declaration")},
		{method: "PATCH", path: "{loc}", body: `{"status":"closed"}`, ctype: "application/merge-patch+json", want: 200, check: has("status", "closed")},
		{method: "GET", path: dossiers, want: 200, check: bodyHas(`"total":1`, `"status":"closed"`)},
		{method: "POST", path: dossiers, body: `{"subject":"","status":"weird"}`, want: 400, check: func(t *testing.T, r apiResult) {
			statusMessage("badRequest")(t, r)
			bodyHas(`{"code":"schemaViolation","location":"openedOn","message":"required property is missing"}`)(t, r)
		}},
		{method: "DELETE", path: "{loc}", want: 204},
		{method: "GET", path: "{loc}", want: 404, check: statusMessage("resourceNotFound")},
		{method: "POST", path: "/REST/dossiers/v1/dossiers/search", body: `{"status":"open"}`, want: 200, check: bodyHas(`"_embedded":{"dossiers":[]}`)},
	})

	const absences = "/REST/absences/v1/employees/85073003328/absences"
	walkGeneric(t, client, p.base, "", []genericCall{
		{method: "GET", path: absences, want: 401, check: has("type", "urn:problem-type:belgif:noAccessToken")},
	})
	// The generic profile's demo client, as its banner prints it.
	if !strings.Contains(p.banner, generic.DemoClientID) {
		t.Errorf("the banner does not name the demo client %s:\n%s", generic.DemoClientID, p.banner)
	}
	code, out, errOut := flamock(t, "token", "--token-url", p.base+"/REST/oauth/v5/token",
		"--client-id", generic.DemoClientID, "--key", filepath.Join(dir, "client.p12"), "--password", "changeit")
	if code != 0 {
		t.Fatalf("flamock token: exit %d %s", code, errOut)
	}
	token := strings.TrimSpace(out)
	problem := func(status float64, subs ...string) func(*testing.T, apiResult) {
		return func(t *testing.T, r apiResult) {
			t.Helper()
			if r.body["status"] != status || r.body["title"] == "" || r.body["href"] != nil || r.body["issues"] != nil {
				t.Errorf("not an RFC 9457 problem of the document's closed schema: %s", r.raw)
			}
			bodyHas(subs...)(t, r)
		}
	}
	walkGeneric(t, client, p.base, token, []genericCall{
		{method: "GET", path: absences + "/9b2f2a34-1c7e-4b5e-8d3a-2a1f0c9e7b12", want: 200, check: has("until", "2025-03-07")}, // the spec's example
		{method: "GET", path: absences, want: 200, check: bodyHas(`"items":[]`, `"totalItems":0`)},
		{method: "POST", path: absences, body: `{"reason":"illness","from":"2025-03-03","until":"2025-03-07"}`, want: 201, check: func(t *testing.T, r apiResult) {
			// A generated UUID (one sequence for the whole server).
			if id, _ := r.body["absenceId"].(string); !uuidRE.MatchString(id) {
				t.Errorf("absenceId is not a UUID: %s", r.raw)
			}
		}},
		{method: "GET", path: "{loc}", want: 200, check: has("reason", "illness")},
		{method: "PATCH", path: "{loc}", body: `{"until":null,"note":"flu"}`, ctype: "application/merge-patch+json", want: 200, check: has("note", "flu")},
		{method: "PATCH", path: "{loc}", body: `[{"op":"replace","path":"/reason","value":"leave"}]`, ctype: "application/json-patch+json", want: 200, check: has("reason", "leave")},
		{method: "GET", path: absences, want: 200, check: bodyHas(`"totalItems":1`, `"reason":"leave"`, `"note":"flu"`)},
		{method: "POST", path: absences, body: `{"reason":"holiday","from":"2025-03-03"}`, want: 400, check: problem(400, `"errors":[{"detail":`)},
		{method: "PATCH", path: "{loc}", body: `{"reason":null}`, ctype: "application/merge-patch+json", want: 400, check: problem(400, "after the patch")},
		{method: "DELETE", path: "{loc}", want: 204},
		{method: "GET", path: "{loc}", want: 404, check: problem(404, `"type":"urn:problem-type:belgif:resourceNotFound"`)},
	})
	if strings.Contains(p.stderr.String(), "DRIFT") {
		t.Errorf("strict mode found drift in the mock's own answers:\n%s", p.stderr)
	}
}

// The errors a user reads when a published Swagger 2.0 file cannot be
// served as it is: a placeholder basePath, a front-matter block.
func TestServe_GenericSpecErrors(t *testing.T) {
	dir := t.TempDir()
	fm := filepath.Join(dir, "front.yaml")
	if err := os.WriteFile(fm, []byte("---\nlayout: api\n---\nswagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\npaths:\n  /x:\n    get:\n      responses: {\"200\": {description: ok}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const dossiers = "../../testdata/specs/dossiers-swagger2.yaml"
	for _, c := range []struct{ spec, want string }{
		{dossiers, `flamock serve: ` + dossiers + `: the document's base path "/REST/{applicationName}/v1" holds the placeholder {applicationName} and cannot be used as it is; choose where to mount it: --spec ` + dossiers + `@/your/base/path (or basePath: in the configuration's specs)`},
		{fm, `flamock serve: ` + fm + `: line 4: the document starts here, after a front-matter block (lines 1-3, closed by the "---" at line 3); flamock reads a file that holds one OpenAPI or Swagger document: remove lines 1-3`},
	} {
		code, _, errOut := flamock(t, "serve", "--addr", "127.0.0.1:0", "--demo-dir", t.TempDir(), "--spec", c.spec)
		if code != 1 || strings.TrimSpace(errOut) != c.want {
			t.Errorf("serve --spec %s: exit %d\n%s\nwant\n%s", c.spec, code, errOut, c.want)
		}
	}
}
