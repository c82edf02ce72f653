package mockfla_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
)

func href(name string) string {
	return "https://www.belgif.be/specification/rest/api-guide/problems/" + name + ".html"
}

func issueHref(name string) string {
	return "https://www.belgif.be/specification/rest/api-guide/issues/" + name + ".html"
}

// TestServer_Layers checks the exact problem a client sees for each layer,
// in the order of the layers.
func TestServer_Layers(t *testing.T) {
	s := newServer(t, baseConfig())
	other := emp + "/employers/0403019261/employees/65111899801/calendarYears/2023/trainings"
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		hdr        []string
		wantStatus int
		wantAuth   string // WWW-Authenticate
		wantAllow  string
		want       mockfla.Problem
	}{
		{
			name: "unknown path", method: "GET", path: "/nope", token: employerTok, wantStatus: 404,
			want: mockfla.Problem{Type: mockfla.TypeResourceNotFound, Href: href("resourceNotFound"), Title: "Resource Not Found", Status: 404, Detail: "No resource at /nope"},
		},
		{
			name: "unknown path under a base path", method: "GET", path: emp + "/employers", token: employerTok, wantStatus: 404,
			want: mockfla.Problem{Type: mockfla.TypeResourceNotFound, Href: href("resourceNotFound"), Title: "Resource Not Found", Status: 404, Detail: "No resource at " + emp + "/employers"},
		},
		{
			name: "method not allowed", method: "POST", path: seed, token: employerTok, body: trainingSet, wantStatus: 405, wantAllow: "GET, PUT, DELETE",
			want: mockfla.Problem{Type: "about:blank", Title: "Method Not Allowed", Status: 405, Detail: "Method POST is not allowed on " + seed + "; allowed: GET, PUT, DELETE"},
		},
		{
			name: "no token", method: "GET", path: seed, wantStatus: 401, wantAuth: `Bearer realm="flamock"`,
			want: mockfla.Problem{Type: mockfla.TypeNoAccessToken, Href: href("noAccessToken"), Title: "No Access Token", Status: 401, Detail: "No Bearer access token found in Authorization HTTP header"},
		},
		{
			name: "basic instead of bearer", method: "GET", path: seed, hdr: []string{"Authorization", "Basic dXNlcjpwdw=="}, wantStatus: 401, wantAuth: `Bearer realm="flamock"`,
			want: mockfla.Problem{Type: mockfla.TypeNoAccessToken, Href: href("noAccessToken"), Title: "No Access Token", Status: 401, Detail: "No Bearer access token found in Authorization HTTP header"},
		},
		{
			name: "unknown token", method: "GET", path: seed, token: "forged", wantStatus: 401,
			wantAuth: `Bearer realm="flamock", error="invalid_token", error_description="The access token is invalid"`,
			want:     mockfla.Problem{Type: mockfla.TypeInvalidAccessToken, Href: href("invalidAccessToken"), Title: "Invalid Access Token", Status: 401, Detail: "The Bearer access token found in the Authorization HTTP header is invalid"},
		},
		{
			name: "revoked token", method: "GET", path: seed, token: "tok-revoked", wantStatus: 401,
			wantAuth: `Bearer realm="flamock", error="invalid_token", error_description="The access token is invalid"`,
			want:     mockfla.Problem{Type: mockfla.TypeInvalidAccessToken, Href: href("invalidAccessToken"), Title: "Invalid Access Token", Status: 401, Detail: "The Bearer access token found in the Authorization HTTP header is invalid: it was revoked"},
		},
		{
			name: "expired token", method: "GET", path: seed, token: "tok-expired", wantStatus: 401,
			wantAuth: `Bearer realm="flamock", error="invalid_token", error_description="The access token expired"`,
			want:     mockfla.Problem{Type: mockfla.TypeExpiredAccessToken, Href: href("expiredAccessToken"), Title: "Expired Access Token", Status: 401, Detail: "The Bearer access token found in the Authorization HTTP header has expired"},
		},
		{
			name: "training-provider token on the employer API", method: "GET", path: seed, token: trainerTok, wantStatus: 403,
			wantAuth: `Bearer realm="flamock", error="insufficient_scope", scope="` + fla.EmployerScope + " " + fla.ProviderScope + `"`,
			want: mockfla.Problem{Type: mockfla.TypeMissingScope, Href: href("missingScope"), Title: "Missing Scope", Status: 403,
				Detail:         "Forbidden to access the resource because the access token is missing a required scope",
				RequiredScopes: []string{fla.EmployerScope, fla.ProviderScope}},
		},
		{
			name: "employer token on the training-provider API", method: "GET", path: tp + "/trainingProviders/0314595348/trainings/X", token: employerTok, wantStatus: 403,
			wantAuth: `Bearer realm="flamock", error="insufficient_scope", scope="` + fla.TrainingProviderScope + `"`,
			want: mockfla.Problem{Type: mockfla.TypeMissingScope, Href: href("missingScope"), Title: "Missing Scope", Status: 403,
				Detail:         "Forbidden to access the resource because the access token is missing a required scope",
				RequiredScopes: []string{fla.TrainingProviderScope}},
		},
		{
			name: "employer for another employer", method: "GET", path: other, token: employerTok, wantStatus: 403,
			want: mockfla.Problem{Type: mockfla.TypeMissingPermission, Href: href("missingPermission"), Title: "Missing Permission", Status: 403,
				Detail: "rule employerOwnNumber: an employer may only send data for its own enterprise number 0880820673, not for 0403019261"},
		},
		{
			name: "provider without mandate", method: "PUT", path: seed, token: strangerTok, body: trainingSet, wantStatus: 403,
			want: mockfla.Problem{Type: mockfla.TypeMissingPermission, Href: href("missingPermission"), Title: "Missing Permission", Status: 403,
				Detail: "rule providerMandate: client self_service_chaman_3_stranger (provider 0566988259) has no active FLA mandate from employer 0880820673 (seed §2.2)"},
		},
		{
			name: "training provider for another provider", method: "GET", path: tp + "/trainingProviders/0403019261/trainings/X", token: trainerTok, wantStatus: 403,
			want: mockfla.Problem{Type: mockfla.TypeMissingPermission, Href: href("missingPermission"), Title: "Missing Permission", Status: 403,
				Detail: "rule trainingProviderOwnNumber: a training provider sends in its own name, with its own enterprise number 0314595348, not 0403019261 (seed §2.5)"},
		},
		{
			name: "every schema violation", method: "PUT", path: seed, token: employerTok,
			body:       `{"trainings":[{"name":"","startDate":"2023-02-30","endDate":"2023-03-01","duration":{"value":-1,"unit":"weeks"},"status":"completed","trainingType":"formal"}],"extra":true}`,
			wantStatus: 400,
			want: mockfla.Problem{Type: mockfla.TypeBadRequest, Href: href("badRequest"), Title: "Bad Request", Status: 400, Detail: "The input message is incorrect",
				Issues: []mockfla.Issue{
					{Type: mockfla.IssueUnknownInput, Href: issueHref("unknownInput"), Title: "Unknown input", Detail: "unknown input: the schema defines no such property here", In: "body", Name: "extra"}, // named, never quoted
					{Type: mockfla.IssueSchemaViolation, Href: issueHref("schemaViolation"), Title: "Input isn't valid with respect to schema", Detail: `value is not one of the allowed values ["hours","days"]`, In: "body", Name: "trainings[0].duration.unit", Value: "weeks"},
					{Type: mockfla.IssueSchemaViolation, Href: issueHref("schemaViolation"), Title: "Input isn't valid with respect to schema", Detail: "number must be at least 0", In: "body", Name: "trainings[0].duration.value", Value: -1.0},
					{Type: mockfla.IssueSchemaViolation, Href: issueHref("schemaViolation"), Title: "Input isn't valid with respect to schema", Detail: "number must be more than 0", In: "body", Name: "trainings[0].duration.value", Value: -1.0},
					{Type: mockfla.IssueSchemaViolation, Href: issueHref("schemaViolation"), Title: "Input isn't valid with respect to schema", Detail: "minimum string length is 1", In: "body", Name: "trainings[0].name", Value: ""},
					{Type: mockfla.IssueSchemaViolation, Href: issueHref("schemaViolation"), Title: "Input isn't valid with respect to schema", Detail: `string doesn't match the format "date" (parsing time "2023-02-30": day out of range)`, In: "body", Name: "trainings[0].startDate", Value: "2023-02-30"},
				}},
		},
		{
			name: "path parameter out of pattern", method: "GET", path: emp + "/employers/12/employees/abc/calendarYears/20x3/trainings", token: "", wantStatus: 401,
			wantAuth: `Bearer realm="flamock"`,
			want:     mockfla.Problem{Type: mockfla.TypeNoAccessToken, Href: href("noAccessToken"), Title: "No Access Token", Status: 401, Detail: "No Bearer access token found in Authorization HTTP header"},
		},
		{
			name: "SSIN check digits", method: "GET", path: emp + "/employers/880820673/employees/65111899802/calendarYears/2023/trainings", token: employerTok, wantStatus: 400,
			want: mockfla.Problem{Type: mockfla.TypeBadRequest, Href: href("badRequest"), Title: "Bad Request", Status: 400, Detail: "The input message is incorrect",
				Issues: []mockfla.Issue{{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "path", Name: "ssin", Value: "65111899802",
					Detail: `SSIN "65111899802": invalid check digit: check digits 02 match neither 01 (born before 2000) nor 30 (born 2000 or later)`}}},
		},
		{
			name: "calendar year outside the service window", method: "GET", path: emp + "/employers/880820673/employees/65111899801/calendarYears/2026/trainings", token: employerTok, wantStatus: 400,
			want: mockfla.Problem{Type: mockfla.TypeBadRequest, Href: href("badRequest"), Title: "Bad Request", Status: 400, Detail: "The input message is incorrect",
				Issues: []mockfla.Issue{{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "path", Name: "calendarYear", Value: "2026",
					Detail: "calendar year 2026 is outside the FLA service window 2023 to 2025"}}},
		},
		{
			name: "business rules", method: "PUT", path: seed, token: employerTok,
			body: `{"trainings":[` +
				`{"reference":"A","name":"n","startDate":"2023-05-02","endDate":"2023-05-01","duration":{"value":1,"unit":"days"},"status":"completed","trainingType":"formal"},` +
				`{"reference":"A","name":"n","startDate":"2022-12-31","endDate":"2023-01-01","duration":{"value":49,"unit":"hours"},"status":"completed","trainingType":"formal","certificate":{"received":true,"validUntil":"2022-12-31"}},` +
				`{"name":"n","startDate":"2023-06-01","endDate":"2023-06-01","duration":{"value":1,"unit":"days"},"status":"reserved","trainingType":"informal","certificate":{"received":false,"validUntil":"2024-01-01"}}]}`,
			wantStatus: 400,
			want: mockfla.Problem{Type: mockfla.TypeBadRequest, Href: href("badRequest"), Title: "Bad Request", Status: 400, Detail: "The input message is incorrect",
				Issues: []mockfla.Issue{
					{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "body", Name: "trainings[0].endDate", Value: "2023-05-01", Detail: "endDate 2023-05-01 is before startDate 2023-05-02", Inputs: []mockfla.Input{{In: "body", Name: "trainings[0].startDate", Value: "2023-05-02"}, {In: "body", Name: "trainings[0].endDate", Value: "2023-05-01"}}},
					{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "body", Name: "trainings[1].reference", Value: "A", Detail: `reference "A" is also used by trainings[0]`, Inputs: []mockfla.Input{{In: "body", Name: "trainings[0].reference", Value: "A"}, {In: "body", Name: "trainings[1].reference", Value: "A"}}},
					{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "body", Name: "trainings[1].startDate", Value: "2022-12-31", Detail: "startDate 2022-12-31 is not in calendar year 2023", Inputs: []mockfla.Input{{In: "path", Name: "calendarYear", Value: "2023"}, {In: "body", Name: "trainings[1].startDate", Value: "2022-12-31"}}},
					{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "body", Name: "trainings[1].duration.value", Value: 49.0, Detail: "a duration of 49 hours does not fit the 2 calendar day(s) from 2022-12-31 to 2023-01-01", Inputs: []mockfla.Input{{In: "body", Name: "trainings[1].duration.value", Value: 49.0}, {In: "body", Name: "trainings[1].startDate", Value: "2022-12-31"}, {In: "body", Name: "trainings[1].endDate", Value: "2023-01-01"}}},
					{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "body", Name: "trainings[1].certificate.validUntil", Value: "2022-12-31", Detail: "the certificate is valid until 2022-12-31, before the end of the training 2023-01-01", Inputs: []mockfla.Input{{In: "body", Name: "trainings[1].certificate.validUntil", Value: "2022-12-31"}, {In: "body", Name: "trainings[1].endDate", Value: "2023-01-01"}}},
					{Type: mockfla.IssueInvalidInput, Href: issueHref("invalidInput"), Title: "Invalid input", In: "body", Name: "trainings[2].certificate.validUntil", Value: "2024-01-01", Detail: "validUntil is given but no certificate was received"},
				}},
		},
		{
			// Belgif's answer: 415, about:blank (Belgif defines no type for it).
			name: "wrong content type", method: "PUT", path: seed, token: employerTok, body: trainingSet, hdr: []string{"Content-Type", "text/plain"}, wantStatus: 415,
			want: mockfla.Problem{Type: "about:blank", Title: "Unsupported Media Type", Status: 415, Detail: "The request body is sent as text/plain; the operation takes application/json"},
		},
		{
			name: "unacceptable Accept", method: "PUT", path: seed, token: employerTok, body: trainingSet, hdr: []string{"Accept", "application/xml, text/*;q=0.5"}, wantStatus: 406,
			want: mockfla.Problem{Type: "about:blank", Title: "Not Acceptable", Status: 406, Detail: "The request's Accept (application/xml, text/*;q=0.5) accepts none of the media types the operation answers: application/json"},
		},
		{
			name: "missing body", method: "PUT", path: seed, token: employerTok, wantStatus: 400,
			want: mockfla.Problem{Type: mockfla.TypeBadRequest, Href: href("badRequest"), Title: "Bad Request", Status: 400, Detail: "The input message is incorrect",
				Issues: []mockfla.Issue{{Type: mockfla.IssueSchemaViolation, Href: issueHref("schemaViolation"), Title: "Input isn't valid with respect to schema", In: "body", Detail: "a request body is required"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.method, tt.path, tt.token, tt.body, tt.hdr...)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d; want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			got := r.problem(t)
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("problem =\n%s\nwant\n%s", g, w)
			}
			if h := r.header.Get("WWW-Authenticate"); h != tt.wantAuth {
				t.Errorf("WWW-Authenticate = %q; want %q", h, tt.wantAuth)
			}
			if h := r.header.Get("Allow"); h != tt.wantAllow {
				t.Errorf("Allow = %q; want %q", h, tt.wantAllow)
			}
		})
	}
}

