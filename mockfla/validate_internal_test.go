package mockfla

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// kinValidate is how validate worked before it checked JSON bodies itself:
// the whole request through openapi3filter.ValidateRequest. The tests below
// hold the two to the same answers, bodies and values.
func (s *Server) kinValidate(c *call) *response {
	r := c.r
	body := c.body
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: c.params, Route: c.route, Options: &s.reqOpts}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok {
			c.value = vb.ValidatedValue()
		}
		if b, rerr := io.ReadAll(r.Body); rerr == nil {
			c.body = b
		}
		return nil
	}
	issues := s.issuesOf(c, err)
	if len(issues) == 0 {
		issues = []Issue{{Type: IssueSchemaViolation, Title: titleSchema, Detail: clip(err.Error())}}
	}
	slices.SortStableFunc(issues, cmpIssue)
	return badRequest(issues)
}

const (
	tPutTrainings = "/REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainings"
	tPutRights    = "/REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainingRights"
	tPutProvider  = "/REST/careerpro-fla-training-provider/v1/trainingProviders/0314595348/trainings/REF-1"
)

var validateCases = []struct{ path, ctype, body string }{
	{tPutTrainings, "application/json", `{"trainings":[{"reference":"SAFETY-2023-01","name":"Safety at work","startDate":"2023-03-06","endDate":"2023-03-07","duration":{"value":2,"unit":"days"},"status":"completed","trainingType":"formal","countsForFla":true,"certificate":{"received":true,"validUntil":"2026-03-07"}},{"name":"Mentoring","startDate":"2023-09-11","endDate":"2023-09-11","duration":{"value":3.8,"unit":"hours"},"status":"completed","trainingType":"informal"}]}`},
	{tPutTrainings, "application/json", "{\n  \"trainings\": [ {\"name\":\"Mentor <&> é\",\"startDate\":\"2023-09-11\",\"endDate\":\"2023-09-11\",\"duration\":{\"value\":3.5,\"unit\":\"hours\"},\"status\":\"completed\",\"trainingType\":\"informal\",\"countsForFla\":false} ]\n}\n"},
	{tPutTrainings, "application/json; charset=utf-8", `{"trainings":[{"name":"A","startDate":"2023-09-11","endDate":"2023-09-11","duration":{"value":1,"unit":"days"},"status":"completed","trainingType":"informal"}]}`},
	{tPutTrainings, "Application/JSON", `{"trainings":[]}`},
	{tPutTrainings, "application/json", `{"trainings":[]} trailing`},
	{tPutTrainings, "application/json", `{"trainings":[],"trainings":[]}`},
	{tPutTrainings, "application/json", `{"trainings":[{"name":1,"extra":true}]}`},
	{tPutTrainings, "application/json", `{"trainings":[{}]}`},
	{tPutTrainings, "application/json", `{"trainings":`},
	{tPutTrainings, "application/json", `[]`},
	{tPutTrainings, "application/json", `"\u0041"`},
	{tPutTrainings, "application/json", ``},
	{tPutTrainings, "application/json", `   `},
	{tPutTrainings, "", `{"trainings":[]}`},
	{tPutTrainings, "text/plain", `{"trainings":[]}`},
	{tPutTrainings, "application/xml", `<a/>`},
	{tPutTrainings, "application/json", "{\"trainings\":[{\"name\":\"\xff\",\"startDate\":\"2023-09-11\",\"endDate\":\"2023-09-11\",\"duration\":{\"value\":1,\"unit\":\"days\"},\"status\":\"completed\",\"trainingType\":\"informal\"}]}"},
	{tPutTrainings, "application/json", `{"trainings":[{"name":"\ud800 \n","startDate":"2023-09-11","endDate":"2023-09-11","duration":{"value":1e2,"unit":"days"},"status":"completed","trainingType":"informal"}]}`},
	{tPutRights, "application/json", `{"rightDays":5,"carriedOverDays":1.5}`},
	{tPutRights, "application/json", `{"rightDays":"5"}`},
	{tPutProvider, "application/json", `{"name":"Course","startDate":"2024-02-01","endDate":"2024-02-02","duration":{"value":2,"unit":"days"},"participants":[{"ssin":"65111899801","employerId":"0880820673"}]}`},
	{tPutProvider, "application/json", `{"name":"Course","participants":[{"ssin":"x"}]}`},
}

