package mockfla

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/redact"
	"github.com/flamock/flamock/store"
)

// AdminPrefix is the path prefix of the admin API.
const AdminPrefix = "/__admin/"

// Server is the mock API. It is an http.Handler, safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	mounts []*mount // longest base path first
	store  resources
	admin  http.Handler
	// adminRoutes is the admin mux inside admin, for AdminServes.
	adminRoutes *http.ServeMux
	faults      store.Faults

	reqOpts   openapi3filter.Options
	paramOpts openapi3filter.Options // reqOpts without the body, which validate checks itself
	respOpts  openapi3filter.Options

	bodySchemas schemaCache // compiled request body schemas (bodyschema.go)
	params      paramCache  // compiled path parameter checks (pathparams.go)

	randMu sync.Mutex // guards cfg.Rand when it is not crypto/rand

	detailMu sync.RWMutex
	details  map[[2]string]string // see authDetail

	done      chan struct{} // closed by Close: ends journal streams
	closeOnce sync.Once

	gen genericState // the generic profile's ids and deleted items

	panicHook func(*http.Request) // tests only
}

// New builds a Server: it loads and checks every document, builds the
// routers, opens the state file, and reports every problem at once.
func New(cfg Config) (*Server, error) {
	errs := []error{cfg.check()}
	specs := cfg.Specs
	if len(specs) == 0 {
		errs = append(errs, errors.New("mockfla: no spec to serve (Config.Specs is empty)"))
	}
	rules, err := rulesByName(cfg.Rules)
	errs = append(errs, err)
	s := &Server{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	ctx := context.Background()
	bases := map[string]string{}
	for i, sp := range specs {
		m, err := loadSpec(ctx, i, sp, rules, cfg.RequireToken)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := bases[m.base]; dup {
			errs = append(errs, fmt.Errorf("mockfla: %s and %s are both mounted at %q", other, m.name, m.base+"/"))
			continue
		}
		bases[m.base] = m.name
		s.mounts = append(s.mounts, m)
	}
	slices.SortStableFunc(s.mounts, func(a, b *mount) int { return len(b.base) - len(a.base) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	st, err := openResources(cfg)
	if err != nil {
		return nil, err
	}
	s.store = st
	s.faults = cfg.Faults
	if s.faults == nil {
		s.faults = store.NewFaults()
	}
	s.reqOpts = openapi3filter.Options{
		MultiError:         true,
		KeepValidatedValue: true,
		// Security is checked by mockfla before validation; the validation
		// copy of each operation has no requirement, and this function makes
		// sure nothing can ever pass through kin-openapi's authentication.
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error {
			return errors.New("mockfla: security is checked before validation")
		},
	}
	s.paramOpts = s.reqOpts
	s.paramOpts.ExcludeRequestBody = true
	s.respOpts = openapi3filter.Options{MultiError: true}
	s.admin = s.traced(s.adminMux())
	s.prepareGeneric()
	s.startWarnings()
	return s, nil
}

// Journal returns the journal the server writes.
func (s *Server) Journal() store.Journal { return s.cfg.Journal }

// Close ends the journal streams, then syncs and closes the state file.
// Later writes are refused (503); the server should not be used after.
func (s *Server) Close() error {
	s.endStreams()
	return s.store.Close()
}

func (s *Server) endStreams() { s.closeOnce.Do(func() { close(s.done) }) }

func (s *Server) streamsDone() <-chan struct{} { return s.done }

// ResetState forgets every stored resource (durably, with a state file).
func (s *Server) ResetState() error {
	s.gen.reset()
	return s.store.r.Reset(context.Background())
}

// AdminHandler serves the admin API (paths start with AdminPrefix).
func (s *Server) AdminHandler() http.Handler { return s.admin }

// call is one API request on its way through the layers.
type call struct {
	r       *http.Request
	start   time.Time
	mount   *mount
	op      *operation
	route   *routers.Route
	params  map[string]string // path parameters as sent
	canon   map[string]string // path parameters, identifiers canonical
	caller  Caller
	body    []byte
	form    bodyForm // what validation learnt about body
	value   any      // decoded, validated body
	decoded any      // a JSON body as strictJSON decoded it
	text    string   // body as parseJSON read it (decoded's strings are slices of it), or ""
	// bodySchema is the compiled schema that accepted value (nil: kin-openapi did).
	bodySchema *cschema
	ev         journal.API
	// storeErr is the first store read that failed (see resources).
	storeErr error
}

// bodyForm is what validation learnt about a call's body, so the store
// can keep it compact without scanning it again.
type bodyForm uint8

const (
	bodyRaw     bodyForm = iota // nothing known: compactCopy
	bodyValid                   // one valid JSON value and only whitespace around it
	bodyCompact                 // compact JSON in a slice of its own, no spare capacity
)

func (c *call) layer(name string, ok bool, detail string) {
	v := "pass"
	if !ok {
		v = "fail"
	}
	c.ev.Layers = append(c.ev.Layers, journal.Layer{Name: name, Verdict: v, Detail: detail})
}

// ServeHTTP answers one request: admin API, or route → auth → scope →
// tenant → schema → identifiers → business rules → store (see the package
// documentation).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.NoAdmin && strings.HasPrefix(r.URL.Path, AdminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	s.traceHeaders(w.Header(), r)
	c := &call{r: r, start: time.Now()}
	// Room for the layers of an ordinary call (route, auth, scope, tenant,
	// schema, identifiers, business, store) without growing.
	c.ev = journal.API{RemoteAddr: r.RemoteAddr, Method: r.Method, Path: r.URL.Path, Layers: make([]journal.Layer, 0, 8)}
	c.ev.Query, c.ev.TokenInQuery = redactQuery(r.URL.RawQuery)
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("mockfla: panic while serving a request; answering 500",
			"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		c.layer("panic", false, fmt.Sprint(v))
		resp := problemResponse(problemFor(http.StatusInternalServerError, "The mock failed on this request; this is a flamock bug, please report it"))
		s.finish(w, c, resp)
	}()
	resp := s.handle(w, c)
	if resp == nil { // connection dropped
		return
	}
	resp = s.errorModel(c, s.fitProblem(c, resp))
	resp = s.checkResponse(c, resp)
	s.finish(w, c, resp)
}

// finish journals the call and writes the response.
func (s *Server) finish(w http.ResponseWriter, c *call, resp *response) {
	c.ev.Status = resp.status
	c.ev.Verdict = journal.VerdictOK
	if resp.fault != "" {
		c.ev.Verdict, c.ev.Fault = journal.VerdictInjected, resp.fault
	} else if resp.status >= 400 {
		c.ev.Verdict = journal.VerdictRejected
	}
	if p := resp.problem; p != nil {
		c.ev.ProblemType = p.Type
		for _, is := range p.Issues {
			c.ev.Issues = append(c.ev.Issues, is.String())
		}
	}
	c.ev.DurationMS = float64(time.Since(c.start).Microseconds()) / 1000
	c.ev.SetBodies(c.body, resp.body) // redacted when read: neither slice changes after this
	ev := c.ev
	s.cfg.Journal.Append(journal.Event{Kind: journal.KindAPI, Time: s.cfg.Now(), API: &ev})
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.ctype != "" {
		h["Content-Type"] = []string{resp.ctype} // h.Set, the name canonical already
	}
	if resp.body != nil || resp.ctype != "" {
		h["Content-Length"] = []string{strconv.Itoa(len(resp.body))}
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		if _, err := w.Write(resp.body); err != nil {
			s.log.Debug("mockfla: write response", "err", err)
		}
	}
}

// handle runs the layers; the first that refuses answers.
func (s *Server) handle(w http.ResponseWriter, c *call) *response {
	r := c.r
	if token, ok := bearerToken(canonGet(r.Header, "Authorization")); ok {
		c.ev.Fingerprint = bearer.Fingerprint(token) // names the client of a call a fault answers too
	}
	if resp, drop := s.applyFault(r.Context(), c, ""); drop {
		s.dropConnection(w, c)
		return nil
	} else if resp != nil {
		return resp
	}
	if resp := s.route(c); resp != nil {
		return resp
	}
	if s.panicHook != nil {
		s.panicHook(r)
	}
	if resp := s.authenticate(c); resp != nil {
		return resp
	}
	if id := c.caller.ClientID; id != "" { // faults scoped to the client
		if resp, drop := s.applyFault(r.Context(), c, id); drop {
			s.dropConnection(w, c)
			return nil
		} else if resp != nil {
			return resp
		}
	}
	if resp := s.tenant(c); resp != nil {
		return resp
	}
	if resp := s.readBody(c); resp != nil {
		return resp
	}
	if resp := s.negotiate(c); resp != nil {
		return resp
	}
	if resp := s.validate(c); resp != nil {
		return resp
	}
	if resp := s.identifiers(c); resp != nil {
		return resp
	}
	if resp := s.business(c); resp != nil {
		return resp
	}
	return s.serve(c)
}

// route finds the mount and the operation (404 resourceNotFound, 405).
func (s *Server) route(c *call) *response {
	path := c.r.URL.Path
	for _, m := range s.mounts {
		if m.base != "" && path != m.base && !underBase(path, m.base) {
			continue
		}
		c.mount = m
		var route *routers.Route
		var params map[string]string
		var err error
		if rt, p, ok := m.fast.match(c.r); ok {
			route, params = &rt, p
		} else {
			route, params, err = m.router.FindRoute(c.r)
		}
		switch {
		case err == nil:
		case errors.Is(err, routers.ErrMethodNotAllowed):
			allow := s.allowed(m, c.r)
			c.layer("route", false, "method "+c.r.Method+" not allowed; allowed: "+allow)
			p := problemFor(http.StatusMethodNotAllowed, "Method "+c.r.Method+" is not allowed on "+path+"; allowed: "+allow)
			return problemResponse(p).setHeader("Allow", allow)
		default:
			c.layer("route", false, "no operation at this path")
			return notFound(nil, path, "")
		}
		op := m.ops[route.Operation]
		if op == nil { // cannot happen: every operation was indexed
			c.layer("route", false, "operation not indexed")
			return notFound(nil, path, "")
		}
		c.op, c.params = op, params
		c.ev.Operation = op.id
		route.Operation = op.validation // route is a copy of our own (fastRouter and FindRoute both return one)
		c.route = route
		c.layer("route", true, op.routeDetail)
		return nil
	}
	c.layer("route", false, "no document mounted at this path")
	return notFound(nil, path, "")
}

// underBase reports whether path starts with base+"/", without building
// that string on every request.
func underBase(path, base string) bool {
	return len(path) > len(base) && path[len(base)] == '/' && path[:len(base)] == base
}

// allowed lists the methods the path answers, for a 405's Allow header.
func (s *Server) allowed(m *mount, r *http.Request) string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions} {
		probe := r.Clone(r.Context())
		probe.Method = method
		probe.Body = http.NoBody
		if _, _, err := m.router.FindRoute(probe); err == nil {
			out = append(out, method)
		}
	}
	return strings.Join(out, ", ")
}

