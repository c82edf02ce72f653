package mockfla_test

import (
	"encoding/json"
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