// TestServer_InvalidJSON checks that a body that is not JSON is one issue, not a 5xx.
func TestServer_InvalidJSON(t *testing.T) {
	s := newServer(t, baseConfig())
	r := do(t, s, "PUT", seed, employerTok, `{"trainings":[`)
	p := r.problem(t)
	if r.status != 400 || len(p.Issues) != 1 || p.Issues[0].In != "body" || !strings.HasPrefix(p.Issues[0].Detail, "the body is not valid application/json") {
		t.Fatalf("got %d %s", r.status, r.body)
	}
}

// TestServer_SeedExample runs the seed's Postman call (§7.3.1). Its SSIN
// 65111899801 passes the check: 651118999 mod 97 = 0, so the check digits
// are 97.
func TestServer_SeedExample(t *testing.T) {
	s := newServer(t, baseConfig())
	r := do(t, s, "PUT", seed, employerTok, trainingSet)
	if r.status != 200 {
		t.Fatalf("PUT = %d %s", r.status, r.body)
	}
	// The 10-digit form of the employer names the same resource.
	ten := strings.Replace(seed, "/880820673/", "/0880820673/", 1)
	for _, tok := range []string{employerTok, providerTok} {
		g := do(t, s, "GET", ten, tok, "")
		if g.status != 200 || string(g.body) != string(r.body) {
			t.Fatalf("GET as %s = %d %s; want 200 %s", tok, g.status, g.body, r.body)
		}
	}
	var set struct {
		Trainings []map[string]any `json:"trainings"`
	}
	if err := json.Unmarshal(r.body, &set); err != nil || len(set.Trainings) != 2 || set.Trainings[1]["countsForFla"] != true {
		t.Fatalf("stored %s: default countsForFla not filled in (%v)", r.body, err)
	}
	if d := do(t, s, "DELETE", seed, providerTok, ""); d.status != 204 || len(d.body) != 0 {
		t.Fatalf("DELETE = %d %s", d.status, d.body)
	}
	if g := do(t, s, "GET", seed, employerTok, ""); g.status != 404 {
		t.Fatalf("GET after DELETE = %d", g.status)
	}
	if d := do(t, s, "DELETE", seed, employerTok, ""); d.status != 404 {
		t.Fatalf("second DELETE = %d", d.status)
	}
}

