package mockfla_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
)

// step is one call of a walk through a generic document; "{loc}" in path
// stands for the Location of the last creation.
type step struct {
	method, path, token, body, ctype string
	want                             int
	has                              []string // substrings of the body
	hasNot                           []string
}

func walk(t *testing.T, s *mockfla.Server, steps []step) {
	t.Helper()
	loc := ""
	for i, st := range steps {
		path := strings.ReplaceAll(st.path, "{loc}", loc)
		var hdr []string
		if st.ctype != "" {
			hdr = []string{"Content-Type", st.ctype}
		}
		r := do(t, s, st.method, path, st.token, st.body, hdr...)
		if r.status != st.want {
			t.Errorf("step %d: %s %s = %d %s; want %d", i, st.method, path, r.status, r.body, st.want)
			continue
		}
		for _, h := range st.has {
			if !strings.Contains(string(r.body), h) {
				t.Errorf("step %d: %s %s = %d %s; lacks %s", i, st.method, path, r.status, r.body, h)
			}
		}
		for _, h := range st.hasNot {
			if strings.Contains(string(r.body), h) {
				t.Errorf("step %d: %s %s = %d %s; has %s", i, st.method, path, r.status, r.body, h)
			}
		}
		if l := r.header.Get("Location"); l != "" {
			loc = l
		}
	}
	// Strict is on: no answer of the mock drifted from the document.
	for _, ev := range s.Journal().Events(0) {
		if ev.API == nil {
			continue
		}
		for _, l := range ev.API.Layers {
			if l.Name == "response" || l.Name == "panic" {
				t.Errorf("%s %s: %s %s", ev.API.Method, ev.API.Path, l.Name, l.Detail)
			}
		}
	}
}

const dossiers = "/REST/dossiers/v1/employers/0403019261/dossiers"

