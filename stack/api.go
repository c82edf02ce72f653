package stack

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/mockfla"
)

// API is a profile's API model: what flamock conform, verify, init and
// postman read of the API a profile serves, so that none of them names an
// API. A profile hands it out (Profile.API); NewAPI builds the part every
// profile shares from the documents.
type API struct {
	// Profile is the profile's name.
	Profile string
	// Documents are the profile's documents, loaded once as the engine
	// reads them.
	Documents []mockfla.Document
	// Operations are every operation of the documents: document order,
	// then path, then method.
	Operations []Operation
	// Qualities are the scopes by quality (the token endpoint's
	// QualityScopes); nil when the profile knows none (generic).
	Qualities map[string][]string
	// Scopes are every scope the documents' security requirements name,
	// sorted.
	Scopes []string
	// Demo is the profile's demo (serve without a config), nil: none.
	Demo *Demo
	// Conformance is what flamock conform needs beyond the operations.
	Conformance Conformance
}

// Operation is one operation of a document, with a valid and an invalid
// request.
type Operation struct {
	// ID is the operationId, or "METHOD /path" when the document gives none.
	ID       string
	Document string // the document's name
	BasePath string // the document's base path ("" for the root)
	Method   string // upper case
	Path     string // the path template, e.g. /employers/{employerId}
	// Secured says a token is required; Scopes are those of which the token
	// must carry one (empty: any valid token).
	Secured bool
	Scopes  []string
	// Success is the operation's success status (its lowest 2xx), 0 when
	// it declares none.
	Success int
	// Statuses are the numeric statuses it declares, sorted.
	Statuses []int
	// Identifiers says a parameter carries a Belgian identifier that the
	// engine checks (SSIN, enterprise or employer number).
	Identifiers bool
	// Valid is a request the engine accepts: the document's examples first,
	// else synthesized values.
	Valid Request
	// Invalid is a request the engine refuses with 400 (a body with wrong
	// values where the operation takes a JSON body, else a wrong
	// parameter); nil when none could be made.
	Invalid *Request
	// Unsupported says why the conformance adapter contract (JSON bodies,
	// path and query only) cannot carry the valid request; "" when it can.
	Unsupported string
}

// Request is one concrete request of an operation.
type Request struct {
	// Path is the concrete path, relative to the base path, with the
	// query when the operation takes one, e.g. /employers/0403019261?year=2024.
	Path string
	// ContentType is the body's media type; "" means no body. A form
	// (multipart/form-data, application/x-www-form-urlencoded) has its
	// fields as a JSON object in Body.
	ContentType string
	Body        []byte
	// Why says what is wrong with an invalid request.
	Why string
}

// Identity is a client identity: its client id, the quality it registers
// under and its enterprise number.
type Identity struct {
	ClientID         string
	Quality          string
	EnterpriseNumber string
}

// Conformance is what flamock conform needs of a profile beyond the
// operations. The zero value (beside Client) makes conform build every
// scenario from the operations alone.
type Conformance struct {
	// Client is the identity the client's certificate is registered under.
	Client Identity
	// Scopes are the client's scopes (its FLAMOCK_SCOPE); nil means its
	// quality's, or every scope of the documents without Qualities.
	Scopes []string
	// Calls are the calls of the default run, in order; nil means one per
	// operation with a success response, built from Operations. Doc
	// describes the happy path they make (its first two).
	Calls []Call
	Doc   string
	// Several are the calls of several-operations; nil means Calls.
	Several []Call
	// Invalid is the validation-error scenario; nil means one built from
	// the chosen operations' Invalid requests.
	Invalid *Refusal
	// Tenant is a call the profile's tenant rule refuses (403) though the
	// scopes allow it; nil when the profile has no tenant rule.
	Tenant *Refusal
	// WrongScope is a call with a token whose scopes do not open it; nil
	// means one built from the operations' scopes.
	WrongScope *Refusal
	// Flows are further scenarios of the profile, each as another identity.
	Flows []Flow
	// Env are variables set for the client beside the contract's, each to
	// the server's URL followed by a base path (the FLA:
	// FLAMOCK_EMPLOYER_API_URL).
	Env []EnvBase
}

// Call is one call of a conformance scenario.
type Call struct {
	Name      string // the id of the client's result line, e.g. put-trainings
	Operation string // the Operation's ID
	Request   Request
}

// Refusal is a scenario whose first call the API refuses (then, maybe,
// calls it accepts).
type Refusal struct {
	Name string // the scenario's name
	Doc  string
	// Scopes, when set, replace the client's scopes.
	Scopes []string
	Calls  []Call
}

// Flow is a scenario of its own identity.
type Flow struct {
	Name   string
	Doc    string
	Client Identity
	Scopes []string // nil: the quality's
	Calls  []Call
}

