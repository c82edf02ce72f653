package mockfla

import (
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func responsesOf(t *testing.T, doc *openapi3.T, statuses ...string) *openapi3.Operation {
	t.Helper()
	op := &openapi3.Operation{Responses: openapi3.NewResponses()}
	for _, st := range statuses {
		op.Responses.Set(st, &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(st)})
	}
	return op
}

func TestChooseError(t *testing.T) {
	cases := []struct {
		declared []string
		want     int
		got      int
		declares bool
	}{
		{[]string{"200", "400", "404"}, 404, 404, true},
		{[]string{"200", "400"}, 404, 400, true},               // nearest declared 4xx
		{[]string{"200", "400", "422"}, 413, 422, true},        // 422 is nearer than 400
		{[]string{"200", "400", "422"}, 404, 400, true},        // 400 is nearer than 422
		{[]string{"200", "401", "403"}, 402, 401, true},        // a tie goes to the lower
		{[]string{"200", "4XX"}, 404, 404, true},               // the class covers it
		{[]string{"200", "400", "default"}, 404, 404, true},    // default keeps the status
		{[]string{"200", "400"}, 503, 503, false},              // never a 4xx for a server failure
		{[]string{"200"}, 400, 400, false},                     // nothing declared
		{[]string{"200", "500", "default"}, 503, 503, true},    // default
		{[]string{"201", "400", "404", "409"}, 405, 404, true}, // 404 is nearer than 409
		{[]string{"200", "404", "default"}, 404, 404, true},    // exact beats default
		{[]string{"200", "400", "4XX", "404"}, 401, 401, true}, // 4XX before the nearest
		{[]string{"200", "500"}, 404, 404, false},              // no 4xx: unchanged
		{[]string{"200", "400", "401", "403"}, 413, 403, true}, // nearest
		{[]string{"200", "400", "401", "403"}, 415, 415, true}, // 415 and 406 keep their status
		{[]string{"200", "404"}, 406, 406, true},
		{[]string{"200", "403", "default"}, 401, 401, true},      // default
		{[]string{"200", "404"}, http.StatusNotFound, 404, true}, // exact
		{[]string{"200", "404"}, 400, 400, true},                 // a bad request stays a 400, in the 404's model
		{[]string{"200", "404", "409"}, 400, 400, true},          // in the nearest 4xx's model
		{[]string{"200", "401"}, 404, 401, true},                 // other refusals: the nearest declared 4xx
	}
	for _, c := range cases {
		ch := chooseError(responsesOf(t, nil, c.declared...), c.want)
		if ch.status != c.got || (ch.resp != nil) != c.declares {
			t.Errorf("declared %v, refusal %d: got %d (declared %v); want %d (%v)", c.declared, c.want, ch.status, ch.resp != nil, c.got, c.declares)
		}
	}
}

const errorSchemas = `
    StatusMessage:
      type: object
      required: [id, code, message]
      properties:
        id: {type: string}
        code: {type: string}
        message: {type: string}
        contact: {type: string}
        environment: {type: string, enum: [SIM, ACC, PRD]}
        details:
          type: array
          items: {type: object, required: [code, message], properties: {code: {type: string}, message: {type: string}, location: {type: string}}}
    StrictProblem:
      type: object
      additionalProperties: false
      required: [type, title, status]
      properties:
        type: {type: string, format: uri-reference}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        instance: {type: string}
        errors:
          type: array
          items: {type: object, additionalProperties: false, required: [detail, pointer], properties: {detail: {type: string}, pointer: {type: string}}}
    LooseProblem: {type: object, properties: {type: {type: string}, title: {type: string}, status: {type: integer}, detail: {type: string}}}
    Numeric: {type: object, required: [errorCode, errorMessage, timestamp], properties: {errorCode: {type: integer}, errorMessage: {type: string, maxLength: 10}, timestamp: {type: string, format: date-time}}}
    Federation: {type: object, required: [code, message], properties: {code: {type: string}, message: {type: string}, details: {type: array, items: {type: object, properties: {kind: {type: object}}}}}}
    Unnamed: {type: object, required: [code, message], properties: {code: {type: string}, message: {type: string}, errors: {type: array, items: {type: object, required: [code], properties: {code: {type: string}, message: {type: string}}}}}}
    Nested: {type: object, required: [error], properties: {error: {type: object, required: [code, message], properties: {code: {type: string}, message: {type: string}}}}}
`