// The Swagger 2.0 document in the style of an older Social Security API:
// StatusMessage errors, HAL pages, no security, a placeholder basePath.
func TestGeneric_Swagger2StatusMessage(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{mustSpec(t, "../testdata/specs/dossiers-swagger2.yaml@/REST/dossiers/v1")}
	s := newServer(t, cfg)
	long := strings.Repeat("x", 100)
	walk(t, s, []step{
		// Reads with nothing stored: the example, a synthesized body (the
		// path's id in it), an empty HAL page; no token: no securityDefinitions.
		{method: "GET", path: "/REST/dossiers/v1/status", want: 200, has: []string{`{"status":"UP"}`}},
		{method: "GET", path: dossiers + "/D123456", want: 200, has: []string{`"dossierId":"D123456"`, `"status":"open"`, `"openedOn":"2025-06-01"`}},
		{method: "GET", path: dossiers, want: 200, has: []string{`"_embedded":{"dossiers":[]}`, `"total":0`, `"_links":{"self":{"href":"` + dossiers + `?page=1\u0026pageSize=20"}}`}},
		// Create, read at the Location, patch, list, delete.
		{method: "POST", path: dossiers, body: `{"subject":"Late declaration","status":"open","openedOn":"2025-05-02","ssin":"85073003328"}`, want: 201,
			has: []string{`"dossierId":"D000001"`, `"_links":{"self":{"href":"` + dossiers + `/D000001"}}`}},
		{method: "GET", path: "{loc}", want: 200, has: []string{`"subject":"Late declaration"`, `"dossierId":"D000001"`}},
		{method: "PATCH", path: "{loc}", body: `{"status":"closed","contactEmail":"hr@example.be"}`, ctype: "application/merge-patch+json", want: 200,
			has: []string{`"status":"closed"`, `"contactEmail":"hr@example.be"`, `"subject":"Late declaration"`}},
		{method: "POST", path: dossiers, body: `{"subject":"Second","status":"open","openedOn":"2025-05-03"}`, want: 201, has: []string{`"dossierId":"D000002"`}},
		{method: "POST", path: dossiers, body: `{"dossierId":"D000002","subject":"Again","status":"open","openedOn":"2025-05-03"}`, want: 400,
			has: []string{`{"code":"schemaViolation","location":"dossierId","message":"readOnly property \"dossierId\" in request"}`}},
		{method: "GET", path: dossiers + "?pageSize=1", want: 200, has: []string{`"total":2`, `"subject":"Late declaration"`}, hasNot: []string{`"Second"`}},
		{method: "GET", path: dossiers + "?page=2&pageSize=1", want: 200, has: []string{`"subject":"Second"`}},
		{method: "DELETE", path: dossiers + "/D000001", want: 204},
		// Truly absent: deleted, or not among the collection's stored items.
		{method: "GET", path: dossiers + "/D000001", want: 404, has: []string{`"code":"resourceNotFound"`, `"message":"No resource at ` + dossiers + `/D000001"`, `"id":"`}},
		{method: "GET", path: dossiers + "/D999999", want: 404, has: []string{`"code":"resourceNotFound"`}},
		{method: "PATCH", path: dossiers + "/D999999", body: `{"status":"open"}`, ctype: "application/json", want: 404, has: []string{`"code":"resourceNotFound"`}},
		{method: "DELETE", path: dossiers + "/D000001", want: 404, has: []string{`"code":"resourceNotFound"`}},
		// Bad bodies, answered as StatusMessage with one detail per issue.
		{method: "POST", path: dossiers, body: `{"subject":"","status":"weird"}`, want: 400, has: []string{`"code":"badRequest"`, `"message":"The input message is incorrect"`,
			`{"code":"schemaViolation","location":"openedOn","message":"required property is missing"}`, `"location":"status"`, `"location":"subject"`}, hasNot: []string{`"type"`}},
		{method: "PATCH", path: dossiers + "/D000002", body: `{"subject":"` + long + `"}`, ctype: "application/merge-patch+json", want: 400,
			has: []string{`"location":"subject","message":"after the patch: maximum string length is 80"`}},
		{method: "GET", path: "/REST/dossiers/v1/employers/0403019262/dossiers", want: 400, has: []string{`"code":"invalidInput","location":"employerId"`}},
		// Not resource-shaped: a search answers its declared page.
		{method: "POST", path: "/REST/dossiers/v1/dossiers/search", body: `{"status":"open"}`, want: 200,
			has: []string{`"_embedded":{"dossiers":[]}`, `"_links":{"self":{"href":"/REST/dossiers/v1/dossiers/search?page=1\u0026pageSize=20"}}`, `"total":0`}},
		{method: "POST", path: "/REST/dossiers/v1/dossiers/search", body: `{"state":"open"}`, want: 400, has: []string{`"location":"state","message":"unknown input: the schema defines no such property here"`}},
		// formData without a file: an urlencoded form, validated.
		{method: "POST", path: dossiers + "/D000002/close", body: "reason=settled", ctype: "application/x-www-form-urlencoded", want: 200, has: []string{`"openedOn":"2025-06-01"`}},
		{method: "POST", path: dossiers + "/D000002/close", body: "reason=bored", ctype: "application/x-www-form-urlencoded", want: 400, has: []string{`"location":"reason"`}},
	})
	// formData with a file (multipart): the declared 202, or a StatusMessage.
	for _, withFile := range []bool{true, false} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if withFile {
			fw, _ := mw.CreateFormFile("file", "scan.pdf")
			fw.Write([]byte("%PDF-1.4 scan"))
		}
		mw.WriteField("description", "a scan")
		mw.Close()
		req := httptest.NewRequest("POST", dossiers+"/D000002/attachments", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		want, has := 202, `"receivedAt":"2025-06-01T12:00:00Z"`
		if !withFile {
			want, has = 400, `{"code":"schemaViolation","location":"file","message":"required property is missing"}`
		}
		if rec.Code != want || !strings.Contains(rec.Body.String(), has) {
			t.Errorf("attachment (file %v) = %d %s; want %d with %s", withFile, rec.Code, rec.Body, want, has)
		}
	}
}