// EnvBase is one extra variable of the client's environment.
type EnvBase struct {
	Name     string
	BasePath string
}

// Operation returns the operation with that ID.
func (a *API) Operation(id string) (Operation, bool) {
	i := slices.IndexFunc(a.Operations, func(o Operation) bool { return o.ID == id })
	if i < 0 {
		return Operation{}, false
	}
	return a.Operations[i], true
}

// Hints steer the requests NewAPI makes: values by parameter name, tried
// before the document's examples (a profile's identities), and the clock
// of synthesized dates.
type Hints struct {
	Params map[string]string
	Now    func() time.Time
}

// NewAPI loads the documents once, as the engine reads them, and builds
// their operations with a valid and an invalid request each. It reports
// every document it could not load.
func NewAPI(profile string, specs []mockfla.Spec, h Hints) (*API, error) {
	if h.Now == nil {
		h.Now = time.Now
	}
	a := &API{Profile: profile}
	var errs []error
	scopes := map[string]bool{}
	for _, sp := range specs {
		d, err := mockfla.LoadDocument(sp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.Documents = append(a.Documents, d)
		paths := d.Doc.Paths.Map()
		for _, path := range sortedPaths(paths) {
			item := paths[path]
			for _, method := range sortedMethods(item) {
				op := newOperation(d, path, method, item, h)
				for _, s := range op.Scopes {
					scopes[s] = true
				}
				a.Operations = append(a.Operations, op)
			}
		}
	}
	for s := range scopes {
		a.Scopes = append(a.Scopes, s)
	}
	slices.Sort(a.Scopes)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(a.Documents) == 0 {
		return nil, errors.New("no document: give one with --spec FILE")
	}
	return a, nil
}

func sortedPaths(m map[string]*openapi3.PathItem) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// methodOrder puts writes before reads of the same path: a GET then finds
// what the PUT or POST stored.
var methodOrder = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete, http.MethodTrace}

func sortedMethods(item *openapi3.PathItem) []string {
	var out []string
	ops := item.Operations()
	for _, m := range methodOrder {
		if ops[m] != nil {
			out = append(out, m)
		}
	}
	return out
}

// statuses are the numeric statuses an operation declares, sorted.
func statuses(op *openapi3.Operation) []int {
	var out []int
	if op.Responses != nil {
		for code := range op.Responses.Map() {
			if n, err := strconv.Atoi(code); err == nil {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// successStatus is the lowest 2xx an operation declares (2XX: 200).
func successStatus(op *openapi3.Operation) int {
	best := 0
	if op.Responses == nil {
		return 0
	}
	for code := range op.Responses.Map() {
		n, err := strconv.Atoi(code)
		if strings.EqualFold(code, "2XX") {
			n, err = 200, nil
		}
		if err == nil && n >= 200 && n < 300 && (best == 0 || n < best) {
			best = n
		}
	}
	return best
}

// security reads an operation's requirements: whether a token is needed
// and the scopes of which it must carry one.
func security(doc *openapi3.T, op *openapi3.Operation) (secured bool, scopes []string) {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	secured = len(reqs) > 0
	for _, req := range reqs {
		if len(req) == 0 {
			secured = false
		}
		for _, ss := range req {
			for _, s := range ss {
				if !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
		}
	}
	slices.Sort(scopes)
	return secured, scopes
}

func opID(method, path string, op *openapi3.Operation) string {
	if op.OperationID != "" {
		return op.OperationID
	}
	return method + " " + path
}

// DefaultConformanceClient is the conformance identity of a profile that
// names none (Model without Profile.API).
const DefaultConformanceClient = "self_service_chaman_880820_flamockcnf"

// Model returns the profile's API model: Profile.API when the profile has
// one; else the model every profile shares, built from what Build gives
// (its documents when specs is empty, its qualities and demo) with a
// conformance client of its first quality. A third profile needs no more
// to be judged by flamock conform, or set up by init and postman.
func (p Profile) Model(specs []mockfla.Spec, set Settings) (*API, error) {
	if p.API != nil {
		return p.API(specs, set)
	}
	if p.Build == nil {
		return nil, fmt.Errorf("profile %q builds nothing", p.Name)
	}
	parts, err := p.Build(set)
	if err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		specs = parts.Specs
	}
	a, err := NewAPI(p.Name, specs, Hints{})
	if err != nil {
		return nil, err
	}
	a.Qualities, a.Demo = parts.Qualities, parts.Demo
	quality := "client"
	if qs := slices.Sorted(maps.Keys(parts.Qualities)); len(qs) > 0 {
		quality = qs[0]
	} else {
		a.Conformance.Scopes = a.Scopes
	}
	a.Conformance.Client = Identity{ClientID: DefaultConformanceClient, Quality: quality, EnterpriseNumber: "0880820673"}
	return a, nil
}
