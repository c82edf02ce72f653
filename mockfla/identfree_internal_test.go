package mockfla

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// identFree is true for the FLA training set (closed objects, no
// identifier property) and false where a body may hold an identifier; a
// body a compiled identFree schema accepts never holds a bad identifier,
// on mutated bodies of every schema.
func TestIdentFree(t *testing.T) {
	schemas := bodySchemas(t)
	s, err := New(flaConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(19, 17))
	now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	free := map[string]bool{}
	for _, ds := range schemas {
		cs := s.bodySchemas.get(ds.s)
		if cs == nil {
			continue
		}
		free[ds.name] = cs.identFree
		var v any
		if err := json.Unmarshal(ds.sample, &v); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1500; i++ {
			body, _ := json.Marshal(mutate(rng, v, 1+rng.IntN(2)))
			if bad := strings.Replace(string(body), `"name"`, `"ssin"`, 1); bad != string(body) && i%2 == 0 {
				body = []byte(bad) // a property named as an identifier, with whatever value
			}
			val, ok := parseJSON(body)
			if !ok {
				continue
			}
			if acc, _ := cs.accepts(val); acc && cs.identFree && hasBadIdentifier(val, now) {
				t.Fatalf("%s: identFree, yet the accepted body %s holds a bad identifier", ds.name, body)
			}
		}
	}
	trainings := ""
	for name := range free {
		if strings.Contains(name, "PUT") && strings.HasSuffix(name, "/trainings") {
			trainings = name
		}
	}
	if trainings == "" || !free[trainings] {
		t.Errorf("the FLA training set: identFree = false (%v); want true", free)
	}
	anyOpen := false
	for name, f := range free {
		anyOpen = anyOpen || !f
		_ = name
	}
	if !anyOpen {
		t.Errorf("every compiled schema is identFree (%v); want the open ones not", free)
	}
}

func TestNoIdentifiersRules(t *testing.T) {
	str := &cschema{typ: "string"}
	closed := func(props map[string]*cprop) *cschema { return &cschema{typ: "object", props: props} }
	rec := closed(map[string]*cprop{})
	rec.props["child"] = &cprop{schema: rec}
	for _, tc := range []struct {
		name string
		c    *cschema
		want bool
	}{
		{"string", str, true},
		{"closed, plain names", closed(map[string]*cprop{"name": {schema: str}}), true},
		{"closed, ssin", closed(map[string]*cprop{"ssin": {schema: str}}), false},
		{"closed, nested employerId", closed(map[string]*cprop{"a": {schema: closed(map[string]*cprop{"employerId": {schema: str}})}}), false},
		{"open object", &cschema{typ: "object", addAllow: true}, false},
		{"array of anything", &cschema{typ: "array"}, false},
		{"array of closed", &cschema{typ: "array", items: closed(nil)}, true},
		{"recursive", rec, true},
	} {
		if got := tc.c.noIdentifiers(map[*cschema]bool{}); got != tc.want {
			t.Errorf("%s: noIdentifiers = %v; want %v", tc.name, got, tc.want)
		}
	}
}