// TestServer_NoVerifier: with no verifier the mock fails closed.
func TestServer_NoVerifier(t *testing.T) {
	cfg := baseConfig()
	cfg.Verifier = nil
	s := newServer(t, cfg)
	r := do(t, s, "GET", seed, employerTok, "")
	p := r.problem(t)
	if r.status != 401 || p.Type != mockfla.TypeInvalidAccessToken || !strings.HasSuffix(p.Detail, "no token verifier is configured") {
		t.Fatalf("got %d %s", r.status, r.body)
	}
}

// TestServer_PayloadTooLarge checks the body limit.
func TestServer_PayloadTooLarge(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxBodyBytes = 100
	s := newServer(t, cfg)
	r := do(t, s, "PUT", seed, employerTok, trainingSet)
	p := r.problem(t)
	want := mockfla.Problem{Type: mockfla.TypePayloadTooLarge, Href: href("payloadTooLarge"), Title: "Payload Too Large", Status: 413, Detail: "The request body is larger than 100 bytes", Limit: 100}
	if r.status != 413 || !reflect.DeepEqual(p, want) {
		t.Fatalf("got %d %+v", r.status, p)
	}
}

const providerTraining = `{"name":"Forklift","startDate":"2024-07-01","endDate":"2024-07-03","duration":{"value":21,"unit":"hours"},"trainingType":"formal","participants":[{"ssin":"85073003328","employerId":"0880820673","status":"completed","certificate":{"received":true,"validUntil":"2029-07-03"}},{"ssin":"98472899765","status":"notFollowed"}]}`