func TestErrorBody(t *testing.T) {
	doc := loadSchemas(t, "3.0.3", errorSchemas)
	g := &synthesizer{now: synthNow}
	bad := problemFor(http.StatusBadRequest, "The input message is incorrect")
	bad.Issues = []Issue{
		{Type: IssueSchemaViolation, Title: titleSchema, Detail: "required property is missing", In: "body", Name: "trainings[0].name"},
		{Type: IssueInvalidInput, Title: titleInvalid, Detail: "bad check digit", In: "path", Name: "ssin", Value: "85073003329"},
	}
	v := &violation{p: bad, path: "/x/y", id: "00000000-0000-4000-8000-000000000001", now: synthNow}
	resp := func(ctype, schema string) *openapi3.Response {
		r := openapi3.NewResponse().WithDescription("e")
		if ctype != "" {
			r.Content = openapi3.Content{ctype: &openapi3.MediaType{}}
			if schema != "" {
				r.Content[ctype].Schema = doc.Components.Schemas[schema]
			}
		}
		return r
	}
	said := `The input message is incorrect: body trainings[0].name: required property is missing; path ssin: bad check digit (value \"85073003329\")`
	belgif := `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[{"type":"urn:problem-type:belgif:input-validation:schemaViolation","title":"Input isn't valid with respect to schema","detail":"required property is missing","in":"body","name":"trainings[0].name"},{"type":"urn:problem-type:belgif:input-validation:invalidInput","title":"Invalid input","detail":"bad check digit","in":"path","name":"ssin","value":"85073003329"}]}`
	cases := []struct {
		name       string
		r          *openapi3.Response
		ctype, out string
	}{
		{"StatusMessage", resp("application/json", "StatusMessage"), "application/json",
			`{"code":"badRequest","details":[{"code":"schemaViolation","location":"trainings[0].name","message":"required property is missing"},{"code":"invalidInput","location":"ssin","message":"bad check digit"}],"id":"00000000-0000-4000-8000-000000000001","message":"The input message is incorrect"}`},
		{"strict RFC 9457", resp("application/problem+json", "StrictProblem"), "application/problem+json",
			`{"detail":"The input message is incorrect","errors":[{"detail":"required property is missing","pointer":"/trainings/0/name"},{"detail":"bad check digit","pointer":"ssin"}],"instance":"/x/y","status":400,"title":"Bad Request","type":"urn:problem-type:belgif:badRequest"}`},
		{"loose problem", resp("application/json", "LooseProblem"), "application/json", belgif},
		{"numeric codes", resp("application/json", "Numeric"), "application/json",
			`{"errorCode":400,"errorMessage":"The input ","timestamp":"2025-06-01T12:30:45Z"}`},
		{"nested", resp("application/json", "Nested"), "application/json", `{"error":{"code":"badRequest","message":"` + said + `"}}`},
		{"details that fit nothing", resp("application/json", "Federation"), "application/json", `{"code":"badRequest","message":"` + said + `"}`},
		{"entries without a field", resp("application/json", "Unnamed"), "application/json",
			`{"code":"badRequest","errors":[{"code":"schemaViolation","message":"body trainings[0].name: required property is missing"},{"code":"invalidInput","message":"path ssin: bad check digit"}],"message":"The input message is incorrect"}`},
		{"octet-stream", resp("application/octet-stream", "StatusMessage"), "application/json",
			`{"code":"badRequest","details":[{"code":"schemaViolation","location":"trainings[0].name","message":"required property is missing"},{"code":"invalidInput","location":"ssin","message":"bad check digit"}],"id":"00000000-0000-4000-8000-000000000001","message":"The input message is incorrect"}`},
		{"no content", resp("", ""), "application/problem+json", belgif},
		{"no schema", resp("application/json", ""), "application/json", belgif},
		{"text", resp("text/plain", ""), "text/plain", `Bad Request: The input message is incorrect: body trainings[0].name: required property is missing; path ssin: bad check digit (value "85073003329")`},
	}
	for _, c := range cases {
		ct, body := g.errorBody(c.r, v)
		if ct != c.ctype || string(body) != c.out {
			t.Errorf("%s:\n got %s %s\nwant %s %s", c.name, ct, body, c.ctype, c.out)
		}
		if _, mt := errorMedia(c.r); mt != nil && mt.Schema != nil {
			var dv any
			dv, _ = decodeJSON(body)
			if err := mt.Schema.Value.VisitJSON(dv, openapi3.VisitAsResponse()); err != nil {
				t.Errorf("%s: %s is not valid: %v", c.name, body, err)
			}
		}
	}
}
