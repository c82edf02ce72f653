package mockfla_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
)

// secretsSpec has a closed body schema, so every member it does not
// declare is an unknown input.
const secretsSpec = `openapi: 3.0.3
info: {title: secrets, version: "1"}
paths:
  /accounts/{accountId}:
    parameters:
      - {name: accountId, in: path, required: true, schema: {type: string}}
    put:
      operationId: putAccount
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                name: {type: string, minLength: 2}
                password: {type: string, minLength: 8}
                logins: {type: array, items: {type: object, properties: {client_secret: {type: string, minLength: 8}}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
`

// An input the operation does not declare is named, never quoted: its
// value may be a credential under any name (a password, an API key), and
// it would be echoed in the answer and the journal. Declared inputs keep
// their value.
func TestUnknownInput_ValueNeverEchoed(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "secrets.yaml", Data: []byte(secretsSpec)}}
	cfg.Rules = nil
	s := newServer(t, cfg)

	r := do(t, s, "PUT", "/accounts/a1", "", `{"name":"x","pwd":"hunter2","apiKey":"sk-live-4242"}`)
	want := `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[` +
		`{"type":"urn:problem-type:belgif:input-validation:unknownInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/unknownInput.html","title":"Unknown input","detail":"unknown input: the schema defines no such property here","in":"body","name":"apiKey"},` +
		`{"type":"urn:problem-type:belgif:input-validation:schemaViolation","href":"https://www.belgif.be/specification/rest/api-guide/issues/schemaViolation.html","title":"Input isn't valid with respect to schema","detail":"minimum string length is 2","in":"body","name":"name","value":"x"},` +
		`{"type":"urn:problem-type:belgif:input-validation:unknownInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/unknownInput.html","title":"Unknown input","detail":"unknown input: the schema defines no such property here","in":"body","name":"pwd"}]}`
	if r.status != 400 || string(r.body) != want {
		t.Errorf("PUT with unknown members = %d\n%s\nwant 400\n%s", r.status, r.body, want)
	}

	r = do(t, s, "PUT", "/accounts/a1?password=hunter2&colour=red", "", `{"name":"xy"}`)
	want = `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[` +
		`{"type":"urn:problem-type:belgif:input-validation:unknownInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/unknownInput.html","title":"Unknown input","detail":"unknown input: the operation has no query parameter \"colour\"","in":"query","name":"colour"},` +
		`{"type":"urn:problem-type:belgif:input-validation:unknownInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/unknownInput.html","title":"Unknown input","detail":"unknown input: the operation has no query parameter \"password\"","in":"query","name":"password"}]}`
	if r.status != 400 || string(r.body) != want {
		t.Errorf("PUT with unknown query parameters = %d\n%s\nwant 400\n%s", r.status, r.body, want)
	}

	// The journal keeps the answer as written (the request body it keeps
	// is redacted by redact.Body's rules, by member name).
	// A declared input whose name is a credential's (internal/redact's
	// rules, as for the query) is not quoted either, at any depth.
	r = do(t, s, "PUT", "/accounts/a1", "", `{"name":"xy","password":"hunter2","logins":[{"client_secret":"s3cret"}]}`)
	want = `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[` +
		`{"type":"urn:problem-type:belgif:input-validation:schemaViolation","href":"https://www.belgif.be/specification/rest/api-guide/issues/schemaViolation.html","title":"Input isn't valid with respect to schema","detail":"minimum string length is 8","in":"body","name":"logins[0].client_secret","value":"REDACTED"},` +
		`{"type":"urn:problem-type:belgif:input-validation:schemaViolation","href":"https://www.belgif.be/specification/rest/api-guide/issues/schemaViolation.html","title":"Input isn't valid with respect to schema","detail":"minimum string length is 8","in":"body","name":"password","value":"REDACTED"}]}`
	if r.status != 400 || string(r.body) != want {
		t.Errorf("PUT with short credentials = %d\n%s\nwant 400\n%s", r.status, r.body, want)
	}

	for _, ev := range s.Journal().Events(0) {
		if ev.API == nil {
			continue
		}
		said, err := json.Marshal([]any{ev.API.ResponseBody, ev.API.Issues, ev.API.Layers})
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"hunter2", "sk-live-4242", "s3cret"} {
			if strings.Contains(string(said), secret) {
				t.Errorf("journaled answer holds %q: %s", secret, said)
			}
		}
	}
}
