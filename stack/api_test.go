package stack_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/profiles/generic"
	"github.com/flamock/flamock/stack"
)

// TestAPI_RequestsOnTheEngine: on each testdata document, every operation's
// valid request gets its success status from the engine and its invalid
// one a 400, as the demo client with every scope sends them.
func TestAPI_RequestsOnTheEngine(t *testing.T) {
	for _, file := range []string{"attestations-swagger2.yaml@/base", "legacy-swagger2.yaml", "dossiers-swagger2.yaml@/dossiers", "contacts-openapi31.yaml", "absences-openapi31.yaml"} {
		t.Run(file, func(t *testing.T) {
			sp, err := mockfla.SpecFromFlag("../testdata/specs/" + file)
			if err != nil {
				t.Fatal(err)
			}
			specs := []mockfla.Spec{sp}
			a, err := generic.API(specs, stack.Settings{})
			if err != nil {
				t.Fatal(err)
			}
			ts := stack.NewTestServer(t, stack.Config{Profile: generic.StackProfile(), Specs: specs, Settings: stack.Settings{Demo: true}})
			tok := token(t, ts, generic.DemoClientID)
			n := 0
			for _, op := range a.Operations {
				if op.Unsupported != "" || op.Success == 0 {
					continue
				}
				n++
				if code, b := send(t, ts, op.Method, op.BasePath+op.Valid.Path, tok, op.Valid); (code < 200 || code > 299) && code != 404 {
					t.Errorf("%s valid %s %s = %d %s", op.ID, op.Method, op.Valid.Path, code, b)
				}
				if op.Invalid == nil {
					continue
				}
				want := 400 // or the nearest 4xx the operation declares (the spec's own error model)
				if !slices.Contains(op.Statuses, 400) {
					want = 0
				}
				if code, b := send(t, ts, op.Method, op.BasePath+op.Invalid.Path, tok, *op.Invalid); code != want && (want != 0 || code < 400 || code > 499) {
					t.Errorf("%s invalid (%s) %s %s = %d %s", op.ID, op.Invalid.Why, op.Method, op.Invalid.Path, code, b)
				}
			}
			if n == 0 {
				t.Fatal("no operation checked")
			}
		})
	}
}

// TestAPI_Attestations: the model of the testdata Swagger 2.0 document in
// the style of an older Social Security API.
func TestAPI_Attestations(t *testing.T) {
	sp, err := mockfla.SpecFromFlag("../testdata/specs/attestations-swagger2.yaml@/base")
	if err != nil {
		t.Fatal(err)
	}
	a, err := generic.API([]mockfla.Spec{sp}, stack.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Scopes, " "); got != "scope:attestations:consult scope:attestations:declare" {
		t.Errorf("Scopes = %q", got)
	}
	up, ok := a.Operation("uploadAttachment")
	if !ok || up.Unsupported != "its body is multipart/form-data; the adapter contract sends JSON bodies" || up.Success != 201 {
		t.Errorf("uploadAttachment = %+v", up)
	}
	put, _ := a.Operation("declareAttestation")
	if put.Valid.Path != "/employers/123456749/workers/85073003328/attestations/AT20250001" || put.BasePath != "/base" || !put.Identifiers {
		t.Errorf("declareAttestation valid = %+v", put)
	}
	if put.Invalid == nil || put.Invalid.Why != "wrong values for grossWage, hoursPerWeek, kind" {
		t.Errorf("declareAttestation invalid = %+v", put.Invalid)
	}
	list, _ := a.Operation("listAttestations")
	if list.Valid.Path != "/employers/123456749/attestations?month=2025-03" {
		t.Errorf("listAttestations valid path = %q", list.Valid.Path)
	}
	// Every document that cannot be loaded is reported, with the engine's
	// own error (the placeholder base path says how to mount it).
	bad := []mockfla.Spec{{Name: "x.yaml", Data: []byte("swagger: '2.0'\n")}, {Name: "attestations.yaml", Data: sp.Data}}
	_, err = generic.API(bad, stack.Settings{})
	if err == nil || !strings.Contains(err.Error(), "x.yaml: invalid document: invalid info: value of version must be a non-empty string\n") ||
		!strings.Contains(err.Error(), `attestations.yaml: the document's base path "/REST/${ATTESTATIONS_BASE}/v1" holds the placeholder ${ATTESTATIONS_BASE}`) {
		t.Errorf("bad documents: %v", err)
	}
	if _, err := generic.API(nil, stack.Settings{}); err == nil || err.Error() != "no document: give one with --spec FILE" {
		t.Errorf("no spec: %v", err)
	}
}

// TestAPI_FLA: the FLA's model has its documents, qualities, conformance
// identity and own bodies.
func TestAPI_FLA(t *testing.T) {
	a, err := fla.API(nil, stack.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Documents) != 2 || len(a.Qualities) != 3 || a.Demo == nil {
		t.Fatalf("documents %d, qualities %d, demo %v", len(a.Documents), len(a.Qualities), a.Demo)
	}
	put, ok := a.Operation("putTrainings")
	if !ok || string(put.Valid.Body) != fla.ValidTrainings || put.Invalid == nil || string(put.Invalid.Body) != fla.InvalidTrainings {
		t.Errorf("putTrainings = %+v", put)
	}
	if a.Conformance.Client.ClientID != fla.ConformanceProviderClientID || len(a.Conformance.Calls) != 2 || len(a.Conformance.Flows) != 1 {
		t.Errorf("conformance = %+v", a.Conformance)
	}
}

func send(t *testing.T, ts *stack.TestServer, method, path, tok string, r stack.Request) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(r.Body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestProfileModel: a profile without an API model of its own gets the
// shared one from what it builds: its documents, qualities and a
// conformance client of its first quality.
func TestProfileModel(t *testing.T) {
	data, err := os.ReadFile("../testdata/specs/legacy-swagger2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := stack.Profile{Name: "third", Build: func(stack.Settings) (*stack.Parts, error) {
		return &stack.Parts{Specs: []mockfla.Spec{{Name: "legacy.yaml", Data: data}}, Qualities: map[string][]string{"partner": {"scope:legacy:items"}}}, nil
	}}
	a, err := p.Model(nil, stack.Settings{Conformance: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Profile != "third" || len(a.Operations) != 2 || a.Conformance.Client != (stack.Identity{ClientID: stack.DefaultConformanceClient, Quality: "partner", EnterpriseNumber: "0880820673"}) {
		t.Errorf("model %+v", a)
	}
	if _, err := (stack.Profile{Name: "empty"}).Model(nil, stack.Settings{}); err == nil || err.Error() != `profile "empty" builds nothing` {
		t.Errorf("empty profile: %v", err)
	}
}