// TestServer_Journal checks one event per call with the verdicts of the
// layers, and that the token itself is never written.
func TestServer_Journal(t *testing.T) {
	cfg := baseConfig()
	s := newServer(t, cfg)
	do(t, s, "PUT", seed, employerTok, trainingSet)
	do(t, s, "GET", seed, strangerTok, "")
	evs := cfg.Journal.Events(0)
	if len(evs) != 2 {
		t.Fatalf("%d events; want 2", len(evs))
	}
	a, b := evs[0].API, evs[1].API
	if a.Verdict != "ok" || a.Status != 200 || a.Operation != "putTrainings" || a.ClientID != "self_service_chaman_1_employer" || a.Fingerprint == "" {
		t.Errorf("event 1 = %+v", a)
	}
	var names []string
	for _, l := range a.Layers {
		names = append(names, l.Name+":"+l.Verdict)
	}
	if got := strings.Join(names, " "); got != "route:pass auth:pass scope:pass tenant:pass schema:pass identifiers:pass business:pass store:pass" {
		t.Errorf("layers = %s", got)
	}
	if b.Verdict != "rejected" || b.Status != 403 || b.ProblemType != mockfla.TypeMissingPermission {
		t.Errorf("event 2 = %+v", b)
	}
	raw, _ := json.Marshal(evs)
	if strings.Contains(string(raw), employerTok) || strings.Contains(string(raw), strangerTok) {
		t.Errorf("journal holds a token: %s", raw)
	}
}

