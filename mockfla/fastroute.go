package mockfla

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// kin-openapi's gorillamux router matches each route with a regular
// expression and copies a Route per request: a tenth of the CPU time of a
// PUT. fastRouter finds the same route for the common case: every path
// template made of literal segments and whole-segment {name} variables,
// which is what gorilla/mux compiles to ^/lit/(?P<v0>[^/]+)/...$ and
// matches against the escaped path. It answers only a request whose first
// matching template has the method; everything else (no match: 404; a
// match without the method: 405) is left to the gorillamux router, which
// then decides as before.
type fastRouter struct {
	routes []fastRoute // in gorillamux's matching order
}

type fastRoute struct {
	segs   []string // template segments after the leading "/"
	isVar  []bool   // segs[i] is a variable name
	nvars  int
	path   string // the document's path key
	item   *openapi3.PathItem
	server *openapi3.Server
	spec   *openapi3.T
}

// newFastRouter returns nil when some template is beyond it (a variable
// that is not a whole segment, a {name:pattern}, a base path that escaping
// changes): the mount then always uses the gorillamux router.
func newFastRouter(doc *openapi3.T) *fastRouter {
	base := ""
	var server *openapi3.Server
	switch len(doc.Servers) {
	case 0:
	case 1:
		server = doc.Servers[0]
		if server == nil || strings.ContainsAny(server.URL, "{}") || len(server.Variables) > 0 || strings.Contains(server.URL, "://") {
			return nil
		}
		u, err := url.Parse(server.URL)
		if err != nil || u.Host != "" || u.EscapedPath() != server.URL {
			return nil
		}
		base = strings.TrimSuffix(u.EscapedPath(), "/")
	default:
		return nil
	}
	fr := &fastRouter{}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		if item == nil || len(item.Servers) > 0 {
			return nil
		}
		tpl := base + path
		if !strings.HasPrefix(tpl, "/") {
			return nil
		}
		rt := fastRoute{path: path, item: item, server: server, spec: doc}
		for _, seg := range strings.Split(tpl[1:], "/") {
			open, close := strings.Count(seg, "{"), strings.Count(seg, "}")
			switch {
			case open == 0 && close == 0:
				rt.segs, rt.isVar = append(rt.segs, seg), append(rt.isVar, false)
			case open == 1 && close == 1 && len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' && !strings.Contains(seg, ":"):
				rt.segs, rt.isVar = append(rt.segs, seg[1:len(seg)-1]), append(rt.isVar, true)
				rt.nvars++
			default:
				return nil
			}
		}
		fr.routes = append(fr.routes, rt)
	}
	return fr
}

// match returns the route and path parameters gorillamux's FindRoute would
// return, or ok=false when the gorillamux router must decide.
func (fr *fastRouter) match(r *http.Request) (route routers.Route, params map[string]string, ok bool) {
	if fr == nil {
		return route, nil, false
	}
	path := r.URL.EscapedPath()
	if len(path) == 0 || path[0] != '/' {
		return route, nil, false
	}
	path = path[1:]
	for i := range fr.routes {
		rt := &fr.routes[i]
		if !rt.matches(path) {
			continue
		}
		op := rt.item.GetOperation(r.Method)
		if op == nil {
			return route, nil, false // 405: gorillamux says so
		}
		params = make(map[string]string, rt.nvars)
		rest := path
		for j, seg := range rt.segs {
			end := strings.IndexByte(rest, '/')
			if end < 0 {
				end = len(rest)
			}
			if rt.isVar[j] {
				params[seg] = rest[:end]
			}
			if end < len(rest) {
				rest = rest[end+1:]
			}
		}
		return routers.Route{Spec: rt.spec, Server: rt.server, Path: rt.path, PathItem: rt.item, Method: r.Method, Operation: op}, params, true
	}
	return route, nil, false
}

// matches reports whether path (without its leading "/") has the
// template's segments: literals equal, variables not empty.
func (rt *fastRoute) matches(path string) bool {
	rest := path
	for j, seg := range rt.segs {
		end := strings.IndexByte(rest, '/')
		last := end < 0
		if last {
			end = len(rest)
		}
		if last != (j == len(rt.segs)-1) {
			return false
		}
		if rt.isVar[j] {
			if end == 0 {
				return false
			}
		} else if rest[:end] != seg {
			return false
		}
		if !last {
			rest = rest[end+1:]
		}
	}
	return true
}
