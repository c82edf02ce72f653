package mockfla_test

import (
	"strconv"
	"strings"
	"testing"
)

// Bodies that encoding/json would let through are each refused with an
// issue that says what is wrong, and never stored.
func TestStrictJSONBodies(t *testing.T) {
	s := newServer(t, baseConfig())
	dup := strings.Replace(trainingSet, `"name":"Mentoring",`, `"name":"Mentoring","name":"Coaching",`, 1)
	for _, tc := range []struct{ label, body, name, detail string }{
		{"trailing data", trainingSet + ` trailing garbage`, "", `the body has data after its JSON value, at offset ` + itoa(len(trainingSet)+1) + `: "trailing garbage"`},
		{"several values", trainingSet + trainingSet, "", "the body holds several JSON values; one is expected (the second begins at offset " + itoa(len(trainingSet)) + ")"},
		{"invalid UTF-8", strings.Replace(trainingSet, "Mentoring", "Mentor\xffing", 1), "", "the body is not valid UTF-8: byte 0xff at offset " + itoa(strings.Index(trainingSet, "Mentoring")+6)},
		{"duplicate key", dup, "trainings[1].name", `duplicate key: the object has "name" more than once`},
	} {
		r := do(t, s, "PUT", seed, employerTok, tc.body)
		if r.status != 400 {
			t.Fatalf("%s: %d %s", tc.label, r.status, r.body)
		}
		p := r.problem(t)
		if len(p.Issues) != 1 || p.Issues[0].Detail != tc.detail || p.Issues[0].Name != tc.name || p.Issues[0].In != "body" ||
			p.Issues[0].Type != "urn:problem-type:belgif:input-validation:schemaViolation" {
			t.Fatalf("%s: issues %+v\nwant name %q detail %q", tc.label, p.Issues, tc.name, tc.detail)
		}
		if g := do(t, s, "GET", seed, employerTok, ""); g.status != 404 {
			t.Fatalf("%s: stored: GET = %d %s", tc.label, g.status, g.body)
		}
	}
	if r := do(t, s, "PUT", seed, employerTok, trainingSet+"\n"); r.status >= 300 {
		t.Fatalf("the good body: %d %s", r.status, r.body)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
