package mockfla_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
)

// The official Belgif problem catalogue (openapi-problem v1.3.1, REST guide):
// each problem type "urn:problem-type:belgif:<x>" has a status, a title and
// the documentation page …/api-guide/problems/<x>.html.
var belgifProblems = map[string]struct {
	status int
	title  string
}{
	"badRequest":            {400, "Bad Request"},
	"noAccessToken":         {401, "No Access Token"},
	"invalidAccessToken":    {401, "Invalid Access Token"},
	"expiredAccessToken":    {401, "Expired Access Token"},
	"missingScope":          {403, "Missing Scope"},
	"missingPermission":     {403, "Missing Permission"},
	"resourceNotFound":      {404, "Resource Not Found"},
	"payloadTooLarge":       {413, "Payload Too Large"},
	"tooManyRequests":       {429, "Too Many Requests"},
	"tooManyFailedRequests": {429, "Too Many Failed Requests"},
	"internalServerError":   {500, "Internal Server Error"},
	"badGateway":            {502, "Bad Gateway"},
	"serviceUnavailable":    {503, "Service is unavailable"},
}

// The standard issue types "urn:problem-type:belgif:input-validation:<x>",
// with their titles; their page is …/api-guide/issues/<x>.html.
var belgifIssues = map[string]string{
	"schemaViolation": "Input isn't valid with respect to schema",
	"invalidInput":    "Invalid input",
	"unknownInput":    "Unknown input",
}

const guide = "https://www.belgif.be/specification/rest/api-guide/"

var (
	uuidV4   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	inValues = []string{"body", "header", "path", "query"}
)

// want is what one driven problem must be, beyond the rules every problem
// follows.
type want struct {
	status int
	kind   string // the x of urn:problem-type:belgif:x, or "about:blank"
	issues []string
	// check holds the problem's own members (decoded as JSON) and headers.
	check func(t *testing.T, m map[string]any, h http.Header)
}

// holder holds every response of a test to the official shapes and sees
// that no two responses share a BelGov-Trace-Id. With schemas, every
// problem must also be valid for each of them (the documents' own Problem
// schemas).
type holder struct {
	t       *testing.T
	seen    map[string]string
	count   int
	schemas map[string]*openapi3.Schema
}

func newHolder(t *testing.T) *holder { return &holder{t: t, seen: map[string]string{}} }

// flaProblemSchemas are the Problem schemas of both FLA documents.
func flaProblemSchemas(t *testing.T) map[string]*openapi3.Schema {
	out := map[string]*openapi3.Schema{}
	for _, d := range fla.Documents() {
		doc, err := openapi3.NewLoader().LoadFromData(d.Data)
		if err != nil {
			t.Fatal(err)
		}
		ref := doc.Components.Schemas["Problem"]
		if ref == nil || ref.Value == nil {
			t.Fatalf("%s has no Problem schema", d.Name)
		}
		out[d.Name] = ref.Value
	}
	return out
}

// call sends one request with a BelGov-Trace-Id of the caller's own and
// checks the trace headers of the answer.
func (hd *holder) call(h http.Handler, method, path, token, body string, hdr ...string) result {
	hd.t.Helper()
	hd.count++
	own := fmt.Sprintf("caller-trace-%d", hd.count)
	r := do(hd.t, h, method, path, token, body, append([]string{"BelGov-Trace-Id", own}, hdr...)...)
	id := r.header.Get("BelGov-Trace-Id")
	if !uuidV4.MatchString(id) {
		hd.t.Errorf("%s %s: BelGov-Trace-Id %q is not a UUID the server generated", method, path, id)
	}
	if prev, dup := hd.seen[id]; dup {
		hd.t.Errorf("%s %s: BelGov-Trace-Id %s was already the id of %s", method, path, id, prev)
	}
	hd.seen[id] = method + " " + path
	if got := r.header.Get("BelGov-Related-Trace-Id"); got != own {
		hd.t.Errorf("%s %s: BelGov-Related-Trace-Id = %q; want the caller's %q", method, path, got, own)
	}
	return r
}