const absences = "/REST/absences/v1/employees/85073003328/absences"

// The OpenAPI 3.1 document with RFC 9457 problems of a closed schema.
func TestGeneric_OpenAPI31Problems(t *testing.T) {
	cfg := baseConfig()
	v := verifier()
	v["tok-any"] = fakeToken{caller: mockfla.Caller{ClientID: "any", Quality: "employer", EnterpriseNumber: employerEN}}
	cfg.Verifier = v
	cfg.Specs = []mockfla.Spec{mustSpec(t, "../testdata/specs/absences-openapi31.yaml")}
	s := newServer(t, cfg)
	const tok = "tok-any"
	const uuid1 = "00000000-0000-4000-8000-000000000001"
	walk(t, s, []step{
		// The token is checked first; the 401 fits the closed Problem schema (no href).
		{method: "GET", path: absences, want: 401, has: []string{`"type":"urn:problem-type:belgif:noAccessToken"`, `"instance":"` + absences + `"`}, hasNot: []string{`"href"`}},
		// Reads with nothing stored: the empty page, the spec's example (its
		// id replaced by the one in the path).
		{method: "GET", path: absences, token: tok, want: 200, has: []string{`{"items":[],"self":"` + absences + `?page=1\u0026pageSize=20","totalItems":0}`}},
		{method: "GET", path: absences + "/9b2f2a34-1c7e-4b5e-8d3a-2a1f0c9e7b12", token: tok, want: 200,
			has: []string{`"absenceId":"9b2f2a34-1c7e-4b5e-8d3a-2a1f0c9e7b12"`, `"reason":"illness"`, `"until":"2025-03-07"`}},
		// Create (a generated UUID), read, merge patch, JSON patch, list.
		{method: "POST", path: absences, token: tok, body: `{"reason":"illness","from":"2025-03-03","until":"2025-03-07"}`, want: 201, has: []string{`"absenceId":"` + uuid1 + `"`}},
		{method: "GET", path: "{loc}", token: tok, want: 200, has: []string{`"from":"2025-03-03"`}},
		{method: "PATCH", path: "{loc}", token: tok, body: `{"until":null,"note":"flu"}`, ctype: "application/merge-patch+json", want: 200,
			has: []string{`"note":"flu"`}, hasNot: []string{`"until"`}},
		{method: "PATCH", path: "{loc}", token: tok, body: `[{"op":"test","path":"/note","value":"flu"},{"op":"replace","path":"/reason","value":"leave"}]`, ctype: "application/json-patch+json", want: 200,
			has: []string{`"reason":"leave"`}},
		{method: "GET", path: absences + "?pageSize=1", token: tok, want: 200, has: []string{`"totalItems":1`, `"reason":"leave"`}},
		// Patches that cannot apply, or whose result the schema refuses.
		{method: "PATCH", path: "{loc}", token: tok, body: `{"reason":null}`, ctype: "application/merge-patch+json", want: 400,
			has: []string{`"type":"urn:problem-type:belgif:badRequest"`, `{"detail":"after the patch: required property is missing","parameter":"reason","pointer":"/reason"}`}},
		{method: "PATCH", path: "{loc}", token: tok, body: `[{"op":"remove","path":"/nothing"}]`, ctype: "application/json-patch+json", want: 400,
			has: []string{`json patch: operation 0: remove \"/nothing\": member \"nothing\" does not exist`}},
		{method: "PATCH", path: "{loc}", token: tok, body: `[{"op":"remove","path":"/from"}]`, ctype: "application/json-patch+json", want: 400,
			has: []string{`{"detail":"after the patch: required property is missing","parameter":"from","pointer":"/from"}`}},
		// A bad body: one RFC 9457 problem, no member the schema does not allow.
		{method: "POST", path: absences, token: tok, body: `{"reason":"holiday","from":"2025-03-03","extra":1}`, want: 400,
			has:    []string{`"status":400`, `"title":"Bad Request"`, `"errors":[{"detail":"unknown input: the schema defines no such property here","parameter":"extra","pointer":"/extra"},{"detail":"value must be one of 'illness', 'leave', 'training'","parameter":"reason","pointer":"/reason"}]`},
			hasNot: []string{`"issues"`, `"href"`}},
		// An action answers its declared success, synthesized.
		{method: "POST", path: "{loc}/approve", token: tok, want: 200, has: []string{`{"approvedAt":"2025-06-01T12:00:00Z","approver":"user@example.com"}`}},
		// PUT replaces (the id from the path), DELETE removes, then 404.
		{method: "PUT", path: "{loc}", token: tok, body: `{"reason":"training","from":"2025-04-01"}`, want: 200, has: []string{`"absenceId":"` + uuid1 + `"`, `"reason":"training"`}, hasNot: []string{`"note"`}},
		{method: "DELETE", path: "{loc}", token: tok, want: 204},
		{method: "GET", path: "{loc}", token: tok, want: 404, has: []string{`"type":"urn:problem-type:belgif:resourceNotFound"`, `"status":404`}},
		{method: "GET", path: absences, token: tok, want: 200, has: []string{`"items":[]`, `"totalItems":0`}},
		// The approve action declares no 400: a bad SSIN is still a 400 (not
		// the declared 401, which would mislead), in the model of the 401.
		{method: "POST", path: "/REST/absences/v1/employees/85073003329/absences/" + uuid1 + "/approve", token: tok, want: 400,
			has: []string{`"type":"urn:problem-type:belgif:badRequest"`, `"status":400`, `"parameter":"ssin"`, `invalid check digit`}, hasNot: []string{`"href"`}},
	})
}