func checkValidateSame(t *testing.T, s *Server, path, ctype, body string) {
	t.Helper()
	run := func(kin bool) (*call, *response) {
		r := httptest.NewRequest("PUT", path, strings.NewReader(body))
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		c := &call{r: r}
		if resp := s.route(c); resp != nil {
			t.Fatalf("route %s: %d", path, resp.status)
		}
		if resp := s.readBody(c); resp != nil {
			return c, resp
		}
		if kin {
			return c, s.kinValidate(c)
		}
		return c, s.validate(c)
	}
	kc, kr := run(true)
	mc, mr := run(false)
	what := fmt.Sprintf("PUT %s (%s) %q", path, ctype, body)
	// Where kin-openapi lets a bad JSON body through (trailing data,
	// several values, invalid UTF-8, duplicate keys), mockfla answers 400
	// with strictJSON's issue.
	if _, is, syntax := strictJSON([]byte(body), ctype); isJSONMedia(ctype) && body != "" && is != nil && !syntax {
		if mr == nil || mr.status != 400 || !slices.ContainsFunc(mr.problem.Issues, func(i Issue) bool { return i.Detail == is.Detail && i.Name == is.Name }) {
			t.Fatalf("%s: mockfla %v; want 400 with %+v", what, mr, *is)
		}
		return
	}
	if (kr == nil) != (mr == nil) {
		t.Fatalf("%s: kin-openapi %v, mockfla %v", what, kr, mr)
	}
	if kr != nil {
		if kr.status != mr.status || !sameIssues(kr.problem, mr.problem) {
			t.Fatalf("%s:\nkin-openapi %d %s\nmockfla     %d %s", what, kr.status, kr.body, mr.status, mr.body)
		}
		return
	}
	if !bytes.Equal(kc.body, mc.body) {
		t.Fatalf("%s: body\nkin-openapi %q\nmockfla     %q", what, kc.body, mc.body)
	}
	if !reflect.DeepEqual(kc.value, mc.value) {
		t.Fatalf("%s: value\nkin-openapi %#v\nmockfla     %#v", what, kc.value, mc.value)
	}
	if want, got := compactCopy(kc.body), storedForm(mc); !bytes.Equal(want, got) || cap(got) > len(got)+len(got)/8+16 {
		t.Fatalf("%s: stored\nkin-openapi %q\nmockfla     %q (cap %d)", what, want, got, cap(got))
	}
}

// sameIssues compares two problems' issues as sets: kin-openapi visits
// properties in map order, so issues that sort equal may come in any order.
func sameIssues(a, b *Problem) bool {
	key := func(p *Problem) []string {
		var out []string
		for _, is := range p.Issues {
			j, _ := json.Marshal(is)
			out = append(out, string(j))
		}
		slices.Sort(out)
		return out
	}
	pa, pb := *a, *b
	pa.Issues, pb.Issues = nil, nil
	return reflect.DeepEqual(pa, pb) && slices.Equal(key(a), key(b))
}

func TestValidateMatchesKinOpenAPI(t *testing.T) {
	s, err := New(flaConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range validateCases {
		checkValidateSame(t, s, tc.path, tc.ctype, tc.body)
	}
}

func FuzzValidateMatchesKinOpenAPI(f *testing.F) {
	for _, tc := range validateCases {
		f.Add(tc.body)
	}
	s, err := New(flaConfig(f))
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range []string{tPutTrainings, tPutProvider} {
			checkValidateSame(t, s, p, "application/json", body)
		}
	})
}

// TestValidateFastPath: a JSON body with defaults to fill is checked and
// re-encoded without kin-openapi's body path, and kept as it is.
func TestValidateFastPath(t *testing.T) {
	s, err := New(flaConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := httptest.NewRequest("PUT", tPutTrainings, strings.NewReader(validateCases[0].body))
	r.Header.Set("Content-Type", "application/json")
	c := &call{r: r}
	if s.route(c) != nil || s.readBody(c) != nil || s.validate(c) != nil {
		t.Fatal("refused")
	}
	if c.form != bodyCompact || !strings.Contains(string(c.body), `{"countsForFla":true,"duration":{"unit":"hours"`) {
		t.Fatalf("form %d, body %s", c.form, c.body)
	}
	if _, ok := c.r.Body.(interface{ ValidatedValue() any }); ok {
		t.Fatal("went through kin-openapi's body validation")
	}
}
