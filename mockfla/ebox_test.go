package mockfla_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockfla"
)

// The two documents in the style of the public e-Box specs (testdata/specs):
// a custom error model without a list of issues, a federation error whose
// details fit nothing of a refusal, text/html and octet-stream operations,
// a multipart upload, a merge patch, a "$name/v$" base path and an OAuth
// scheme that no operation requires.
const (
	mailbox    = "/mailbox/enterprise/v2"
	federation = "/federation/v1"
)

func eboxServer(t *testing.T, mutate ...func(*mockfla.Config)) (*mockfla.Server, *journal.Journal, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	j := journal.New(journal.Config{})
	cfg := mockfla.Config{
		Strict:  true,
		Journal: j,
		Now:     func() time.Time { return fixedNow },
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Specs: []mockfla.Spec{
			mustSpec(t, "../testdata/specs/mailbox-swagger2.yaml@"+mailbox),
			mustSpec(t, "../testdata/specs/federation-swagger2.yaml@"+federation),
		},
	}
	for _, f := range mutate {
		f(&cfg)
	}
	return newServer(t, cfg), j, &logs
}

// errorMessage is the mailbox's own error model.
type errorMessage struct {
	Code    string `json:"code"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Every 400 answered in the document's own error model, which has no list
// of issues, names the violated input and the reason in its message.
func TestEbox_ErrorModelSaysWhy(t *testing.T) {
	s, j, logs := eboxServer(t)
	const msgs = mailbox + "/messages"
	const att = mailbox + "/messages/0000000a/attachments/a1/content"
	cases := []struct {
		method, path, ctype, body string
		says                      []string // each in the message
	}{
		{"GET", msgs + "?eboxType=enterprise&page=0", "", "", []string{"query page", "at least 1", `"0"`}},
		{"GET", msgs + "?eboxType=enterprise&page=-3", "", "", []string{"query page", "at least 1"}},
		{"GET", msgs + "?eboxType=enterprise&page=x", "", "", []string{"query page", `"x"`}},
		{"GET", msgs + "?eboxType=enterprise&pageSize=0", "", "", []string{"query pageSize", "at least 1"}},
		{"GET", msgs + "?eboxType=enterprise&pageSize=101", "", "", []string{"query pageSize", "at most 100"}},
		{"GET", msgs, "", "", []string{"query eboxType", "required"}},
		{"GET", msgs + "?page=2", "", "", []string{"query eboxType", "required"}},
		{"GET", msgs + "?eboxType=person", "", "", []string{"query eboxType", "allowed values", `"person"`}},
		{"GET", msgs + "?eboxType=enterprise&messageTypeId=abc", "", "", []string{"query messageTypeId", "regular expression"}},
		{"GET", msgs + "?eboxType=enterprise&visible=maybe", "", "", []string{"query visible", `"maybe"`}},
		{"GET", msgs + "?eboxType=enterprise&publicationDateFrom=2025-13-45", "", "", []string{"query publicationDateFrom", "date"}},
		{"GET", msgs + "?eboxType=enterprise&unknownFilter=1", "", "", []string{"query unknownFilter", "unknown input"}},
		{"GET", msgs + "?eboxType=enterprise&page=0&sort=date", "", "", []string{"query page", "query sort", "unknown input"}},
		{"GET", mailbox + "/messages/XYZ?eboxType=enterprise", "", "", []string{"path messageId", "regular expression", `"XYZ"`}},
		{"GET", mailbox + "/messages/0000000a", "", "", []string{"query eboxType", "required"}},
		{"GET", mailbox + "/messages/0000000a?eboxType=enterprise&lang=fr", "", "", []string{"query lang", "unknown input"}},
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"subject":""}`, []string{"body subject", "minimum string length"}},
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"eboxType":"robot"}`, []string{"body eboxType", "allowed values"}},
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"labels":["` + strings.Repeat("x", 31) + `"]}`, []string{"body labels[0]", "maximum string length"}},
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"read":"yes"}`, []string{"body read", "boolean"}},
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"read":true,`, []string{"body", "not valid"}},
		{"GET", att + "?disposition=download", "", "", []string{"query disposition", "allowed values", `"download"`}},
		{"GET", att + "?format=pdf", "", "", []string{"query format", "unknown input"}},
		{"GET", federation + "/providers/x/messages?eboxType=enterprise", "", "", []string{"path providerId", "regular expression", `"x"`}},
		{"GET", federation + "/providers/acme/messages?eboxType=enterprise&page=0", "", "", []string{"query page", "at least 1"}},
		{"POST", federation + "/events", "application/json", `[{"eventType":"messageOpened","messageId":"0000000a"}]`, []string{"body [0].eventType", "allowed values", `"messageOpened"`}},
		{"POST", federation + "/events", "application/json", `[{"eventType":"messageRead"}]`, []string{"body [0].messageId", "required property is missing"}},
		{"POST", federation + "/events", "application/json", `[]`, []string{"body", "minimum number of items"}},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d invalid calls", len(cases))
	}
	for _, c := range cases {
		var hdr []string
		if c.ctype != "" {
			hdr = []string{"Content-Type", c.ctype}
		}
		r := do(t, s, c.method, c.path, "", c.body, hdr...)
		var em errorMessage
		if r.status != 400 || r.header.Get("Content-Type") != "application/json" || json.Unmarshal(r.body, &em) != nil {
			t.Errorf("%s %s: %d %s %s; want a 400 in the document's error model", c.method, c.path, r.status, r.header.Get("Content-Type"), r.body)
			continue
		}
		if em.Code != "badRequest" || em.Message == "" {
			t.Errorf("%s %s: %s; want code badRequest and a message", c.method, c.path, r.body)
		}
		for _, want := range c.says {
			if !strings.Contains(em.Message, want) {
				t.Errorf("%s %s: message %q does not say %q", c.method, c.path, em.Message, want)
			}
		}
		// The federation's details have nothing a refusal could fill: left out.
		if strings.Contains(string(r.body), `"details"`) || strings.Contains(string(r.body), `"kind"`) {
			t.Errorf("%s %s: %s: details that say nothing", c.method, c.path, r.body)
		}
	}
	noDrift(t, j, logs)
}