// Swagger 2.0 quirks of official files, and the errors a user reads.
func TestGeneric_LoadErrors(t *testing.T) {
	const paths = "paths:\n  /x:\n    get:\n      responses: {'200': {description: ok}}\n"
	for _, c := range []struct{ doc, want string }{
		{"---\nlayout: page\ntitle: API\n---\nswagger: \"2.0\"\ninfo: {title: t, version: '1'}\n" + paths,
			`mockfla: x.yaml: line 5: the document starts here, after a front-matter block (lines 1-4, closed by the "---" at line 4); flamock reads a file that holds one OpenAPI or Swagger document: remove lines 1-4`},
		{"# comment\ntitle: API\n---\n\nswagger: \"2.0\"\n" + paths,
			`mockfla: x.yaml: line 5: the document starts here, after a front-matter block (lines 1-3, closed by the "---" at line 3)`},
		{"swagger: \"2.0\"\ninfo: {title: t, version: '1'}\nbasePath: /REST/{applicationName}/v1\n" + paths,
			`mockfla: x.yaml: the document's base path "/REST/{applicationName}/v1" holds the placeholder {applicationName} and cannot be used as it is; choose where to mount it: --spec x.yaml@/your/base/path (or basePath: in the configuration's specs)`},
		{"swagger: \"2.0\"\ninfo: {title: t, version: '1'}\nhost: ${host}\nbasePath: /REST/${app}/v1\n" + paths,
			`holds the placeholder ${app}`},
		{"swagger: \"2.0\"\ninfo: {title: t, version: '1'}\nbasePath: /REST/@app.name@/v1\n" + paths,
			`holds the placeholder @app.name@`},
		// The e-Box style: a $name segment and a version "v$".
		{"swagger: \"2.0\"\ninfo: {title: t, version: '1'}\nbasePath: /mailbox/$realm/v$\n" + paths,
			`mockfla: x.yaml: the document's base path "/mailbox/$realm/v$" holds the placeholder $realm and cannot be used as it is; choose where to mount it: --spec x.yaml@/your/base/path (or basePath: in the configuration's specs)`},
		{"swagger: \"2.0\"\ninfo: {title: t, version: '1'}\nbasePath: /federation/v$\n" + paths,
			`the document's base path "/federation/v$" holds the placeholder $ and cannot be used as it is`},
	} {
		_, err := mockfla.New(mockfla.Config{Specs: []mockfla.Spec{{Name: "x.yaml", Data: []byte(c.doc)}}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v; want %s", c.doc, err, c.want)
		}
	}
	// Mounted at a base of the user's choice, the placeholder is no problem;
	// a document without securityDefinitions requires no token even where it
	// lists requirements.
	doc := "swagger: \"2.0\"\ninfo: {title: t, version: '1'}\nbasePath: /REST/{app}/v1\nsecurity: [{oauth: []}]\npaths:\n  /x:\n    get:\n      security: [{other: [a]}]\n      responses: {'200': {description: ok, schema: {type: object, required: [a], properties: {a: {type: string, format: date}}}}}\n"
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "x.yaml", Data: []byte(doc), BasePath: "/REST/app/v1"}}
	s := newServer(t, cfg)
	r := do(t, s, "GET", "/REST/app/v1/x", "", "")
	var body map[string]string
	json.Unmarshal(r.body, &body)
	if r.status != 200 || body["a"] != "2025-06-01" {
		t.Errorf("GET without token = %d %s", r.status, r.body)
	}
}