// hold checks one problem response against the official shapes.
func (hd *holder) hold(name string, r result, w want) {
	t := hd.t
	t.Helper()
	fail := func(format string, a ...any) {
		t.Helper()
		t.Errorf("%s: "+format+"\n%s", append([]any{name}, append(a, r.body)...)...)
	}
	if r.status != w.status {
		fail("status %d; want %d", r.status, w.status)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		fail("Content-Type %q; want application/problem+json", ct)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		fail("not a JSON object: %v", err)
		return
	}
	allowed := []string{"type", "href", "title", "status", "detail", "instance", "issues"}
	switch w.kind {
	case "missingScope":
		allowed = append(allowed, "requiredScopes")
	case "payloadTooLarge":
		allowed = append(allowed, "limit")
	case "tooManyRequests", "tooManyFailedRequests":
		allowed = append(allowed, "limit", "retryAfter", "retryAfterSec")
	case "serviceUnavailable":
		allowed = append(allowed, "retryAfter", "retryAfterSec")
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			fail("member %q is not one a %s problem has", k, w.kind)
		}
	}
	if st, _ := m["status"].(float64); int(st) != r.status {
		fail("status member %v; want the HTTP status %d", m["status"], r.status)
	}
	if d, _ := m["detail"].(string); d == "" {
		fail("no detail")
	}
	if w.kind == "about:blank" {
		if m["type"] != "about:blank" || m["title"] != http.StatusText(r.status) || m["href"] != nil {
			fail("want the RFC 9457 about:blank problem titled %q without href", http.StatusText(r.status))
		}
	} else {
		cat, ok := belgifProblems[w.kind]
		if !ok || cat.status != r.status {
			fail("%s is not a Belgif problem of status %d", w.kind, r.status)
		}
		if m["type"] != "urn:problem-type:belgif:"+w.kind || m["title"] != cat.title || m["href"] != guide+"problems/"+w.kind+".html" {
			fail("type/title/href; want urn:problem-type:belgif:%s, %q, %s", w.kind, cat.title, guide+"problems/"+w.kind+".html")
		}
	}
	issues, _ := m["issues"].([]any)
	if m["issues"] != nil && len(issues) == 0 {
		fail("issues is not a non-empty array")
	}
	var kinds []string
	for i, e := range issues {
		is, ok := e.(map[string]any)
		if !ok {
			fail("issues[%d] is not an object", i)
			continue
		}
		kinds = append(kinds, hd.holdIssue(fmt.Sprintf("%s issues[%d]", name, i), is))
	}
	if !slices.Equal(kinds, w.issues) {
		fail("issue types %q; want %q", kinds, w.issues)
	}
	switch r.status {
	case 429, 503:
		sec, ok := m["retryAfterSec"].(float64)
		if !ok || sec < 1 || sec != float64(int(sec)) {
			fail("retryAfterSec %v; want a positive integer", m["retryAfterSec"])
			break
		}
		if ra := r.header.Get("Retry-After"); ra != strconv.Itoa(int(sec)) {
			fail("Retry-After header %q; want %d (retryAfterSec)", ra, int(sec))
		}
		at, err := time.Parse(time.RFC3339, fmt.Sprint(m["retryAfter"]))
		if err != nil || !at.Equal(fixedNow.Add(time.Duration(sec)*time.Second)) {
			fail("retryAfter %v; want the date-time %s (the server's clock + retryAfterSec)", m["retryAfter"], fixedNow.Add(time.Duration(sec)*time.Second).Format(time.RFC3339))
		}
	}
	for doc, sch := range hd.schemas {
		var v any
		_ = json.Unmarshal(r.body, &v)
		if err := sch.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			fail("the Problem schema of %s refuses it: %v", doc, err)
		}
	}
	if w.check != nil {
		w.check(t, m, r.header)
	}
}

