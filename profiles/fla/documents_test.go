package fla_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/profiles/fla"
)

func load(t *testing.T, d fla.Document) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(d.Data)
	if err != nil {
		t.Fatalf("load %s: %v", d.Name, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("validate %s: %v", d.Name, err)
	}
	return doc
}

// TestDocuments_BasePath checks that each default base path is the path of
// the document's server URL and that the description says it is a reconstruction.
func TestDocuments_BasePath(t *testing.T) {
	for _, d := range fla.Documents() {
		doc := load(t, d)
		if len(doc.Servers) != 1 {
			t.Fatalf("%s: %d servers; want 1", d.Name, len(doc.Servers))
		}
		u, err := url.Parse(doc.Servers[0].URL)
		if err != nil || u.Path != d.BasePath {
			t.Errorf("%s: server path %q; want %q", d.Name, u.Path, d.BasePath)
		}
		desc := doc.Info.Description
		for _, want := range []string{"reconstruction", "--spec FILE[@BASEPATH]"} {
			if !strings.Contains(desc, want) {
				t.Errorf("%s: info.description lacks %q", d.Name, want)
			}
		}
		flows := doc.Components.SecuritySchemes["oauth2"].Value.Flows.ClientCredentials
		if flows.TokenURL != "https://services.socialsecurity.be/REST/oauth/v5/token" {
			t.Errorf("%s: tokenUrl %q", d.Name, flows.TokenURL)
		}
	}
}

// TestDocuments_Scopes checks the scopes each family requires.
func TestDocuments_Scopes(t *testing.T) {
	want := map[string][]string{
		"fla.yaml":                   {fla.EmployerScope, fla.ProviderScope},
		"fla-training-provider.yaml": {fla.TrainingProviderScope},
	}
	for _, d := range fla.Documents() {
		doc := load(t, d)
		var got []string
		for _, req := range doc.Security {
			got = append(got, req["oauth2"]...)
		}
		if strings.Join(got, " ") != strings.Join(want[d.Name], " ") {
			t.Errorf("%s: security scopes %v; want %v", d.Name, got, want[d.Name])
		}
		for _, s := range got {
			if _, ok := doc.Components.SecuritySchemes["oauth2"].Value.Flows.ClientCredentials.Scopes[s]; !ok {
				t.Errorf("%s: scope %q not declared in the flow", d.Name, s)
			}
		}
	}
}

// TestDocuments_Examples checks that every operation has a request example
// (when it has a body) and an example for each of its responses with content,
// and that every example validates against its schema.
func TestDocuments_Examples(t *testing.T) {
	for _, d := range fla.Documents() {
		doc := load(t, d)
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				name := d.Name + " " + method + " " + path
				if op.OperationID == "" {
					t.Errorf("%s: no operationId", name)
				}
				if rb := op.RequestBody; rb != nil {
					for ct, mt := range rb.Value.Content {
						checkExamples(t, name+" request "+ct, mt, true)
					}
				}
				params := append(openapi3.Parameters{}, item.Parameters...)
				params = append(params, op.Parameters...)
				for _, p := range params {
					if p.Value.Example == nil {
						t.Errorf("%s: parameter %s has no example", name, p.Value.Name)
						continue
					}
					if err := p.Value.Schema.Value.VisitJSON(p.Value.Example); err != nil {
						t.Errorf("%s: parameter %s example: %v", name, p.Value.Name, err)
					}
				}
				hasSuccess := false
				for status, rr := range op.Responses.Map() {
					if strings.HasPrefix(status, "2") {
						hasSuccess = true
					}
					for ct, mt := range rr.Value.Content {
						checkExamples(t, name+" response "+status+" "+ct, mt, false)
					}
				}
				if !hasSuccess {
					t.Errorf("%s: no 2xx response", name)
				}
			}
		}
	}
}

func checkExamples(t *testing.T, name string, mt *openapi3.MediaType, request bool) {
	t.Helper()
	var values []any
	if mt.Example != nil {
		values = append(values, mt.Example)
	}
	for _, ex := range mt.Examples {
		values = append(values, ex.Value.Value)
	}
	if len(values) == 0 {
		t.Errorf("%s: no example", name)
		return
	}
	opt := openapi3.VisitAsResponse()
	if request {
		opt = openapi3.VisitAsRequest()
	}
	for i, v := range values {
		// Round-trip through JSON so that YAML types become JSON types.
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: example %d: %v", name, i, err)
		}
		var jv any
		if err := json.Unmarshal(b, &jv); err != nil {
			t.Fatalf("%s: example %d: %v", name, i, err)
		}
		if err := mt.Schema.Value.VisitJSON(jv, opt, openapi3.MultiErrors()); err != nil {
			t.Errorf("%s: example %d does not validate: %v", name, i, err)
		}
	}
}

// TestDocuments_Copies checks that callers get their own copy of the bytes.
func TestDocuments_Copies(t *testing.T) {
	a := fla.FLA()
	a.Data[0] = 'X'
	if b := fla.FLA(); b.Data[0] == 'X' {
		t.Fatal("FLA() returned shared bytes")
	}
}

func TestExampleJSON(t *testing.T) {
	b, err := fla.FLA().ExampleJSON("TrainingSet")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Trainings []map[string]any `json:"trainings"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Trainings) != 2 || v.Trainings[0]["startDate"] != "2023-03-06" {
		t.Errorf("ExampleJSON(TrainingSet) = %s, %v", b, err)
	}
	if _, err := fla.FLA().ExampleJSON("Nope"); err == nil || err.Error() != `fla: fla.yaml has no example "Nope"` {
		t.Errorf("ExampleJSON(Nope) = %v", err)
	}
}