// noDrift fails when strict mode found drift in any answer of the mock.
func noDrift(t *testing.T, j *journal.Journal, logs *bytes.Buffer) {
	t.Helper()
	events := j.Events(0)
	for _, ev := range events {
		if ev.API == nil {
			continue
		}
		for _, l := range ev.API.Layers {
			if l.Name == "response" && l.Verdict != "pass" {
				t.Errorf("%s %s: strict mode: %s", ev.API.Method, ev.API.Path, l.Detail)
			}
		}
	}
	if strings.Contains(logs.String(), "DRIFT") {
		t.Errorf("drift logged:\n%s", logs)
	}
}

// --strict answers as the mock would without it where the mock is right:
// a text/html page is not decoded as JSON, a refusal of an operation that
// only produces application/octet-stream is no drift, a partial merge
// patch is checked as the merged resource.
func TestEbox_StrictFindsNoDriftInTheMocksOwnAnswers(t *testing.T) {
	s, j, logs := eboxServer(t)
	steps := []struct {
		method, path, ctype, body string
		want                      int
		wantCT, has               string
	}{
		{"GET", mailbox + "/api/doc", "", "", 200, "text/html", "<!DOCTYPE html>\n<html>"}, // a page, not a JSON string
		{"GET", mailbox + "/messages/0000000a/attachments/a1/content", "", "", 200, "application/octet-stream", ""},
		// Only a 404 declared, under application/octet-stream: a bad request
		// is a 400 in the 404's model (the document's ErrorMessage), as JSON.
		{"GET", mailbox + "/messages/0000000a/attachments/a1/content?disposition=download", "", "", 400, "application/json", `"code":"badRequest"`},
		{"GET", mailbox + "/messages?eboxType=enterprise", "", "", 200, "application/json", `"items":[]`},
		// A partial merge patch: the document's required properties apply to
		// the merged message, not to the patch.
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"read":true}`, 200, "application/json", `"read":true`},
		{"GET", mailbox + "/messages/0000000a?eboxType=enterprise", "", "", 200, "application/json", `"read":true`},
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"labels":["urgent"],"read":null}`, 200, "application/json", `"labels":["urgent"]`},
		// Removing a required property is refused, after the merge.
		{"PATCH", mailbox + "/messages/0000000a", "application/merge-patch+json", `{"subject":null}`, 400, "application/json", `body subject: after the patch: required property is missing`},
		{"POST", federation + "/events", "application/json", `[{"eventType":"messageRead","messageId":"0000000a"}]`, 202, "", ""},
	}
	for _, st := range steps {
		var hdr []string
		if st.ctype != "" {
			hdr = []string{"Content-Type", st.ctype}
		}
		r := do(t, s, st.method, st.path, "", st.body, hdr...)
		if r.status != st.want || r.header.Get("Content-Type") != st.wantCT || !strings.Contains(string(r.body), st.has) {
			t.Errorf("%s %s %s: %d %s %s; want %d %s with %s", st.method, st.path, st.body, r.status, r.header.Get("Content-Type"), r.body, st.want, st.wantCT, st.has)
		}
	}
	noDrift(t, j, logs)
}

