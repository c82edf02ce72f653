package mockfla

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const routeSpec = `openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: /base/v1}]
paths:
  /a/{x}:
    get: {operationId: a, parameters: [{name: x, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}
  /a/b:
    put: {operationId: ab, responses: {"200": {description: ok}}}
  /a/{x}/c/:
    get: {operationId: ac, parameters: [{name: x, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}
  /:
    get: {operationId: root, responses: {"200": {description: ok}}}
`

var routePaths = []string{
	"/", "", "/base/v1", "/base/v1/", "/base/v1/a", "/base/v1/a/", "/base/v1/a/b", "/base/v1/a/b/", "/base/v1/a/x%2Fy",
	"/base/v1/a/%20", "/base/v1/a/é", "/base/v1/a/b/c/", "/base/v1/a/b/c", "/base/v1/a//c/", "/base/v1//b", "/BASE/v1/a/b",
	"/REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainings",
	"/REST/careerpro-fla/v1/employers/880820673/employees/65111899801/calendarYears/2023/trainings/",
	"/REST/careerpro-fla/v1/employers/880820673/calendarYears/2023/optOut",
	"/REST/careerpro-fla/v1/employers/8808%2F20673/calendarYears/2023/optOut",
	"/REST/careerpro-fla-training-provider/v1/trainingProviders/0314595348/trainings/A.b-c",
	"/REST/careerpro-fla-training-provider/v1/trainingProviders/0314595348/calendarYears/2024/trainings",
}

func testServers(t testing.TB) []*Server {
	s1, err := New(flaConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(Config{Specs: []Spec{{Name: "routes", Data: []byte(routeSpec)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close(); s2.Close() })
	return []*Server{s1, s2}
}

func checkRouteSame(t *testing.T, servers []*Server, method, path string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.Method = method
	r.URL.Path, r.URL.RawPath = path, ""
	if strings.Contains(path, "%") {
		r.URL.RawPath = path
		if p, err := pathUnescape(path); err == nil {
			r.URL.Path = p
		}
	}
	if got, want := escapedPath(r.URL), r.URL.EscapedPath(); got != want {
		t.Fatalf("escapedPath(%q, raw %q) = %q; EscapedPath %q", r.URL.Path, r.URL.RawPath, got, want)
	}
	for _, s := range servers {
		for _, m := range s.mounts {
			if m.fast == nil {
				t.Fatalf("%s: no fast router", m.name)
			}
			rt, params, ok := m.fast.match(r)
			if !ok {
				continue
			}
			want, wparams, err := m.router.FindRoute(r)
			if err != nil {
				t.Fatalf("%s %s: fast %s; gorillamux %v", method, path, rt.Path, err)
			}
			if !reflect.DeepEqual(&rt, want) || !reflect.DeepEqual(params, wparams) {
				t.Fatalf("%s %s:\nfast       %+v %v\ngorillamux %+v %v", method, path, rt, params, *want, wparams)
			}
		}
	}
}

func TestFastRouterMatchesGorillamux(t *testing.T) {
	servers := testServers(t)
	hits := 0
	for _, p := range routePaths {
		for _, method := range []string{"GET", "PUT", "DELETE", "POST"} {
			checkRouteSame(t, servers, method, p)
			r := httptest.NewRequest(method, "/", nil)
			r.URL.Path = p
			for _, s := range servers {
				for _, m := range s.mounts {
					if _, _, ok := m.fast.match(r); ok {
						hits++
					}
				}
			}
		}
	}
	if hits < 10 {
		t.Fatalf("fast router answered %d times", hits)
	}
}

func FuzzFastRouter(f *testing.F) {
	for _, p := range routePaths {
		f.Add("GET", p)
	}
	servers := testServers(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		checkRouteSame(t, servers, method, path)
	})
}

func pathUnescape(s string) (string, error) { return url.PathUnescape(s) }