// holdIssue checks one issue and returns its kind: the x of its type, or
// "" for a typeless issue (a resourceNotFound's path parameter).
func (hd *holder) holdIssue(name string, is map[string]any) string {
	t := hd.t
	t.Helper()
	for k := range is {
		if !slices.Contains([]string{"type", "href", "title", "detail", "in", "name", "value", "inputs"}, k) {
			t.Errorf("%s: member %q is not one an issue has", name, k)
		}
	}
	if d, _ := is["detail"].(string); d == "" {
		t.Errorf("%s: no detail", name)
	}
	if in, ok := is["in"]; ok && !slices.Contains(inValues, fmt.Sprint(in)) {
		t.Errorf("%s: in %v; want one of %v", name, in, inValues)
	}
	if in := is["in"]; in != nil && in != "body" && is["name"] == nil {
		t.Errorf("%s: a %v issue without a name", name, in)
	}
	if inputs, ok := is["inputs"].([]any); ok {
		if len(inputs) < 2 {
			t.Errorf("%s: inputs lists %d input(s); it is for issues about several", name, len(inputs))
		}
		for j, e := range inputs {
			in, _ := e.(map[string]any)
			if in == nil || !slices.Contains(inValues, fmt.Sprint(in["in"])) || in["name"] == nil {
				t.Errorf("%s: inputs[%d] = %v; want in (one of %v), name and value", name, j, e, inValues)
			}
			for k := range in {
				if k != "in" && k != "name" && k != "value" {
					t.Errorf("%s: inputs[%d] has member %q", name, j, k)
				}
			}
		}
	}
	typ, _ := is["type"].(string)
	if typ == "" {
		if is["href"] != nil || is["title"] != nil {
			t.Errorf("%s: href or title without a type", name)
		}
		return ""
	}
	kind, ok := strings.CutPrefix(typ, "urn:problem-type:belgif:input-validation:")
	title, known := belgifIssues[kind]
	if !ok || !known {
		t.Errorf("%s: type %q is not a standard Belgif issue type", name, typ)
		return typ
	}
	if is["title"] != title || is["href"] != guide+"issues/"+kind+".html" {
		t.Errorf("%s: title %v, href %v; want %q, %s", name, is["title"], is["href"], title, guide+"issues/"+kind+".html")
	}
	return kind
}

func hasIssue(t *testing.T, m map[string]any, want map[string]any) {
	t.Helper()
	issues, _ := m["issues"].([]any)
	for _, e := range issues {
		is, _ := e.(map[string]any)
		match := true
		for k, v := range want {
			if fmt.Sprint(is[k]) != fmt.Sprint(v) {
				match = false
			}
		}
		if match {
			return
		}
	}
	t.Errorf("no issue with %v in %v", want, issues)
}

func header(name, value string) func(*testing.T, map[string]any, http.Header) {
	return func(t *testing.T, _ map[string]any, h http.Header) {
		t.Helper()
		if got := h.Get(name); got != value {
			t.Errorf("%s = %q; want %q", name, got, value)
		}
	}
}

