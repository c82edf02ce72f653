package mockfla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// mount is one document served at its base path. Everything here is built
// at construction and read-only afterwards.
type mount struct {
	name    string
	base    string // "" for the root, else "/a/b" without trailing slash
	profile string // the rules' name, or ProfileNone
	rules   *Rules // nil for ProfileNone
	doc     *openapi3.T
	router  routers.Router
	fast    *fastRouter // nil: always router
	ops     map[*openapi3.Operation]*operation
	count   int // operations
	// unrequired is a token scheme the document declares but no security
	// requirement names ("" if none); with Config.RequireToken every
	// operation without a requirement requires it.
	unrequired   string
	requireToken bool
	// notFound is what the document declares for a 404 (documentNotFound):
	// the model of a call that matches none of its operations; nil: Belgif.
	notFound *openapi3.Response
}

// operation is what mockfla precomputes about one operation.
type operation struct {
	id       string // operationId, may be empty
	method   string
	path     string   // template, e.g. /employers/{employerId}/...
	segments []string // template split on "/", without the leading empty one
	mount    *mount
	// routeDetail is the journal's detail of the route layer.
	routeDetail string
	// validation is a copy of the operation without security requirements:
	// mockfla checks security itself, before validation, so that a token
	// problem is a 401 and not a 400 (kin-openapi #416, #479), and so that no
	// AuthenticationFunc can ever fail open (GHSA-r277-6w6q-xmqw).
	validation *openapi3.Operation
	security   security
	success    success
	hasBody    bool
	produces   []string   // media types of the success responses (406)
	list       bool       // GET whose success body has an "items" array
	listProps  []string   // top-level properties of that body
	rule       *OpRule    // the profile's rule, nil if none
	generic    *genericOp // the generic profile, for operations without rule
	idents     map[string]string
}

// success is the response the store answers with.
type success struct {
	status  int
	created int    // PUT: the status of a creation, when the spec has 201 besides 200
	static  bool   // the path has no parameter: GET answers the example when nothing is stored
	ctype   string // "" means no body
	example []byte // pre-encoded example, if the spec has one
}

type security struct {
	optional     bool          // an empty requirement ({}) is listed
	requirements []requirement // alternatives; any one suffices
	union        []string      // all scopes, when every requirement has at most one
	simple       bool          // every requirement is one bearer scheme with at most one scope
}

type requirement []schemeUse // all must hold

type schemeUse struct {
	name   string
	kind   string // "bearer", "apiKey", "basic"
	in     string // apiKey: header, query or cookie
	key    string // apiKey: parameter name
	scopes []string
}

func loadSpec(ctx context.Context, i int, sp Spec, known map[string]*Rules, requireToken bool) (*mount, error) {
	name := sp.Name
	if name == "" {
		name = "spec " + strconv.Itoa(i)
	}
	if len(sp.Data) == 0 {
		return nil, fmt.Errorf("mockfla: %s: empty document", name)
	}
	doc, err := parseDoc(sp.Data)
	if err != nil {
		if fm := frontMatterError(sp.Data); fm != nil {
			err = fm
		}
		return nil, fmt.Errorf("mockfla: %s: %w", name, err)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("mockfla: %s: invalid document: %w", name, err)
	}
	base := sp.BasePath
	if base == "" {
		base = serverPath(doc)
		if _, err := cleanBase(base); err != nil || placeholderRE.MatchString(base) {
			return nil, fmt.Errorf("mockfla: %s: %w", name, basePathError(name, base))
		}
	}
	if base, err = cleanBase(base); err != nil {
		return nil, fmt.Errorf("mockfla: %s: %w", name, err)
	}
	// Server URLs are made relative, so the mock answers on any host and port.
	doc.Servers = nil
	if base != "" {
		doc.Servers = openapi3.Servers{{URL: base}}
	}
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("mockfla: %s: router: %w", name, err)
	}
	profile, rules, err := profileOf(sp, doc, known)
	if err != nil {
		return nil, fmt.Errorf("mockfla: %s: %w", name, err)
	}
	m := &mount{name: name, base: base, profile: profile, rules: rules, doc: doc, router: router, fast: newFastRouter(doc), ops: map[*openapi3.Operation]*operation{}}
	m.unrequired = unrequiredScheme(doc)
	m.requireToken = requireToken && m.unrequired != ""
	var errs []error
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o, err := newOperation(m, path, method, item, op)
			if err != nil {
				errs = append(errs, fmt.Errorf("mockfla: %s: %s %s: %w", name, method, path, err))
				continue
			}
			m.ops[op] = o
			m.count++
		}
	}
	m.notFound = documentNotFound(m)
	return m, errors.Join(errs...)
}

