package mockfla_test

import (
	"reflect"
	"testing"

	"github.com/flamock/flamock/mockfla"
)

// Every identifier the mock refuses is an invalidInput issue whose detail
// names the rule that failed (the clock is Config.Now: 1 June 2025).
func TestServer_IdentifierRules(t *testing.T) {
	s := newServer(t, baseConfig())
	path := func(ssin string) string {
		return emp + "/employers/880820673/employees/" + ssin + "/calendarYears/2023/trainings"
	}
	cases := []struct{ ssin, detail string }{
		{"81023003504", `SSIN "81023003504": outside definition domain: day 30 is beyond the 29 days of February`},
		{"81043203555", `SSIN "81043203555": outside definition domain: day 32 is beyond the 30 days of April`},
		{"81022903534", `SSIN "81022903534": outside definition domain: birth date 1981-02-29 does not exist (1981 is not a leap year)`},
		{"85073000061", `SSIN "85073000061": outside definition domain: counter 000 is not allowed in an SSIN (001 to 998)`},
		{"65111899997", `SSIN "65111899997": outside definition domain: counter 999 is not allowed in an SSIN (001 to 998)`},
		{"85130003397", `SSIN "85130003397": outside definition domain: month 13 is not 00–12 (SSIN), 20–32 or 40–52 (BIS)`},
		{"25060200150", `SSIN "25060200150": outside definition domain: birth date 2025-06-02 is after today 2025-06-01`},
		{"65111899802", `SSIN "65111899802": invalid check digit: check digits 02 match neither 01 (born before 2000) nor 30 (born 2000 or later)`},
	}
	for _, c := range cases {
		r := do(t, s, "GET", path(c.ssin), employerTok, "")
		p := r.problem(t)
		want := mockfla.Issue{Type: mockfla.IssueInvalidInput, Href: "https://www.belgif.be/specification/rest/api-guide/issues/invalidInput.html",
			Title: "Invalid input", In: "path", Name: "ssin", Value: c.ssin, Detail: c.detail}
		if r.status != 400 || len(p.Issues) != 1 || !reflect.DeepEqual(p.Issues[0], want) {
			t.Errorf("GET ssin %s = %d %s; want the issue %+v", c.ssin, r.status, r.body, want)
		}
	}
	// Born today, BIS numbers with counter 000 or 999 and unknown dates pass
	// the identifier layer.
	for _, ssin := range []string{"25060100180", "85200000082", "85400099996", "81000003517"} {
		if r := do(t, s, "GET", path(ssin), employerTok, ""); r.status == 400 {
			t.Errorf("GET ssin %s = %d %s; want it past the identifier layer", ssin, r.status, r.body)
		}
	}
	// In a body, the issue names the property.
	body := `{"name":"Forklift","startDate":"2024-07-01","endDate":"2024-07-03","duration":{"value":21,"unit":"hours"},"trainingType":"formal","participants":[{"ssin":"85073099932","status":"notFollowed"}]}`
	r := do(t, s, "PUT", tp+"/trainingProviders/0314595348/trainings/X", trainerTok, body)
	p := r.problem(t)
	if r.status != 400 || len(p.Issues) != 1 || p.Issues[0].Name != "participants[0].ssin" || p.Issues[0].In != "body" ||
		p.Issues[0].Detail != `SSIN "85073099932": outside definition domain: counter 999 is not allowed in an SSIN (001 to 998)` {
		t.Fatalf("body SSIN with counter 999: %d %s", r.status, r.body)
	}
}

// A spec whose employerId is an integer (the Belgif EmployerId type) gets the
// NSSO employer number rules; a string employerId stays an enterprise number.
const employerIDSpec = `openapi: 3.0.3
info: {title: employers, version: "1"}
servers: [{url: /REST/employers/v1}]
paths:
  /employers/{employerId}:
    parameters:
      - {name: employerId, in: path, required: true, schema: {$ref: '#/components/schemas/EmployerId'}}
    get:
      operationId: getEmployer
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
        "404": {description: none, content: {application/problem+json: {schema: {type: object}}}}
    put:
      operationId: putEmployer
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                employerId: {$ref: '#/components/schemas/EmployerId'}
                kbo: {type: object, properties: {employerId: {type: string}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "201": {description: ok, content: {application/json: {schema: {type: object}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
components:
  schemas:
    EmployerId:
      type: integer
      format: int64
      minimum: 197
      maximum: 5999999999
`

func TestServer_EmployerIDByType(t *testing.T) {
	cfg := baseConfig()
	cfg.Specs = []mockfla.Spec{{Name: "employers.yaml", Data: []byte(employerIDSpec)}}
	s := newServer(t, cfg)
	const base = "/REST/employers/v1/employers/"
	if r := do(t, s, "GET", base+"935467", "", ""); r.status == 400 {
		t.Fatalf("GET a valid NSSO number = %d %s", r.status, r.body)
	}
	r := do(t, s, "GET", base+"935468", "", "")
	p := r.problem(t)
	if r.status != 400 || len(p.Issues) != 1 || p.Issues[0].In != "path" || p.Issues[0].Name != "employerId" ||
		p.Issues[0].Detail != `NSSO employer number "935468": invalid check digit: check digits 68 match neither 67 (96 − radix×100 mod 97) nor 42 (radix mod 97, old range up to 99999926)` {
		t.Fatalf("GET a bad NSSO number = %d %s", r.status, r.body)
	}
	r = do(t, s, "PUT", base+"935467", "", `{"employerId":5678901279,"kbo":{"employerId":"0880820674"}}`)
	p = r.problem(t)
	if r.status != 400 || len(p.Issues) != 2 ||
		p.Issues[0].Name != "employerId" || p.Issues[0].Detail != `NSSO employer number "5678901279": invalid check digit: check digits are 79; want 77 (96 − radix×100 mod 97)` ||
		p.Issues[1].Name != "kbo.employerId" || p.Issues[1].Detail != `enterprise number "0880820674": invalid check digit: check digits are 74; want 73` {
		t.Fatalf("PUT bad numbers = %d %s", r.status, r.body)
	}
	if r := do(t, s, "PUT", base+"935467", "", `{"employerId":5678901277,"kbo":{"employerId":"0880820673"}}`); r.status >= 400 {
		t.Fatalf("PUT valid numbers = %d %s", r.status, r.body)
	}
}
