package mockfla_test

import (
	"testing"

	"github.com/flamock/flamock/mockfla"
)

// noErrorsSpec declares no error response at all.
const noErrorsSpec = `openapi: 3.0.3
info: {title: noerrors, version: "1"}
paths:
  /things/{thingId}:
    get:
      operationId: getThing
      parameters:
        - {name: thingId, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
`

// A call that matches no operation of a document (a path none of its
// operations answers, an empty segment) is refused in the document's own
// error model, as every refusal of an operation is: what its operations
// declare for a 404. A document that declares no error, and a path under
// no document, keep the Belgif 404.
func TestNoOperation404_DocumentErrorModel(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = append(cfg.Specs,
		mustSpec(t, "../testdata/specs/dossiers-swagger2.yaml@/REST/dossiers/v1"),
		mustSpec(t, "../testdata/specs/absences-openapi31.yaml@/REST/absences/v1"),
		mockfla.Spec{Name: "noerrors.yaml", Data: []byte(noErrorsSpec), BasePath: "/REST/noerrors/v1"})
	s := newServer(t, cfg)
	const belgif404 = `{"type":"urn:problem-type:belgif:resourceNotFound","href":"https://www.belgif.be/specification/rest/api-guide/problems/resourceNotFound.html","title":"Resource Not Found","status":404,"detail":"No resource at `
	for _, tc := range []struct {
		name, path, ctype, body string
	}{
		{"StatusMessage (Swagger 2.0)", "/REST/dossiers/v1/nothing/here", "application/json",
			`{"code":"resourceNotFound","id":"00000000-0000-4000-8000-000000000001","message":"No resource at /REST/dossiers/v1/nothing/here"}`},
		{"StatusMessage, empty segment", "/REST/dossiers/v1/employers//dossiers", "application/json",
			`{"code":"resourceNotFound","id":"00000000-0000-4000-8000-000000000002","message":"No resource at /REST/dossiers/v1/employers//dossiers"}`},
		{"closed RFC 9457 problem (OpenAPI 3.1)", "/REST/absences/v1/nothing", "application/problem+json",
			`{"detail":"No resource at /REST/absences/v1/nothing","instance":"/REST/absences/v1/nothing","status":404,"title":"Resource Not Found","type":"urn:problem-type:belgif:resourceNotFound"}`},
		{"no error declared", "/REST/noerrors/v1/nothing", "application/problem+json", belgif404 + `/REST/noerrors/v1/nothing"}`},
		{"FLA (Belgif)", "/REST/careerpro-fla/v1/nothing", "application/problem+json", belgif404 + `/REST/careerpro-fla/v1/nothing"}`},
		{"under no document", "/elsewhere", "application/problem+json", belgif404 + `/elsewhere"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, "GET", tc.path, "", "")
			if ct := r.header.Get("Content-Type"); r.status != 404 || ct != tc.ctype || string(r.body) != tc.body {
				t.Errorf("GET %s = %d %s\n%s\nwant 404 %s\n%s", tc.path, r.status, ct, r.body, tc.ctype, tc.body)
			}
		})
	}
}
