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
	// parts are the template after its leading "/": runs of literal
	// segments (lit, with their "/" inside) and whole-segment variables
	// (name), one "/" between two parts.
	parts  []routePart
	names  []string // the variables' names, in order
	path   string   // the document's path key
	item   *openapi3.PathItem
	server *openapi3.Server
	spec   *openapi3.T
}

type routePart struct {
	lit  string // a run of literal segments, when name is ""
	name string // a variable
}

// maxFastVars bounds the variables of a template the fast router takes.
const maxFastVars = 16

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
		var lits []string // the literal segments of the run being read
		for _, seg := range strings.Split(tpl[1:], "/") {
			open, close := strings.Count(seg, "{"), strings.Count(seg, "}")
			switch {
			case open == 0 && close == 0:
				lits = append(lits, seg)
			case open == 1 && close == 1 && len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' && !strings.Contains(seg, ":"):
				if lits != nil {
					rt.parts = append(rt.parts, routePart{lit: strings.Join(lits, "/")})
					lits = nil
				}
				rt.parts = append(rt.parts, routePart{name: seg[1 : len(seg)-1]})
				rt.names = append(rt.names, seg[1:len(seg)-1])
			default:
				return nil
			}
		}
		if lits != nil {
			rt.parts = append(rt.parts, routePart{lit: strings.Join(lits, "/")})
		}
		if len(rt.names) > maxFastVars {
			return nil
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
	path := escapedPath(r.URL)
	if len(path) == 0 || path[0] != '/' {
		return route, nil, false
	}
	path = path[1:]
	var vals [maxFastVars]string
	for i := range fr.routes {
		rt := &fr.routes[i]
		if !rt.matches(path, &vals) {
			continue
		}
		op := rt.item.GetOperation(r.Method)
		if op == nil {
			return route, nil, false // 405: gorillamux says so
		}
		params = make(map[string]string, len(rt.names))
		for k, name := range rt.names {
			params[name] = vals[k]
		}
		return routers.Route{Spec: rt.spec, Server: rt.server, Path: rt.path, PathItem: rt.item, Method: r.Method, Operation: op}, params, true
	}
	return route, nil, false
}

// matches reports whether path (without its leading "/") has the
// template's segments: literals equal, variables not empty; vals gets the
// variables' values, in order.
func (rt *fastRoute) matches(path string, vals *[maxFastVars]string) bool {
	rest := path
	n := 0
	for i, p := range rt.parts {
		if p.name == "" {
			if len(rest) < len(p.lit) || rest[:len(p.lit)] != p.lit {
				return false
			}
			rest = rest[len(p.lit):]
		} else {
			end := strings.IndexByte(rest, '/')
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return false
			}
			vals[n] = rest[:end]
			n++
			rest = rest[end:]
		}
		if i == len(rt.parts)-1 {
			return rest == ""
		}
		if rest == "" || rest[0] != '/' {
			return false
		}
		rest = rest[1:]
	}
	return false // no part: newFastRouter always makes one
}

// escapedPath is u.EscapedPath(), without scanning the path through
// net/url when it has no raw form and no byte that escaping changes (the
// common case).
func escapedPath(u *url.URL) string {
	if u.RawPath == "" {
		p := u.Path
		for i := 0; i < len(p); i++ {
			if !pathSafe[p[i]] {
				return u.EscapedPath()
			}
		}
		if p != "*" {
			return p
		}
	}
	return u.EscapedPath()
}

// pathSafe says which bytes URL.EscapedPath leaves as they are in a path
// (asked of net/url itself, once).
var pathSafe = func() (t [256]bool) {
	for c := range 256 {
		s := string([]byte{byte(c)})
		t[c] = (&url.URL{Path: "/" + s}).EscapedPath() == "/"+s
	}
	return t
}()