// FuzzGenericServeHTTP sends arbitrary methods, paths, content types and
// bodies to four generic testdata documents (Strict on, so an answer
// that drifts from the document is a 500): never a panic, never a 5xx.
func FuzzGenericServeHTTP(f *testing.F) {
	f.Add(uint8(3), dossiers, "", `{"subject":"a","status":"open","openedOn":"2025-01-01"}`)
	f.Add(uint8(4), dossiers+"/D000001", "application/merge-patch+json", `{"subject":null,"x":{"y":[1]}}`)
	f.Add(uint8(4), absences+"/00000000-0000-4000-8000-000000000001", "application/json-patch+json", `[{"op":"move","from":"/reason","path":"/note"}]`)
	f.Add(uint8(3), absences, "", `{"reason":"leave","from":"2025-02-30","absenceId":"x"}`)
	f.Add(uint8(0), absences+"?page=99999999999&pageSize=100", "", "")
	f.Add(uint8(3), "/REST/dossiers/v1/dossiers/search", "", `{"ssin":"1"}`)
	// The e-Box-style fixtures: merge patch, multipart, top-level arrays.
	f.Add(uint8(4), "/mailbox/v2/messages/0000000a", "application/merge-patch+json", `{"read":null,"labels":[1]}`)
	f.Add(uint8(3), "/mailbox/v2/messages", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"messageToPublish\"\r\nContent-Type: application/json\r\n\r\n{\"a\":[}\r\n--b--\r\n")
	f.Add(uint8(3), "/federation/v1/events", "application/json", `[{"eventType":"x"},{}]`)
	f.Add(uint8(0), "/mailbox/v2/api/doc?x=1", "", "")
	cfg := baseConfig()
	v := verifier()
	v["tok-any"] = fakeToken{caller: mockfla.Caller{ClientID: "any", Quality: "employer", EnterpriseNumber: employerEN}}
	cfg.Verifier = v
	cfg.Specs = []mockfla.Spec{
		mustSpec(f, "../testdata/specs/dossiers-swagger2.yaml@/REST/dossiers/v1"),
		mustSpec(f, "../testdata/specs/absences-openapi31.yaml"),
		mustSpec(f, "../testdata/specs/mailbox-swagger2.yaml@/mailbox/v2"),
		mustSpec(f, "../testdata/specs/federation-swagger2.yaml@/federation/v1"),
	}
	s := newServer(f, cfg)
	methods := []string{"GET", "PUT", "DELETE", "POST", "PATCH"}
	f.Fuzz(func(t *testing.T, m uint8, path, ctype, body string) {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/__admin") {
			path = "/" + strings.TrimPrefix(path, "/__admin")
		}
		req, err := newFuzzRequest(methods[int(m)%len(methods)], path, body)
		if err != nil {
			return
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer tok-any")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (%s %q) = %d %s", req.Method, path, ctype, body, rec.Code, rec.Body)
		}
	})
}