// TestBelgif_EveryProblem drives every problem the API mock and its admin
// API emit and holds each against the official Belgif shapes: type, title,
// href, status, detail, the issues' members, the members of each problem
// type, and the headers (WWW-Authenticate, Allow, Retry-After, and the
// BelGov-Trace-Id / BelGov-Related-Trace-Id of every response, success or
// not).
func TestBelgif_EveryProblem(t *testing.T) {
	hd := newHolder(t)
	hd.schemas = flaProblemSchemas(t)
	s := newServer(t, baseConfig())
	badSSIN := emp + "/employers/880820673/employees/65111899802/calendarYears/2023/trainings"

	// Successes carry the trace headers too.
	if r := hd.call(s, "PUT", seed, employerTok, trainingSet); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT seed = %d %s", r.status, r.body)
	}
	if r := hd.call(s, "GET", "/__admin/health", "", ""); r.status != 200 {
		t.Fatalf("GET health = %d %s", r.status, r.body)
	}

	// 400 badRequest, each issue type.
	hd.hold("400 schemaViolation", hd.call(s, "PUT", seed, employerTok, strings.Replace(trainingSet, `"Safety at work"`, `""`, 1)),
		want{status: 400, kind: "badRequest", issues: []string{"schemaViolation"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "body", "name": "trainings[0].name", "value": ""})
		}})
	hd.hold("400 unknownInput (body)", hd.call(s, "PUT", seed, employerTok, strings.Replace(trainingSet, `{"trainings":`, `{"colour":"red","trainings":`, 1)),
		want{status: 400, kind: "badRequest", issues: []string{"unknownInput"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "body", "name": "colour", "value": nil}) // named, never quoted
		}})
	hd.hold("400 unknownInput (query)", hd.call(s, "GET", seed+"?colour=red&access_token=s3cret", employerTok, ""),
		want{status: 400, kind: "badRequest", issues: []string{"unknownInput", "unknownInput"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "query", "name": "colour", "value": nil})
			hasIssue(t, m, map[string]any{"in": "query", "name": "access_token", "value": nil})
		}})
	hd.hold("400 invalidInput (identifier)", hd.call(s, "GET", badSSIN, employerTok, ""),
		want{status: 400, kind: "badRequest", issues: []string{"invalidInput"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "path", "name": "ssin", "value": "65111899802"})
		}})
	period := strings.Replace(trainingSet, `"endDate":"2023-03-07"`, `"endDate":"2023-03-01"`, 1)
	hd.hold("400 invalidInput (several inputs)", hd.call(s, "PUT", seed, employerTok, period),
		want{status: 400, kind: "badRequest", issues: []string{"invalidInput"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			is := m["issues"].([]any)[0].(map[string]any)
			got, _ := json.Marshal(is["inputs"])
			if string(got) != `[{"in":"body","name":"trainings[0].startDate","value":"2023-03-06"},{"in":"body","name":"trainings[0].endDate","value":"2023-03-01"}]` {
				t.Errorf("inputs = %s", got)
			}
		}})

	// 401, the three of them.
	realm := `Bearer realm="flamock"`
	hd.hold("401 noAccessToken", hd.call(s, "GET", seed, "", ""),
		want{status: 401, kind: "noAccessToken", check: header("WWW-Authenticate", realm)})
	hd.hold("401 invalidAccessToken", hd.call(s, "GET", seed, "tok-unknown", ""),
		want{status: 401, kind: "invalidAccessToken", check: header("WWW-Authenticate", realm+`, error="invalid_token", error_description="The access token is invalid"`)})
	hd.hold("401 expiredAccessToken", hd.call(s, "GET", seed, "tok-expired", ""),
		want{status: 401, kind: "expiredAccessToken", check: header("WWW-Authenticate", realm+`, error="invalid_token", error_description="The access token expired"`)})

	// 403, both.
	hd.hold("403 missingScope", hd.call(s, "GET", seed, trainerTok, ""),
		want{status: 403, kind: "missingScope", check: func(t *testing.T, m map[string]any, h http.Header) {
			if sc, _ := m["requiredScopes"].([]any); len(sc) == 0 {
				t.Errorf("requiredScopes = %v", m["requiredScopes"])
			}
			if !strings.Contains(h.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Errorf("WWW-Authenticate = %q", h.Get("WWW-Authenticate"))
			}
		}})
	hd.hold("403 missingPermission", hd.call(s, "PUT", seed, strangerTok, trainingSet),
		want{status: 403, kind: "missingPermission"})

	// 404: no operation at the path; no resource for the path parameter.
	hd.hold("404 (no operation)", hd.call(s, "GET", emp+"/nothing", employerTok, ""),
		want{status: 404, kind: "resourceNotFound"})
	hd.hold("404 (path parameter)", hd.call(s, "GET", tp+"/trainingProviders/0314595348/trainings/NOPE", trainerTok, ""),
		want{status: 404, kind: "resourceNotFound", issues: []string{""}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "path", "name": "trainingReference", "value": "NOPE"})
		}})

	// 405: Belgif has no type for it: the RFC 9457 about:blank problem.
	hd.hold("405", hd.call(s, "POST", seed, employerTok, trainingSet),
		want{status: 405, kind: "about:blank", check: header("Allow", "GET, PUT, DELETE")})

	// 413.
	small := baseConfig()
	small.MaxBodyBytes = 100
	s413 := newServer(t, small)
	hd.hold("413 payloadTooLarge", hd.call(s413, "PUT", seed, employerTok, trainingSet),
		want{status: 413, kind: "payloadTooLarge", check: func(t *testing.T, m map[string]any, _ http.Header) {
			if m["limit"] != 100.0 {
				t.Errorf("limit = %v; want 100 (bytes)", m["limit"])
			}
		}})

	// Injected faults: 429 (with and without its knobs), 500, 502, 503.
	faults := []struct {
		f    mockfla.Fault
		kind string
		w    func(*testing.T, map[string]any, http.Header)
	}{
		{mockfla.Fault{Status: 429, RetryAfter: 7 * time.Second, Limit: 100}, "tooManyRequests", func(t *testing.T, m map[string]any, _ http.Header) {
			if m["limit"] != 100.0 || m["retryAfterSec"] != 7.0 {
				t.Errorf("limit %v, retryAfterSec %v; want 100, 7", m["limit"], m["retryAfterSec"])
			}
		}},
		{mockfla.Fault{Status: 429}, "tooManyRequests", nil},
		{mockfla.Fault{Status: 500}, "internalServerError", nil},
		{mockfla.Fault{Status: 502}, "badGateway", nil},
		{mockfla.Fault{Status: 503, RetryAfter: 30 * time.Second}, "serviceUnavailable", nil},
		{mockfla.Fault{Status: 503}, "serviceUnavailable", nil},
	}
	for _, f := range faults {
		f.f.Path = seed
		if err := s.QueueFault(f.f); err != nil {
			t.Fatal(err)
		}
		hd.hold(fmt.Sprintf("%d %s (fault %v)", f.f.Status, f.kind, f.f), hd.call(s, "GET", seed, employerTok, ""),
			want{status: f.f.Status, kind: f.kind, check: f.w})
	}

	// The admin API.
	hd.hold("admin 404", hd.call(s, "GET", "/__admin/nothing", "", ""), want{status: 404, kind: "resourceNotFound"})
	hd.hold("admin 400 (query)", hd.call(s, "GET", "/__admin/journal?since=x", "", ""),
		want{status: 400, kind: "badRequest", issues: []string{"invalidInput"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "query", "name": "since", "value": "x"})
		}})
	hd.hold("admin 400 (fault)", hd.call(s, "POST", "/__admin/faults", "", `{"status":200}`),
		want{status: 400, kind: "badRequest", issues: []string{"invalidInput"}})
	hd.hold("admin 400 (unknown key)", hd.call(s, "PUT", "/__admin/mandates", "", `{"mandates":[],"colour":"red"}`),
		want{status: 400, kind: "badRequest", issues: []string{"unknownInput"}, check: func(t *testing.T, m map[string]any, _ http.Header) {
			hasIssue(t, m, map[string]any{"in": "body", "name": "colour"})
		}})

	// 503 from the store (closed), on the API and on the admin API.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	hd.hold("503 serviceUnavailable (store)", hd.call(s, "PUT", seed, employerTok, trainingSet),
		want{status: 503, kind: "serviceUnavailable", check: func(t *testing.T, m map[string]any, _ http.Header) {
			if m["retryAfterSec"] != 1.0 {
				t.Errorf("retryAfterSec = %v; want 1", m["retryAfterSec"])
			}
		}})
	hd.hold("admin 503 (store)", hd.call(s, "DELETE", "/__admin/state", "", ""), want{status: 503, kind: "serviceUnavailable"})

	// A caller without a trace id of its own gets no related one.
	r := do(t, s, "GET", "/__admin/health", "", "")
	if r.header.Get("BelGov-Related-Trace-Id") != "" || !uuidV4.MatchString(r.header.Get("BelGov-Trace-Id")) {
		t.Errorf("without BelGov-Trace-Id: trace headers %v", r.header)
	}
}

