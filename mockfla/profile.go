package mockfla

import (
	"github.com/flamock/flamock/internal/strictjson"

	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flamock/flamock/store"
)

// Rules is the hook through which a profile adds to its documents what an
// OpenAPI document cannot say: who may act on which resource (the tenant
// layer), business rules beyond the schema, and computed answers. The
// engine knows no profile; a profile package (for example profiles/fla)
// builds a Rules value and passes it in Config.Rules. A document selects
// the rules by name (Spec.Profile, else its x-flamock-profile extension).
type Rules struct {
	// Name names the profile: Spec.Profile and x-flamock-profile select the
	// rules by it, and the health report shows it. Required.
	Name string
	// Operations are the rules of single operations, keyed by operationId.
	// Operations of the document without an entry get none.
	Operations map[string]OpRule
	// Admin, if set, adds the profile's endpoints to the admin API: it is
	// called once, while the admin mux is built, and may register patterns
	// under AdminPrefix that the engine does not use (for example
	// "GET /__admin/mandates"). Handlers answer with WriteJSON and
	// AdminBadRequest and read bodies with DecodeAdminJSON.
	Admin func(mux *http.ServeMux)
}

// OpRule is what a profile adds to one operation. Every field is optional.
type OpRule struct {
	// Kind names the tenant rule in the journal (the tenant layer's detail
	// when it passes), e.g. "employer".
	Kind string
	// Tenant decides, after authentication and before the body is read,
	// whether the caller may act on the resource: nil lets the call through,
	// a Refusal answers 403 missingPermission naming the rule.
	Tenant func(c Call) *Refusal
	// Check returns the business-rule issues of a schema-valid request
	// (400 badRequest with these issues). It runs for every call of the
	// operation, with or without a body (Call.Body is then nil).
	Check func(c Call) []Issue
	// Handle replaces the store's generic behaviour: the answer it returns
	// is the answer of the call (a computed resource, for example).
	Handle func(c Call) Answer
}

// UnknownRulesError is a document that selects rules (Spec.Profile or its
// x-flamock-profile extension) that the server was not given.
type UnknownRulesError struct {
	Name  string   // the rules the document names
	Known []string // the names it could have named, sorted (ProfileNone among them)
}

func (e *UnknownRulesError) Error() string {
	quoted := make([]string, len(e.Known))
	for i, n := range e.Known {
		quoted[i] = strconv.Quote(n)
	}
	return fmt.Sprintf("unknown rules profile %q (want one of %s)", e.Name, strings.Join(quoted, ", "))
}

// Refusal is a tenant rule's 403: Rule names the rule, Detail says why.
type Refusal struct {
	Rule   string
	Detail string
}

// Answer is the response of an OpRule's Handle; build it with Call.JSON or
// Call.NotFound.
type Answer struct{ resp *response }

// Call is what a profile's rule sees of one API call on its way through the
// layers. It is valid only during the rule's own invocation.
type Call struct {
	s *Server
	c *call
}

// Request returns the HTTP request.
func (c Call) Request() *http.Request { return c.c.r }

// Param returns a path parameter as the client sent it ("" if absent).
func (c Call) Param(name string) string { return c.c.params[name] }

// Canonical returns a path parameter with identifiers in canonical form
// (an enterprise number with its leading 0, for example). It is known from
// the identifiers layer on (Check and Handle); Tenant sees Param only.
func (c Call) Canonical(name string) string { return c.c.canon[name] }

// Caller returns the identity behind the access token (zero if the
// operation has no bearer security).
func (c Call) Caller() Caller { return c.c.caller }

// Body returns the decoded, schema-valid request body; nil without one.
func (c Call) Body() any { return c.c.value }

// Key returns the store key of the call's resource: its path, identifiers
// canonical.
func (c Call) Key() string { return c.c.op.key(c.c.canon) }

// BasePath returns the base path of the call's document ("" for the root).
func (c Call) BasePath() string { return c.c.op.mount.base }

// Now returns the server's clock (Config.Now).
func (c Call) Now() time.Time { return c.s.cfg.Now() }

// Stored returns the stored body at key. When the store cannot be read
// it reports nothing stored, and the call is answered 503 whatever the
// handler answers.
func (c Call) Stored(key string) ([]byte, bool) { return c.s.store.get(c.c, key) }

// Children returns the keys stored directly under parent, in order (none,
// and the call answered 503, when the store cannot be read).
func (c Call) Children(parent string) []string { return c.s.store.children(c.c, parent) }

// Unavailable tells the engine that the rule could not read state it needs
// (err matches store.ErrUnavailable, say): the call is answered 503 with
// Retry-After, whatever the rule decided.
func (c Call) Unavailable(err error) { c.c.readFailed(err) }

// Layer adds a layer verdict to the call's journal event.
func (c Call) Layer(name string, ok bool, detail string) { c.c.layer(name, ok, detail) }

// JSON answers status with v encoded as application/json.
func (c Call) JSON(status int, v any) Answer {
	b, err := json.Marshal(v)
	if err != nil {
		return Answer{problemResponse(problemFor(http.StatusInternalServerError, "mockfla: encode the answer: "+err.Error()))}
	}
	return Answer{&response{status: status, ctype: "application/json", body: b}}
}

// NotFound answers a Belgif 404 resourceNotFound problem with detail (and,
// when the operation's path ends with a path parameter, an issue naming it).
func (c Call) NotFound(detail string) Answer {
	return Answer{notFound(c.c, "", detail)}
}

