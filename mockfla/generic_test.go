package mockfla_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
)

func mustSpec(t testing.TB, arg string) mockfla.Spec {
	t.Helper()
	sp, err := mockfla.SpecFromFlag(arg)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// genericServer mounts four documents at once: both FLA documents, an
// OpenAPI 3.1 one and a Swagger 2.0 one.
func genericServer(t *testing.T) *mockfla.Server {
	cfg := baseConfig()
	v := verifier()
	v["tok-read"] = fakeToken{caller: mockfla.Caller{ClientID: "reader", Quality: "employer", EnterpriseNumber: employerEN, Scopes: []string{"scope:demo:consult"}}}
	v["tok-write"] = fakeToken{caller: mockfla.Caller{ClientID: "writer", Quality: "employer", EnterpriseNumber: employerEN, Scopes: []string{"scope:demo:consult", "scope:demo:write", "scope:legacy:items"}}}
	cfg.Verifier = v
	cfg.Specs = []mockfla.Spec{
		{Name: "fla.yaml", Data: fla.FLA().Data},
		{Name: "fla-training-provider.yaml", Data: fla.FLATrainingProvider().Data},
		mustSpec(t, "../testdata/specs/contacts-openapi31.yaml"),
		mustSpec(t, "../testdata/specs/legacy-swagger2.yaml@/mounted/legacy/"),
	}
	return newServer(t, cfg)
}

func TestServer_GenericSpecs(t *testing.T) {
	s := genericServer(t)
	const demo = "/REST/demo-contacts/v2"
	contact := demo + "/organizations/403019261/contacts/"
	steps := []struct {
		method, path, token, body string
		want                      int
		wantBody                  string // substring
	}{
		{"GET", demo + "/status", "", "", 200, `{"status":"UP"}`},
		{"PUT", contact + "ann", "tok-read", `{"name":"Ann","ssin":"85073003328"}`, 403, `"requiredScopes":["scope:demo:consult","scope:demo:write"]`},
		{"PUT", contact + "ann", "tok-write", `{"name":"Ann","ssin":"85073003328","phone":null}`, 201, `"name":"Ann"`},
		{"PUT", contact + "ann", "tok-write", `{"name":"Ann B","ssin":"85073003328"}`, 200, `"name":"Ann B"`},
		{"PUT", contact + "bob", "tok-write", `{"name":"Bob","ssin":"93051822361"}`, 201, ``},
		{"PUT", contact + "cid", "tok-write", `{"name":"Cid","ssin":"42012205181"}`, 201, ``},
		{"PUT", contact + "bad", "tok-write", `{"name":"Bad","ssin":"42012205182"}`, 400, `"name":"ssin","value":"42012205182"`},
		{"PUT", contact + "bad", "tok-write", `{"name":"Bad","ssin":"42012205181","phone":7}`, 400, `"name":"phone"`},
		{"GET", demo + "/organizations/0403019261/contacts/ann", "tok-read", "", 200, `"name":"Ann B"`},
		{"GET", demo + "/organizations/0403019262/contacts/ann", "tok-read", "", 400, `"name":"enterpriseNumber"`},
		{"GET", demo + "/organizations/0403019261/contacts?pageSize=2", "tok-read", "", 200, `"next":"` + demo + `/organizations/0403019261/contacts?page=2\u0026pageSize=2"`},
		{"GET", demo + "/organizations/0403019261/contacts?page=2&pageSize=2", "tok-read", "", 200, `"total":3`},
		{"DELETE", contact + "bob", "tok-write", "", 204, ""},
		{"GET", contact + "bob", "tok-read", "", 404, `resourceNotFound`},
		{"PUT", "/mounted/legacy/items/x1", "tok-write", `{"label":"one","count":2}`, 200, `"label":"one"`},
		{"PUT", "/mounted/legacy/items/x1", "tok-write", `{"count":-2}`, 400, `"name":"count"`},
		{"GET", "/mounted/legacy/items/x1", "tok-write", "", 200, `"count":2`},
		// The document declares no 403 here: still a 403 (a 404 would mislead),
		// the Belgif problem, as the declared 404 has no schema.
		{"GET", "/mounted/legacy/items/x1", "tok-read", "", 403, `"requiredScopes":["scope:legacy:items"]`},
		{"GET", "/legacy/v1/items/x1", "tok-write", "", 404, `resourceNotFound`},
	}
	for _, st := range steps {
		r := do(t, s, st.method, st.path, st.token, st.body)
		if r.status != st.want || !strings.Contains(string(r.body), st.wantBody) {
			t.Errorf("%s %s = %d %s; want %d containing %s", st.method, st.path, r.status, r.body, st.want, st.wantBody)
		}
	}
	// The list of page 1 holds the stored bodies, in key order.
	r := do(t, s, "GET", demo+"/organizations/0403019261/contacts?pageSize=2", "tok-read", "")
	var page struct{ Items []struct{ Name string } }
	_ = json.Unmarshal(r.body, &page)
	if len(page.Items) != 2 || page.Items[0].Name != "Ann B" || page.Items[1].Name != "Cid" {
		t.Errorf("list = %s", r.body)
	}
	// Health lists the four mounts and their profiles.
	h := do(t, s, "GET", "/__admin/health", "", "")
	for _, want := range []string{`"basePath":"/REST/demo-contacts/v2/","operations":5,"profile":"none"`, `"basePath":"/mounted/legacy/","operations":2,"profile":"none"`, `"basePath":"/REST/careerpro-fla/v1/","operations":12,"profile":"fla"`} {
		if !strings.Contains(string(h.body), want) {
			t.Errorf("health %s lacks %s", h.body, want)
		}
	}
}

func TestSpecFromFlag(t *testing.T) {
	sp := mustSpec(t, "../testdata/specs/legacy-swagger2.yaml@/x/y")
	if sp.BasePath != "/x/y" || sp.Name != "../testdata/specs/legacy-swagger2.yaml" || len(sp.Data) == 0 {
		t.Errorf("got %+v", sp)
	}
	dir := t.TempDir()
	odd := dir + "/a@b.yaml"
	if err := os.WriteFile(odd, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if sp := mustSpec(t, odd); sp.BasePath != "" || sp.Name != odd {
		t.Errorf("file name with @: %+v", sp)
	}
	if _, err := mockfla.SpecFromFlag(dir + "/missing.yaml"); err == nil {
		t.Error("missing file accepted")
	}
}