// A multipart part sent as application/json is read as JSON: accepted
// where the document (Swagger 2.0) calls it a string; refused, saying why,
// when it is not JSON or a required part is missing.
func TestEbox_MultipartJSONPart(t *testing.T) {
	s, j, logs := eboxServer(t)
	cases := []struct {
		parts [][3]string // name, Content-Type, data
		want  int
		has   string
	}{
		{[][3]string{{"messageToPublish", "application/json", `{"subject":"Hello","eboxType":"enterprise"}`}}, 201, `"messageId"`},
		{[][3]string{{"messageToPublish", "application/json; charset=utf-8", `{"subject":"Hello"}`}, {"attachment", "application/pdf", "%PDF-1.4"}}, 201, `"messageId"`},
		{[][3]string{{"messageToPublish", "application/json", `{"subject":"Hello",}`}}, 400, `body messageToPublish: the part is not valid application/json`},
		{[][3]string{{"messageToPublish", "application/json", `{"a":1,"a":2}`}}, 400, `body messageToPublish.a: duplicate key`},
		{[][3]string{{"attachment", "application/pdf", "%PDF-1.4"}}, 400, `body messageToPublish: required property is missing`},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range c.parts {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="`+p[0]+`"`)
			h.Set("Content-Type", p[1])
			pw, _ := mw.CreatePart(h)
			pw.Write([]byte(p[2]))
		}
		mw.Close()
		r := do(t, s, "POST", mailbox+"/messages", "", buf.String(), "Content-Type", mw.FormDataContentType())
		if r.status != c.want || !strings.Contains(string(r.body), c.has) {
			t.Errorf("%v: %d %s; want %d with %s", c.parts, r.status, r.body, c.want, c.has)
		}
	}
	noDrift(t, j, logs)
}

// Content negotiation as the Belgif guide answers it, in the operation's
// own error model: 406 for an Accept it cannot satisfy, 415 for a body in a
// Content-Type it does not take.
func TestEbox_406And415(t *testing.T) {
	s, j, logs := eboxServer(t)
	steps := []struct {
		method, path, body string
		hdr                []string
		want               int
		has                string
	}{
		{"GET", mailbox + "/messages?eboxType=enterprise", "", []string{"Accept", "application/xml"}, 406, `accepts none of the media types the operation answers: application/json`},
		{"GET", mailbox + "/messages?eboxType=enterprise", "", []string{"Accept", "application/json;q=0, text/html"}, 406, `"code":"406"`},
		{"GET", mailbox + "/messages?eboxType=enterprise", "", []string{"Accept", "application/xml;q=0.9, */*;q=0.1"}, 200, `"items"`},
		{"GET", mailbox + "/messages?eboxType=enterprise", "", []string{"Accept", "application/*"}, 200, `"items"`},
		{"GET", mailbox + "/api/doc", "", []string{"Accept", "text/html,application/xhtml+xml"}, 200, ``},
		{"GET", mailbox + "/api/doc", "", []string{"Accept", "application/json"}, 406, `answers: text/html`},
		{"POST", federation + "/events", `<events/>`, []string{"Content-Type", "application/xml"}, 415, `The request body is sent as application/xml; the operation takes application/json`},
		{"POST", federation + "/events", `[{"eventType":"messageRead","messageId":"0000000a"}]`, []string{"Content-Type", "text/plain"}, 415, `"code":"415"`},
	}
	for _, st := range steps {
		r := do(t, s, st.method, st.path, "", st.body, st.hdr...)
		if r.status != st.want || !strings.Contains(string(r.body), st.has) {
			t.Errorf("%s %s %v: %d %s; want %d with %s", st.method, st.path, st.hdr, r.status, r.body, st.want, st.has)
		}
	}
	noDrift(t, j, logs)
}

// A document that declares an OAuth scheme but requires it nowhere is
// served without a token check and a warning; with RequireToken, every
// operation requires a valid token. The operations that declare no 400
// are named at start.
func TestEbox_UnrequiredSchemeAndNo400(t *testing.T) {
	_, _, logs := eboxServer(t)
	for _, want := range []string{
		`../testdata/specs/mailbox-swagger2.yaml declares the security scheme mailboxOAuth but no operation requires it (no security requirement): its operations are served without any token check; to require a valid token anyway, set requireToken: true in the configuration or pass --require-token`,
		`../testdata/specs/mailbox-swagger2.yaml: 2 operation(s) declare no 400 response: GET /api/doc, GET /messages/{messageId}/attachments/{attachmentId}/content; a bad request to them is answered 400`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start log lacks\n%s\nin\n%s", want, logs)
		}
	}
	if strings.Contains(logs.String(), "federation-swagger2.yaml declares") {
		t.Errorf("a document without a scheme is warned about:\n%s", logs)
	}
	s, _, logs := eboxServer(t, func(cfg *mockfla.Config) {
		cfg.RequireToken = true
		cfg.Verifier = fakeVerifier{"tok": {caller: mockfla.Caller{ClientID: "c"}}}
	})
	if !strings.Contains(logs.String(), `served requiring a valid token of that scheme on every operation (requireToken)`) {
		t.Errorf("start log:\n%s", logs)
	}
	if r := do(t, s, "GET", mailbox+"/messages?eboxType=enterprise", "", ""); r.status != 401 || !strings.Contains(string(r.body), `"code":"noAccessToken"`) {
		t.Errorf("without a token: %d %s; want 401", r.status, r.body)
	}
	if r := do(t, s, "GET", mailbox+"/messages?eboxType=enterprise", "tok", ""); r.status != 200 {
		t.Errorf("with a token: %d %s; want 200", r.status, r.body)
	}
	if r := do(t, s, "POST", federation+"/events", "", `[{"eventType":"messageRead","messageId":"0000000a"}]`); r.status != 202 {
		t.Errorf("a document without a scheme: %d %s; want 202", r.status, r.body)
	}
}

// An error schema no refusal can satisfy (closed, yet at least one
// member): strict mode logs and journals the drift of the mock's own
// refusal, and still answers it as the refusal it is, never a 500.
func TestStrict_RefusalDriftIsLoggedNotAnswered(t *testing.T) {
	const doc = `openapi: 3.0.3
info: {title: impossible errors, version: "1"}
paths:
  /things:
    get:
      parameters: [{name: size, in: query, schema: {type: integer, maximum: 3}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
        '400': {description: bad, content: {application/json: {schema: {type: object, additionalProperties: false, minProperties: 1}}}}
`
	var logs bytes.Buffer
	j := journal.New(journal.Config{})
	s := newServer(t, mockfla.Config{Strict: true, Journal: j, Specs: []mockfla.Spec{{Name: "impossible.yaml", Data: []byte(doc)}},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	r := do(t, s, "GET", "/things?size=9", "", "")
	if r.status != 400 {
		t.Fatalf("%d %s; want the 400 refusal", r.status, r.body)
	}
	if !strings.Contains(logs.String(), "DRIFT: the mock's refusal does not match the operation's error schema; answered as it is (Strict)") {
		t.Errorf("log:\n%s", logs.String())
	}
	evs := j.Events(0)
	found := false
	for _, l := range evs[len(evs)-1].API.Layers {
		found = found || (l.Name == "response" && l.Verdict == "fail" && strings.HasPrefix(l.Detail, "refusal drift (answered as it is): "))
	}
	if !found {
		t.Errorf("journal layers %+v lack the refusal's drift", evs[len(evs)-1].API.Layers)
	}
}

// The start warning names at most 12 operations without a 400.
func TestStartWarning_ManyOperationsWithout400(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: many, version: '1'}\npaths:\n")
	for i := 10; i < 24; i++ {
		fmt.Fprintf(&b, "  /p%d:\n    get:\n      responses: {'200': {description: ok}}\n", i)
	}
	var logs bytes.Buffer
	newServer(t, mockfla.Config{Specs: []mockfla.Spec{{Name: "many.yaml", Data: []byte(b.String())}},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	want := `many.yaml: 14 operation(s) declare no 400 response: GET /p10, GET /p11, GET /p12, GET /p13, GET /p14, GET /p15, GET /p16, GET /p17, GET /p18, GET /p19, GET /p20, GET /p21, and 2 more; a bad request`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log:\n%s\nwant %s", logs.String(), want)
	}
}

// A success in a media type that is not JSON is its text: a text/plain
// example as written (not a JSON string), a text/html page.
func TestText_SuccessBodies(t *testing.T) {
	const doc = `openapi: 3.0.3
info: {title: text, version: "1"}
paths:
  /health:
    get:
      responses: {'200': {description: ok, content: {text/plain: {schema: {type: string}, example: "UP \"fine\""}}}}
  /page:
    get:
      responses: {'200': {description: ok, content: {text/html: {schema: {type: string}}}}}
  /word:
    get:
      responses: {'200': {description: ok, content: {text/plain: {schema: {type: string, enum: [ready]}}}}}
`
	s := newServer(t, mockfla.Config{Strict: true, Specs: []mockfla.Spec{{Name: "text.yaml", Data: []byte(doc)}}})
	for path, want := range map[string]string{
		"/health": `UP "fine"`,
		"/page":   "<!DOCTYPE html>\n<html><head><title>flamock</title></head><body></body></html>\n",
		"/word":   "ready",
	} {
		if r := do(t, s, "GET", path, "", ""); r.status != 200 || string(r.body) != want {
			t.Errorf("GET %s: %d %q; want 200 %q", path, r.status, r.body, want)
		}
	}
}
