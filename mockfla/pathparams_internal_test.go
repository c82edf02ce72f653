package mockfla

import (
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

var rawParams = []string{
	"", "0", "-1", "+5", " 5", "1.5", "1e3", "0x10", "2000", "2023", "2099", "2100", "1999", "2147483648", "-2147483649", "9223372036854775808",
	"65111899801", "65111899802", "880820673", "0880820673", "1880820673", "088082067", "abc", "true", "false", "1", "é", "%20", "a%2Fb",
	"NaN", "Inf", "1_000", "00", "-0", "3.0",
}

// TestPathParamsDifferential holds the compiled path parameter checks to
// kin-openapi's ValidateRequest on every operation of the test documents,
// with values drawn from rawParams: the compiled verdict, when there is
// one, is kin-openapi's.
func TestPathParamsDifferential(t *testing.T) {
	s := paramServer(t)
	rng := rand.New(rand.NewPCG(19, 7))
	compiled, accepted := 0, 0
	for _, po := range paramOps(s) {
		compiled++
		for i := 0; i < 300; i++ {
			params := map[string]string{}
			for _, n := range po.names {
				if rng.IntN(12) > 0 {
					params[n] = rawParams[rng.IntN(len(rawParams))]
				}
			}
			if compareParams(t, s, po, params) {
				accepted++
			}
		}
	}
	t.Logf("%d operations compiled, %d parameter sets accepted", compiled, accepted)
	if compiled < 5 || accepted == 0 {
		t.Fatalf("compiled %d, accepted %d", compiled, accepted)
	}
}

// FuzzPathParams gives every parameter of every compiled operation the
// fuzzer's value and holds the compiled verdict to kin-openapi's.
func FuzzPathParams(f *testing.F) {
	for _, r := range rawParams {
		f.Add(r)
	}
	s := paramServer(f)
	ops := paramOps(s)
	f.Fuzz(func(t *testing.T, raw string) {
		for _, po := range ops {
			params := map[string]string{}
			for _, n := range po.names {
				params[n] = raw
			}
			compareParams(t, s, po, params)
		}
	})
}

func paramServer(t testing.TB) *Server {
	cfg := flaConfig(t)
	cfg.Specs = append(cfg.Specs, Spec{Name: "kitchen", Data: []byte(kitchenSink), BasePath: "/kitchen", Profile: ProfileNone})
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type paramOp struct {
	op    *operation
	route *routers.Route
	names []string
}

// paramOps are the operations of s whose parameter checks compile.
func paramOps(s *Server) []paramOp {
	var out []paramOp
	for _, m := range s.mounts {
		for _, op := range m.ops {
			route := &routers.Route{Spec: m.doc, PathItem: m.doc.Paths.Value(op.path), Path: op.path, Method: op.method, Operation: op.validation}
			if s.params.get(route) == nil {
				continue
			}
			po := paramOp{op: op, route: route}
			for _, seg := range op.segments {
				if len(seg) > 2 && seg[0] == '{' {
					po.names = append(po.names, seg[1:len(seg)-1])
				}
			}
			out = append(out, po)
		}
	}
	return out
}

// compareParams checks one set of values both ways; it reports whether
// kin-openapi accepts them.
func compareParams(t *testing.T, s *Server, po paramOp, params map[string]string) bool {
	c := &call{r: httptest.NewRequest(po.op.method, "/x", nil), route: po.route, params: params}
	in := &openapi3filter.RequestValidationInput{Request: c.r, PathParams: params, Route: po.route, Options: &s.paramOpts}
	kerr := openapi3filter.ValidateRequest(c.r.Context(), in)
	if got := s.paramsPass(c, in); got != (kerr == nil) {
		t.Fatalf("%s %s %v: compiled %v, kin-openapi %v", po.op.method, po.op.path, params, got, kerr)
	}
	return kerr == nil
}