// parseDoc reads OpenAPI 3.x, or Swagger 2.0 converted to OpenAPI 3.0.
func parseDoc(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err3 := loader.LoadFromData(data)
	if err3 == nil && doc.OpenAPI != "" {
		return doc, nil
	}
	var doc2 openapi2.T
	if err := openapi2.UnmarshalFromData(data, &doc2); err == nil && strings.HasPrefix(doc2.Swagger, "2") {
		dropUndefinedSecurity(&doc2)
		doc, err := openapi2conv.ToV3(&doc2)
		if err != nil {
			return nil, fmt.Errorf("convert Swagger 2.0: %w", err)
		}
		if err := loader.ResolveRefsIn(doc, nil); err != nil {
			return nil, fmt.Errorf("converted Swagger 2.0: %w", err)
		}
		return doc, nil
	}
	if err3 != nil {
		return nil, err3
	}
	return nil, errors.New("neither an OpenAPI 3 (openapi field) nor a Swagger 2.0 (swagger field) document")
}

// serverPath returns the path of the first server URL, its variables
// replaced by their defaults.
func serverPath(doc *openapi3.T) string {
	if len(doc.Servers) == 0 || doc.Servers[0] == nil {
		return ""
	}
	s := doc.Servers[0]
	raw := s.URL
	for name, v := range s.Variables {
		if v != nil {
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return rawServerPath(raw)
	}
	return u.Path
}

func cleanBase(base string) (string, error) {
	if base == "" || base == "/" {
		return "", nil
	}
	if !strings.HasPrefix(base, "/") {
		return "", fmt.Errorf("base path %q does not start with /", base)
	}
	if strings.ContainsAny(base, "{}?#") || strings.Contains(base, "//") {
		return "", fmt.Errorf("base path %q has a {, }, ?, # or an empty segment", base)
	}
	return strings.TrimRight(base, "/"), nil
}

func newOperation(m *mount, path, method string, item *openapi3.PathItem, op *openapi3.Operation) (*operation, error) {
	o := &operation{
		id:       op.OperationID,
		method:   method,
		path:     path,
		segments: strings.Split(strings.TrimPrefix(path, "/"), "/"),
		mount:    m,
		hasBody:  op.RequestBody != nil,
		idents:   map[string]string{},
	}
	o.routeDetail = m.name + " " + method + " " + path
	v := *op
	v.Security = &openapi3.SecurityRequirements{}
	o.validation = &v

	reqs := m.doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if m.requireToken && len(reqs) == 0 {
		reqs = openapi3.SecurityRequirements{{m.unrequired: []string{}}}
	}
	sec, err := newSecurity(m.doc, reqs)
	if err != nil {
		return nil, err
	}
	o.security = sec

	o.success = pickSuccess(method, op)
	o.produces = producedMedia(op)
	o.success.static = !strings.Contains(path, "{")
	if method == http.MethodGet {
		o.list, o.listProps = listShape(op)
	}
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, p := range params {
		if p.Value == nil {
			continue
		}
		if kind := identifierKind(p.Value.Name, p.Value.Schema); kind != "" {
			o.idents[p.Value.In+"\x00"+p.Value.Name] = kind
		}
	}
	if m.rules != nil {
		if r, ok := m.rules.Operations[op.OperationID]; ok && op.OperationID != "" {
			o.rule = &r
		}
	}
	return o, nil
}

// profileOf returns the rules profile of a document: the Spec's, else the
// document's x-flamock-profile extension, else none.
func profileOf(sp Spec, doc *openapi3.T, known map[string]*Rules) (string, *Rules, error) {
	p := sp.Profile
	if p == "" {
		if v, ok := doc.Extensions["x-flamock-profile"].(string); ok {
			p = v
		}
	}
	if p == "" || p == ProfileNone {
		return ProfileNone, nil, nil
	}
	if r := known[p]; r != nil {
		return p, r, nil
	}
	names := []string{ProfileNone}
	for n := range known {
		names = append(names, n)
	}
	slices.Sort(names)
	return "", nil, &UnknownRulesError{Name: p, Known: names}
}

func newSecurity(doc *openapi3.T, reqs openapi3.SecurityRequirements) (security, error) {
	s := security{simple: true}
	var schemes openapi3.SecuritySchemes
	if doc.Components != nil {
		schemes = doc.Components.SecuritySchemes
	}
	for _, req := range reqs {
		if len(req) == 0 {
			s.optional = true
			continue
		}
		names := make([]string, 0, len(req))
		for name := range req {
			names = append(names, name)
		}
		slices.Sort(names)
		var r requirement
		for _, name := range names {
			ref := schemes[name]
			if ref == nil || ref.Value == nil {
				return s, fmt.Errorf("security scheme %q is not defined", name)
			}
			ss := ref.Value
			u := schemeUse{name: name, scopes: req[name]}
			switch {
			case ss.Type == "oauth2" || ss.Type == "openIdConnect" || (ss.Type == "http" && strings.EqualFold(ss.Scheme, "bearer")):
				u.kind = "bearer"
			case ss.Type == "http" && strings.EqualFold(ss.Scheme, "basic"):
				u.kind = "basic"
			case ss.Type == "apiKey":
				u.kind, u.in, u.key = "apiKey", ss.In, ss.Name
			default:
				return s, fmt.Errorf("security scheme %q: type %q is not supported", name, ss.Type)
			}
			r = append(r, u)
		}
		if len(r) != 1 || r[0].kind != "bearer" || len(r[0].scopes) > 1 {
			s.simple = false
		}
		for _, u := range r {
			for _, sc := range u.scopes {
				if !slices.Contains(s.union, sc) {
					s.union = append(s.union, sc)
				}
			}
		}
		s.requirements = append(s.requirements, r)
	}
	return s, nil
}

func pickSuccess(method string, op *openapi3.Operation) success {
	order := map[string][]int{
		http.MethodGet:    {200, 206},
		http.MethodPut:    {200, 201, 204},
		http.MethodDelete: {204, 200, 202},
		http.MethodPost:   {201, 200, 202, 204},
	}[method]
	var statuses []int
	if op.Responses != nil {
		for k := range op.Responses.Map() {
			if n, err := strconv.Atoi(k); err == nil && n >= 200 && n < 300 {
				statuses = append(statuses, n)
			}
		}
	}
	slices.Sort(statuses)
	status := 0
	for _, want := range order {
		if slices.Contains(statuses, want) {
			status = want
			break
		}
	}
	if status == 0 && len(statuses) > 0 {
		status = statuses[0]
	}
	if status == 0 {
		status = map[string]int{http.MethodDelete: 204, http.MethodPost: 201}[method]
		if status == 0 {
			status = 200
		}
		return success{status: status}
	}
	s := success{status: status}
	if method == http.MethodPut && status == 200 && slices.Contains(statuses, 201) {
		s.created = 201
	}
	rr := op.Responses.Status(status)
	if rr == nil || rr.Value == nil || len(rr.Value.Content) == 0 || status == 204 {
		return s
	}
	ct := "application/json"
	mt := rr.Value.Content.Get(ct)
	if mt == nil {
		keys := make([]string, 0, len(rr.Value.Content))
		for k := range rr.Value.Content {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		ct, mt = keys[0], rr.Value.Content[keys[0]]
	}
	s.ctype = ct
	var ex any
	if mt.Example != nil {
		ex = mt.Example
	} else {
		keys := make([]string, 0, len(mt.Examples))
		for k := range mt.Examples {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if e := mt.Examples[k]; e != nil && e.Value != nil && e.Value.Value != nil {
				ex = e.Value.Value
				break
			}
		}
	}
	if ex != nil {
		if b, err := json.Marshal(ex); err == nil {
			s.example = b
		}
	}
	return s
}

// listShape reports whether a GET answers a Belgif collection: an object
// whose "items" property is an array. It returns the top-level properties.
func listShape(op *openapi3.Operation) (bool, []string) {
	rr := op.Responses.Status(200)
	if rr == nil || rr.Value == nil {
		return false, nil
	}
	mt := rr.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return false, nil
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(mt.Schema.Value, props, 0)
	items := props["items"]
	if items == nil || items.Value == nil || !items.Value.Type.Is("array") {
		return false, nil
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	return true, names
}

func collect(s *openapi3.Schema, into map[string]*openapi3.SchemaRef, depth int) {
	if s == nil || depth > 8 {
		return
	}
	for k, v := range s.Properties {
		into[k] = v
	}
	for _, sub := range s.AllOf {
		if sub != nil {
			collect(sub.Value, into, depth+1)
		}
	}
}

// key is the store key of a call: the base path and the path template with
// each parameter replaced by its canonical value (an enterprise number is
// stored in its 10-digit form whatever form the client sent).
func (o *operation) key(params map[string]string) string {
	var b strings.Builder
	b.WriteString(o.mount.base)
	for _, seg := range o.segments {
		b.WriteByte('/')
		if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			b.WriteString(params[seg[1:len(seg)-1]])
			continue
		}
		b.WriteString(seg)
	}
	return b.String()
}
