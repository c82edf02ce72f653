package mockfla

import (
	"bytes"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// ruleSpec has an item whose resource holds its id (thingId), so a PUT
// without it gets the id from the path, and a Problem error model.
const ruleSpec = `openapi: 3.0.3
info: {title: things, version: "1"}
paths:
  /owners/{ownerId}/things/{thingId}:
    parameters:
      - {name: ownerId, in: path, required: true, schema: {type: string}}
      - {name: thingId, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9]{1,8}$'}}
    put:
      operationId: putThing
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        "400": {$ref: '#/components/responses/Problem'}
        "404": {$ref: '#/components/responses/Problem'}
    get:
      operationId: getThing
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        "404": {$ref: '#/components/responses/Problem'}
    delete:
      operationId: deleteThing
      responses:
        "204": {description: gone}
        "404": {$ref: '#/components/responses/Problem'}
components:
  responses:
    Problem:
      description: a problem
      content: {application/problem+json: {schema: {type: object, required: [type, status], properties: {type: {type: string}, status: {type: integer}}}}}
  schemas:
    Thing:
      type: object
      required: [name]
      properties:
        thingId: {type: string}
        name: {type: string}
        size: {type: number}
        tags: {type: array, items: {type: string}}
`

// TestResource_SameWithAndWithoutRule: a profile rule that adds checks
// (a tenant check and a business check that both let the call through)
// changes nothing of how a resource is stored (the same bytes: the
// client's key order and number forms, unless validation filled in a
// default), how it is answered, when a 404
// is answered or which error model answers.
func TestResource_SameWithAndWithoutRule(t *testing.T) {
	fladoc, err := os.ReadFile("../profiles/fla/fla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const fla = "/REST/careerpro-fla/v1/employers/0880820673/employees/65111899801/calendarYears/2023/trainings"
	const thing = "/owners/o1/things/"
	flaBody := "{\n  \"trainings\": [ {\"trainingType\":\"formal\", \"status\":\"completed\", \"name\":\"Safety\",\n" +
		"   \"startDate\":\"2023-03-06\",\"endDate\":\"2023-03-07\",\"duration\":{\"value\":2.50,\"unit\":\"days\"}} ]\n}"
	cases := []struct {
		name, doc, base string
		ops             []string
		steps           []struct{ method, path, body string }
		key, wantStored string
	}{
		{
			name: "FLA trainings", doc: string(fladoc), base: "/REST/careerpro-fla/v1",
			ops: []string{"putTrainings", "getTrainings", "deleteTrainings"},
			steps: []struct{ method, path, body string }{
				{"GET", fla, ""}, {"DELETE", fla, ""}, // nothing stored: 404
				{"PUT", fla, `{"trainings":[{"name":1}]}`}, // the schema refuses it
				{"PUT", fla, flaBody}, {"GET", fla, ""}, {"PUT", fla, flaBody},
			},
			key: fla,
			// The schema's default (countsForFla) filled in by validation.
			wantStored: `{"trainings":[{"countsForFla":true,"duration":{"unit":"days","value":2.50},"endDate":"2023-03-07","name":"Safety","startDate":"2023-03-06","status":"completed","trainingType":"formal"}]}`,
		},
		{
			name: "an item with its id", doc: ruleSpec,
			ops: []string{"putThing", "getThing", "deleteThing"},
			steps: []struct{ method, path, body string }{
				{"GET", thing + "t1", ""}, {"DELETE", thing + "t1", ""},
				{"PUT", thing + "t1", `{"size":"big"}`},
				{"PUT", thing + "t1", `{ "tags": ["b","a"], "size": 1.0, "name": "x" }`}, {"GET", thing + "t1", ""},
				{"PUT", thing + "t2", `{"thingId":"other","name":"y"}`}, {"GET", thing + "t2", ""},
			},
			key:        thing + "t1",
			wantStored: `{"thingId":"t1","tags":["b","a"],"size":1.0,"name":"x"}`,
		},
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	verifier := verifierFunc(func() Caller {
		return Caller{ClientID: "c", Quality: "employer", EnterpriseNumber: "0880820673", Scopes: []string{"scope:sigedis:gestion:careerpro-federal-learning-account:employer"}}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var checked int
			rule := OpRule{Kind: "t",
				Tenant: func(Call) *Refusal { checked++; return nil },
				Check:  func(Call) []Issue { checked++; return nil }}
			ops := map[string]OpRule{}
			for _, id := range tc.ops {
				ops[id] = rule
			}
			type answer struct {
				status      int
				ctype, body string
			}
			run := func(profile string) ([]answer, []byte) {
				s, err := New(Config{Specs: []Spec{{Name: "doc", Data: []byte(tc.doc), BasePath: tc.base, Profile: profile}},
					Rules: []*Rules{{Name: "checks", Operations: ops}}, Strict: true, Verifier: verifier, Now: func() time.Time { return now }})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				var out []answer
				for _, st := range tc.steps {
					req := httptest.NewRequest(st.method, st.path, strings.NewReader(st.body))
					req.Header.Set("Authorization", "Bearer x")
					if st.body != "" {
						req.Header.Set("Content-Type", "application/json")
					}
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					out = append(out, answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()})
				}
				stored, _, _ := s.store.r.Get(t.Context(), tc.key)
				return out, stored
			}
			plain, plainStored := run(ProfileNone)
			ruled, ruledStored := run("checks")
			if checked == 0 {
				t.Fatal("the rule never ran")
			}
			if !bytes.Equal(ruledStored, plainStored) || string(plainStored) != tc.wantStored {
				t.Errorf("stored with a rule %s, without %s; want %s", ruledStored, plainStored, tc.wantStored)
			}
			for i, st := range tc.steps {
				if ruled[i] != plain[i] {
					t.Errorf("%s %s: with a rule %d %s %s; without %d %s %s", st.method, st.path,
						ruled[i].status, ruled[i].ctype, ruled[i].body, plain[i].status, plain[i].ctype, plain[i].body)
				}
			}
			// The first two steps find nothing: a 404 in the document's model.
			for _, a := range plain[:2] {
				if a.status != 404 || a.ctype != "application/problem+json" {
					t.Errorf("nothing stored: %d %s %s; want 404 problem", a.status, a.ctype, a.body)
				}
			}
			if plain[2].status != 400 {
				t.Errorf("bad body: %d %s; want 400", plain[2].status, plain[2].body)
			}
			if got := plain[4]; got.status != 200 || got.body != tc.wantStored {
				t.Errorf("GET = %d %s; want 200 %s", got.status, got.body, tc.wantStored)
			}
		})
	}
}