// TestNew_Errors checks that New reports every configuration problem at once.
func TestNew_Errors(t *testing.T) {
	_, err := mockfla.New(mockfla.Config{
		Specs:        []mockfla.Spec{{Name: "a.yaml", Data: []byte("openapi: 3.0.3\n")}, {Name: "empty"}},
		MaxBodyBytes: -1,
		Realm:        `a"b`,
		Rules:        []*mockfla.Rules{{Name: "none"}, nil},
	})
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"a.yaml: invalid document", "empty: empty document", "MaxBodyBytes -1", "realm", `Rules[0]: name "none" is reserved`, "Rules[1] is nil"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, err = mockfla.New(mockfla.Config{Specs: []mockfla.Spec{{Name: "x", Data: fla.FLA().Data, Profile: "none"}, {Name: "y", Data: fla.FLA().Data, Profile: "none"}}})
	if err == nil || !strings.Contains(err.Error(), "both mounted") {
		t.Fatalf("same base path twice: %v", err)
	}
}

// TestServer_Timeouts is not a timed test: it checks that a delay fault ends
// when the client goes away.
var _ = time.Second
var _ = http.MethodGet

// TestNew_UnknownProfile: a document that names rules the server was not
// given is refused, naming the rules it has.
func TestNew_UnknownProfile(t *testing.T) {
	_, err := mockfla.New(mockfla.Config{Specs: fla.Specs()})
	want := `mockfla: fla.yaml: unknown rules profile "fla" (want one of "none")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v; want %q", err, want)
	}
}
