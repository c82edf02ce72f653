package mockfla_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
	"testing"

	"github.com/flamock/flamock/mockfla"
)

// A document whose bodies are allOf and oneOf compositions and a top-level
// array, with no error model of its own: the refusals are Belgif problems.
const compositions = `openapi: 3.0.3
info: {title: compositions, version: "1"}
paths:
  /things:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}
      responses: {'201': {description: created}}
  /choices:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Choice'}}}
      responses: {'200': {description: ok}}
  /events:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Event'}}}}
      responses: {'202': {description: accepted}}
components:
  schemas:
    Inner: {type: object, properties: {myParam: {type: string, pattern: '^[0-9]+$'}, count: {type: integer}}}
    Named: {type: object, required: [name], properties: {name: {type: string, maxLength: 3}}}
    WithInner: {type: object, properties: {myInnerObject: {$ref: '#/components/schemas/Inner'}}}
    Thing: {allOf: [{$ref: '#/components/schemas/WithInner'}, {$ref: '#/components/schemas/Named'}]}
    Other: {type: object, required: [kind], properties: {kind: {type: string, enum: [other]}}}
    Choice: {oneOf: [{$ref: '#/components/schemas/WithInner'}, {$ref: '#/components/schemas/Other'}]}
    Event: {type: object, required: [eventType], properties: {eventType: {type: string, enum: [created, deleted]}}}
`

// Belgif's reference gives one issue per failing leaf property of an
// allOf/oneOf body, with its name and value; a property in a top-level
// array is named [0].eventType.
func TestBelgif_LeafIssues(t *testing.T) {
	s := newServer(t, mockfla.Config{Strict: true, Specs: []mockfla.Spec{{Name: "compositions.yaml", Data: []byte(compositions)}}})
	cases := []struct {
		path, body string
		want       []issue
	}{
		{"/things", `{"myInnerObject":{"myParam":"abc","count":"x"},"name":"toolong"}`, []issue{
			{"myInnerObject.count", "value must be an integer", "x"},
			{"myInnerObject.myParam", `string doesn't match the regular expression "^[0-9]+$"`, "abc"},
			{"name", "maximum string length is 3", "toolong"},
		}},
		{"/things", `{"myInnerObject":{"myParam":"12"}}`, []issue{{"name", "required property is missing", nil}}},
		{"/choices", `{"myInnerObject":{"myParam":"abc"}}`, []issue{
			{"myInnerObject.myParam", `string doesn't match the regular expression "^[0-9]+$"`, "abc"},
		}},
		{"/events", `[{"eventType":"created"},{"eventType":"renamed"}]`, []issue{
			{"[1].eventType", `value is not one of the allowed values ["created","deleted"]`, "renamed"},
		}},
	}
	for _, c := range cases {
		r := do(t, s, "POST", c.path, "", c.body)
		if r.status != 400 {
			t.Errorf("%s %s: %d %s; want 400", c.path, c.body, r.status, r.body)
			continue
		}
		p := r.problem(t)
		var got []issue
		for _, is := range p.Issues {
			if is.Type != mockfla.IssueSchemaViolation || is.In != "body" {
				t.Errorf("%s: issue %+v", c.path, is)
			}
			got = append(got, issue{is.Name, is.Detail, is.Value})
		}
		if g, w := jsonOf(got), jsonOf(c.want); g != w {
			t.Errorf("%s %s:\n got %s\nwant %s", c.path, c.body, g, w)
		}
	}
}

// leafIssue is what these tests compare of an issue.
type leafIssue struct {
	Name, Detail string
	Value        any
}

type issue = leafIssue

func jsonOf(issues []leafIssue) string {
	b, _ := json.Marshal(issues)
	return string(b)
}

// An OpenAPI 3 multipart body whose JSON part is an object (encoding
// contentType application/json): the part is validated against its schema,
// and each issue names the part and the property.
func TestMultipart_JSONPartValidated(t *testing.T) {
	const doc = `openapi: 3.0.3
info: {title: upload, version: "1"}
paths:
  /messages:
    post:
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [messageToPublish]
              properties:
                messageToPublish:
                  type: object
                  required: [subject]
                  properties: {subject: {type: string, maxLength: 5}, priority: {type: integer}}
                attachment: {type: string, format: binary}
            encoding:
              messageToPublish: {contentType: application/json}
      responses: {'201': {description: created}}
`
	s := newServer(t, mockfla.Config{Strict: true, Specs: []mockfla.Spec{{Name: "upload.yaml", Data: []byte(doc)}}})
	cases := []struct {
		part, ctype string
		want        int
		issues      []leafIssue
	}{
		{`{"subject":"Hi","priority":1}`, "application/json", 201, nil},
		{`{"subject":"Hi"}`, "", 201, nil}, // the encoding's type
		{`{"subject":"Hello world","priority":"high"}`, "application/json", 400, []leafIssue{
			{"messageToPublish.priority", "value must be an integer", "high"},
			{"messageToPublish.subject", "maximum string length is 5", "Hello world"},
		}},
		{`{"priority":1}`, "application/json", 400, []leafIssue{{"messageToPublish.subject", "required property is missing", nil}}},
		{`subject=Hi`, "text/plain", 400, []leafIssue{{"messageToPublish", "the part is sent as text/plain; the operation takes it as application/json", "text/plain"}}},
	}
	for _, c := range cases {
		ct, body := formBody(t, c.part, c.ctype)
		r := do(t, s, "POST", "/messages", "", body, "Content-Type", ct)
		if r.status != c.want {
			t.Errorf("%s: %d %s; want %d", c.part, r.status, r.body, c.want)
			continue
		}
		if c.want != 400 {
			continue
		}
		var got []leafIssue
		for _, is := range r.problem(t).Issues {
			got = append(got, leafIssue{is.Name, is.Detail, is.Value})
		}
		if g, w := jsonOf(got), jsonOf(c.issues); g != w {
			t.Errorf("%s:\n got %s\nwant %s", c.part, g, w)
		}
	}
}

func formBody(t *testing.T, part, ctype string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="messageToPublish"`)
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte(part))
	mw.Close()
	return mw.FormDataContentType(), buf.String()
}