// readBody reads the body within the size limit (413 payloadTooLarge).
func (s *Server) readBody(c *call) *response {
	r := c.r
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return s.tooLarge(c)
	}
	b, err := readAllSized(r.Body, r.ContentLength, s.cfg.MaxBodyBytes+1)
	if err != nil {
		c.layer("body", false, err.Error())
		return badRequest([]Issue{{Type: IssueSchemaViolation, Title: "Input isn't valid with respect to schema", Detail: "cannot read the request body: " + err.Error(), In: "body"}})
	}
	if int64(len(b)) > s.cfg.MaxBodyBytes {
		return s.tooLarge(c)
	}
	c.body = b
	return nil
}

// readAllSized is io.ReadAll(io.LimitReader(body, limit)), reading into a
// slice of the announced length first (0 < size < limit), so that a body
// that is as long as announced is read with one allocation and no spare
// capacity.
func readAllSized(body io.Reader, size, limit int64) ([]byte, error) {
	if size <= 0 || size >= limit {
		return io.ReadAll(io.LimitReader(body, limit))
	}
	b := make([]byte, size)
	n := 0
	for n < len(b) {
		m, err := body.Read(b[n:])
		n += m
		if err == io.EOF {
			return b[:n], nil
		}
		if err != nil {
			return b[:n], err
		}
	}
	// As long as announced: anything more?
	var one [1]byte
	for {
		m, err := body.Read(one[:])
		if m > 0 {
			rest, err := io.ReadAll(io.LimitReader(body, limit-size-1))
			b = append(append(b, one[0]), rest...)
			return b, err
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (s *Server) tooLarge(c *call) *response {
	detail := fmt.Sprintf("The request body is larger than %d bytes", s.cfg.MaxBodyBytes)
	c.layer("body", false, detail)
	p := problemFor(http.StatusRequestEntityTooLarge, detail)
	p.Limit = s.cfg.MaxBodyBytes
	return problemResponse(p)
}

// redactQuery hides the values of credentials in a raw query (package
// redact: access_token, client_secret, client_assertion...), so that the
// journal never holds them, and says whether there was an access_token
// parameter (RFC 6750 §2.3).
func redactQuery(raw string) (string, bool) {
	shown, any := redact.Query(raw)
	if !any && !strings.Contains(raw, "access") && !strings.Contains(raw, "%") {
		return raw, false
	}
	token := false
	for _, p := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(strings.TrimSpace(n), "access_token") {
			token = true
		}
	}
	return shown, token
}