// Page returns one page of all, as the request's page and pageSize query
// parameters ask (Config.PageSize by default), in a Belgif collection body:
// items, page, pageSize, totalItems and the self, first, prev and next
// links. n is the number of items on the page.
func Page[T any](c Call, all []T) (body map[string]any, n int) {
	page, size := pageParams(c.c.r, c.s.cfg.PageSize)
	items := pageOf(all, page, size)
	body = map[string]any{"items": items, "page": page, "pageSize": size, "totalItems": len(all)}
	addLinks(body, c.c.r.URL.Path, page, size, len(all), nil)
	return body, len(items)
}

// InvalidInput is a Belgif invalidInput issue, as a business rule reports it.
func InvalidInput(in, name string, value any, detail string) Issue {
	return Issue{Type: IssueInvalidInput, Title: titleInvalid, Detail: detail, In: in, Name: name, Value: value}
}

// WithInputs returns the issue with the inputs it involves, for an issue
// about several inputs (a period whose end precedes its start, a value
// that repeats another): Belgif lists them in the issue's inputs member.
func (i Issue) WithInputs(inputs ...Input) Issue {
	i.Inputs = inputs
	return i
}

// rulesByName indexes Config.Rules and checks them.
func rulesByName(list []*Rules) (map[string]*Rules, error) {
	out := map[string]*Rules{}
	var errs []error
	for i, r := range list {
		switch {
		case r == nil:
			errs = append(errs, fmt.Errorf("mockfla: Rules[%d] is nil", i))
		case r.Name == "" || r.Name == ProfileNone:
			errs = append(errs, fmt.Errorf("mockfla: Rules[%d]: name %q is reserved", i, r.Name))
		case out[r.Name] != nil:
			errs = append(errs, fmt.Errorf("mockfla: Rules[%d]: two rule sets named %q", i, r.Name))
		default:
			out[r.Name] = r
		}
	}
	return out, errors.Join(errs...)
}

// tenant applies the operation's tenant rule, if any (403 missingPermission).
func (s *Server) tenant(c *call) *response {
	rule := c.op.rule
	if rule == nil || rule.Tenant == nil {
		return nil
	}
	ref := rule.Tenant(Call{s, c})
	if c.storeErr != nil { // the rule could not read what it needed (Call.Unavailable)
		return s.storeFailed(c, c.storeErr)
	}
	if ref != nil {
		c.layer("tenant", false, ref.Rule+": "+ref.Detail)
		return missingPermission(ref.Rule, ref.Detail)
	}
	c.layer("tenant", true, rule.Kind)
	return nil
}

// business applies the operation's business rules (400 badRequest,
// invalidInput).
func (s *Server) business(c *call) *response {
	rule := c.op.rule
	if rule == nil {
		return nil
	}
	if rule.Check != nil {
		if issues := rule.Check(Call{s, c}); len(issues) > 0 {
			c.layer("business", false, fmt.Sprintf("%d rule(s) broken", len(issues)))
			return badRequest(issues)
		}
	}
	c.layer("business", true, "")
	return nil
}

// WriteJSON writes v as a JSON answer with status, for admin handlers.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// AdminBadRequest answers a Belgif 400 with one invalidInput issue about
// the body member name, for admin handlers.
func AdminBadRequest(w http.ResponseWriter, name, value, detail string) {
	adminBadRequest(w, name, value, detail)
}

// AdminUnavailable answers 503 with Retry-After (err's store hint, else
// 1 s) for an admin handler whose store cannot be reached; the problem's
// detail is detail followed by err.
func AdminUnavailable(w http.ResponseWriter, detail string, err error, now time.Time) {
	sec := storeRetrySec
	if d, ok := store.RetryAfter(err); ok {
		sec = max(1, int(math.Ceil(d.Seconds())))
	}
	writeResponse(w, retryLater(problemFor(http.StatusServiceUnavailable, detail+err.Error()), sec, now))
}

// DecodeAdminJSON reads one JSON value from an admin request body (at most
// 1 MiB) into v. Unknown keys, trailing data and malformed JSON are refused
// with a 400 that names the problem (and, for an unknown key, the key);
// it then reports false and the handler must return.
func DecodeAdminJSON(w http.ResponseWriter, r *http.Request, v any, want string) bool {
	err := strictjson.ReadRequest(r, v)
	if err == nil {
		return true
	}
	if uk := (*strictjson.UnknownKeyError)(nil); errors.As(err, &uk) {
		writeIssue(w, Issue{Type: IssueUnknownInput, Title: titleUnknown, In: "body", Name: uk.Key, Detail: "unknown key " + uk.Key + "; want " + want})
		return false
	}
	adminBadRequest(w, "", "", "want "+want+": "+err.Error())
	return false
}

// AdminServes reports whether the admin API (the engine's endpoints and
// the profiles' Rules.Admin) serves method and path, so that a caller
// mounting handlers of its own beside it does not hide one.
func (s *Server) AdminServes(method, path string) bool {
	_, pattern := s.adminRoutes.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}})
	return pattern != "" && pattern != AdminPrefix
}

// Scopes returns every OAuth scope the mounted documents' bearer security
// requirements name, sorted: what a client needs to call every operation.
func (s *Server) Scopes() []string {
	var out []string
	for _, m := range s.mounts {
		for _, op := range m.ops {
			for _, req := range op.security.requirements {
				for _, u := range req {
					if u.kind == "bearer" {
						out = append(out, u.scopes...)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