// driftSpec answers its one operation with a body its own schema refuses
// (through a profile rule), so that Strict turns it into a 500.
const driftSpec = `openapi: 3.0.3
info: {title: drift, version: "1"}
x-flamock-profile: drift
paths:
  /thing:
    get:
      operationId: getThing
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [name], properties: {name: {type: string}}}
`

// The 500 a Strict server answers for its own drift is a Belgif
// internalServerError too.
func TestBelgif_DriftIs500(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "drift.yaml", Data: []byte(driftSpec)}}
	cfg.Rules = []*mockfla.Rules{{Name: "drift", Operations: map[string]mockfla.OpRule{
		"getThing": {Handle: func(c mockfla.Call) mockfla.Answer { return c.JSON(200, map[string]any{"name": 7}) }},
	}}}
	s := newServer(t, cfg)
	hd := newHolder(t)
	hd.hold("500 (strict drift)", hd.call(s, "GET", "/thing", "", ""), want{status: 500, kind: "internalServerError"})
}

// A spec whose Problem schema forbids additional properties gets problems
// without the members it does not declare (and issues without theirs), so
// Strict never refuses the mock's own problem.
const closedProblemSpec = `openapi: 3.0.3
info: {title: closed, version: "1"}
x-flamock-profile: closed
paths:
  /things/{thingId}:
    parameters:
      - {name: thingId, in: path, required: true, schema: {type: string}}
    put:
      operationId: putThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, additionalProperties: false, properties: {name: {type: string}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "400": {$ref: '#/components/responses/Problem'}
        "404": {$ref: '#/components/responses/Problem'}
        "429": {$ref: '#/components/responses/Problem'}
    get:
      operationId: getThing
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "404": {$ref: '#/components/responses/Problem'}
components:
  responses:
    Problem:
      description: a problem
      content:
        application/problem+json:
          schema:
            type: object
            additionalProperties: false
            required: [type, title, status]
            properties:
              type: {type: string}
              title: {type: string}
              status: {type: integer}
              detail: {type: string}
              issues:
                type: array
                items:
                  type: object
                  additionalProperties: false
                  required: [type]
                  properties:
                    type: {type: string}
                    detail: {type: string}
                    name: {type: string}
`

