package mockfla

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestGeneric_EveryOperationOnSpec sends every operation of the testdata
// documents and of the FLA documents (loaded without their profile, so the
// generic profile answers) a request synthesized from its parameters and
// body schema, then one with an unknown query parameter or a body of the
// wrong type, under Strict: no answer may drift from its document (a 500)
// or be any other 5xx.
func TestGeneric_EveryOperationOnSpec(t *testing.T) {
	specs := []Spec{
		{Name: "dossiers", BasePath: "/api"}, {Name: "absences", BasePath: "/api"},
		{Name: "contacts", BasePath: "/api"}, {Name: "legacy", BasePath: "/api"},
		{Name: "fla", BasePath: "/api"}, {Name: "fla-training-provider", BasePath: "/api"},
		{Name: "mailbox", BasePath: "/api"}, {Name: "federation", BasePath: "/api"},
	}
	files := map[string]string{
		"dossiers": "../testdata/specs/dossiers-swagger2.yaml", "absences": "../testdata/specs/absences-openapi31.yaml",
		"contacts": "../testdata/specs/contacts-openapi31.yaml", "legacy": "../testdata/specs/legacy-swagger2.yaml",
		"fla": "../profiles/fla/fla.yaml", "fla-training-provider": "../profiles/fla/fla-training-provider.yaml",
		"mailbox": "../testdata/specs/mailbox-swagger2.yaml", "federation": "../testdata/specs/federation-swagger2.yaml",
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	total := 0
	for _, sp := range specs {
		data, err := os.ReadFile(files[sp.Name])
		if err != nil {
			t.Fatal(err)
		}
		sp.Data, sp.Profile = data, ProfileNone
		s, err := New(Config{Specs: []Spec{sp}, Strict: true, Now: func() time.Time { return now },
			Verifier: verifierFunc(func() Caller { return Caller{ClientID: "c", Quality: "x"} })})
		if err != nil {
			t.Fatal(err)
		}
		m := s.mounts[0]
		ops := make([]*operation, 0, len(m.ops))
		for _, o := range m.ops {
			ops = append(ops, o)
		}
		rank := map[string]int{"POST": 0, "PUT": 1, "GET": 2, "PATCH": 3, "DELETE": 4}
		slices.SortFunc(ops, func(a, b *operation) int {
			if c := strings.Compare(a.path, b.path); c != 0 {
				return c
			}
			return rank[a.method] - rank[b.method]
		})
		syn := &synthesizer{now: now, request: true, oas31: m.doc.IsOpenAPI31OrLater()}
		for _, o := range ops {
			for _, bad := range []bool{false, true} {
				target, hdr, body, ct := sampleRequest(syn, m.doc, o, bad)
				req := httptest.NewRequest(o.method, target, strings.NewReader(body))
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				req.Header.Set("Authorization", "Bearer x")
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				total++
				if rec.Code >= 500 {
					t.Errorf("%s: %s %s (%s) = %d %s", sp.Name, o.method, target, body, rec.Code, rec.Body)
				}
				// A refusal's drift is journaled, not answered: none either.
				if evs := s.cfg.Journal.Events(0); len(evs) > 0 && evs[len(evs)-1].API != nil {
					for _, l := range evs[len(evs)-1].API.Layers {
						if l.Name == "response" && l.Verdict != "pass" {
							t.Errorf("%s: %s %s (%s): %s", sp.Name, o.method, target, body, l.Detail)
						}
					}
				}
			}
		}
		s.Close()
	}
	if total < 50 {
		t.Errorf("only %d calls", total)
	}
}

// sampleRequest builds a request for o from samples of its parameters'
// and body's schemas; bad adds an unknown query parameter, or sends a
// body of the wrong type.
func sampleRequest(syn *synthesizer, doc *openapi3.T, o *operation, bad bool) (target string, hdr map[string]string, body, ct string) {
	path := o.path
	var query []string
	hdr = map[string]string{}
	op := doc.Paths.Find(o.path).GetOperation(o.method)
	params := append(openapi3.Parameters{}, doc.Paths.Find(o.path).Parameters...)
	params = append(params, op.Parameters...)
	for _, p := range params {
		if p.Value == nil || p.Value.Schema == nil {
			continue
		}
		v := syn.sample(p.Value.Schema)
		if list, ok := v.([]any); ok && len(list) > 0 {
			v = list[0]
		}
		sv := fmt.Sprint(v)
		switch {
		case p.Value.In == "path":
			path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", sv)
		case p.Value.In == "query" && p.Value.Required:
			query = append(query, p.Value.Name+"="+sv)
		case p.Value.In == "header" && p.Value.Required:
			hdr[p.Value.Name] = sv
		}
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil {
			b, _ := json.Marshal(syn.sample(mt.Schema))
			body, ct = string(b), "application/json"
		}
	}
	if bad {
		if ct != "" {
			body = `[{"zz":1}]`
		} else {
			query = append(query, "zzunknown=1")
		}
	}
	target = "/api" + path
	if len(query) > 0 {
		target += "?" + strings.Join(query, "&")
	}
	return target, hdr, body, ct
}