func TestBelgif_ClosedProblemSchema(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "closed.yaml", Data: []byte(closedProblemSpec)}}
	cfg.Rules = []*mockfla.Rules{{Name: "closed", Operations: map[string]mockfla.OpRule{
		"getThing": {Handle: func(c mockfla.Call) mockfla.Answer { return c.NotFound("no thing " + c.Param("thingId")) }},
	}}}
	s := newServer(t, cfg)
	r := do(t, s, "PUT", "/things/a", "", `{"colour":"red"}`)
	if r.status != 400 || !sameJSON(r.body, `{"type":"urn:problem-type:belgif:badRequest","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[{"type":"urn:problem-type:belgif:input-validation:unknownInput","detail":"unknown input: the schema defines no such property here","name":"colour"}]}`) {
		t.Errorf("400 = %d %s", r.status, r.body)
	}
	// The 404's issue has no type, which this schema requires: left out.
	r = do(t, s, "GET", "/things/a", "", "")
	if r.status != 404 || !sameJSON(r.body, `{"type":"urn:problem-type:belgif:resourceNotFound","title":"Resource Not Found","status":404,"detail":"no thing a"}`) {
		t.Errorf("404 = %d %s", r.status, r.body)
	}
	if err := s.QueueFault(mockfla.Fault{Status: 429, RetryAfter: 3 * time.Second, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	r = do(t, s, "PUT", "/things/a", "", `{}`)
	if r.status != 429 || !sameJSON(r.body, `{"type":"urn:problem-type:belgif:tooManyRequests","title":"Too Many Requests","status":429,"detail":"Fault injected by flamock (status 429, Retry-After 3)"}`) ||
		r.header.Get("Retry-After") != "3" {
		t.Errorf("429 = %d %v %s", r.status, r.header, r.body)
	}
}

func sameJSON(got []byte, want string) bool {
	var g, w any
	return json.Unmarshal(got, &g) == nil && json.Unmarshal([]byte(want), &w) == nil && reflect.DeepEqual(g, w)
}

// A query parameter that is an object declares more names than its own:
// its properties (form style, exploded) or name[...] (deepObject).
const objectQuerySpec = `openapi: 3.0.3
info: {title: search, version: "1"}
paths:
  /things:
    get:
      operationId: findThings
      parameters:
        - name: filter
          in: query
          style: form
          explode: true
          schema: {type: object, additionalProperties: false, properties: {colour: {type: string}, size: {type: integer}}}
        - name: sort
          in: query
          style: deepObject
          schema: {type: object, properties: {by: {type: string}}}
        - {name: q, in: query, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
`

func TestBelgif_UnknownQueryObjects(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "search.yaml", Data: []byte(objectQuerySpec)}}
	s := newServer(t, cfg)
	if r := do(t, s, "GET", "/things?colour=red&size=3&sort[by]=name&q=x", "", ""); r.status != 200 {
		t.Fatalf("declared names = %d %s", r.status, r.body)
	}
	r := do(t, s, "GET", "/things?colour=red&shape=round&order[by]=name", "", "")
	if r.status != 400 || !strings.Contains(string(r.body), `"name":"shape"`) || !strings.Contains(string(r.body), `"name":"order[by]"`) ||
		strings.Count(string(r.body), mockfla.IssueUnknownInput) != 2 {
		t.Fatalf("unknown names = %d %s", r.status, r.body)
	}
}

// The generic profile pages collections with page and pageSize links even
// where the document declares no such parameters: following them is not
// an unknown input; the same names on an item are.
const pagedSpec = `openapi: 3.0.3
info: {title: things, version: "1"}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  things: {type: array, items: {$ref: '#/components/schemas/Thing'}}
                  next: {type: string}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
  /things/{thingId}:
    parameters:
      - {name: thingId, in: path, required: true, schema: {type: string}}
    put:
      operationId: putThing
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
    get:
      operationId: getThing
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
components:
  schemas:
    Thing: {type: object, properties: {thingId: {type: string}, name: {type: string}}}
`

func TestBelgif_PageLinksAreKnown(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "things.yaml", Data: []byte(pagedSpec)}}
	s := newServer(t, cfg)
	for _, id := range []string{"a", "b", "c"} {
		if r := do(t, s, "PUT", "/things/"+id, "", `{"name":"`+id+`"}`); r.status >= 300 {
			t.Fatalf("PUT %s = %d %s", id, r.status, r.body)
		}
	}
	r := do(t, s, "GET", "/things?page=1&pageSize=2", "", "")
	var page struct{ Next string }
	if err := json.Unmarshal(r.body, &page); r.status != 200 || err != nil || page.Next == "" {
		t.Fatalf("page 1 = %d %s", r.status, r.body)
	}
	if r := do(t, s, "GET", page.Next, "", ""); r.status != 200 {
		t.Fatalf("GET next %s = %d %s", page.Next, r.status, r.body)
	}
	if r := do(t, s, "GET", "/things/a?page=1", "", ""); r.status != 400 || !strings.Contains(string(r.body), mockfla.IssueUnknownInput) {
		t.Fatalf("page on an item = %d %s", r.status, r.body)
	}
}
