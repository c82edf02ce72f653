package mockfla

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// This file answers a refusal in the spec's own error model. mockfla
// decides every refusal as a Belgif problem (status, type, detail,
// issues); for the refusal of an operation, errorModel then finds what
// the operation declares for that status and shapes the answer to it:
//
//   - the status: the one decided when the operation declares it (or its
//     class, 4XX), else the same status when it declares a default
//     response; else, for a 4xx, the nearest declared 4xx (400 for 404 when
//     only 400 is declared; ties go to the lower); a 5xx, or a 4xx of an
//     operation that declares no 4xx and no default, keeps its status. A
//     400, 401, 403, 406 or 415 keeps its status: where it is not declared,
//     in the model (schema) of the nearest declared 4xx, else as a problem.
//   - the body: a problem-shaped declaration (application/problem+json, or
//     a schema with title and type or status) gets the Belgif problem as it
//     is when the schema accepts it; any other schema (a StatusMessage with
//     id, code, message...) gets a body synthesized from that schema whose
//     message-like fields (message, detail, description, code, status, id,
//     timestamp, and a details/errors/issues array, one entry per issue)
//     are filled from the refusal, each only where the schema accepts the
//     value; text/plain gets the title and detail. A declared status
//     without a body schema gets the Belgif problem (nothing forbids it, and
//     it says why).

// errorChoice is what an operation declares for a refusal.
type errorChoice struct {
	status int
	resp   *openapi3.Response // nil: nothing declared
}

// chooseError picks the status and the declared response of a refusal
// decided with status want.
func chooseError(op *openapi3.Operation, want int) errorChoice {
	if op == nil || op.Responses == nil {
		return errorChoice{status: want}
	}
	if r := op.Responses.Status(want); r != nil && r.Value != nil {
		return errorChoice{status: want, resp: r.Value}
	}
	if r := op.Responses.Default(); r != nil && r.Value != nil {
		return errorChoice{status: want, resp: r.Value}
	}
	if want < 400 || want >= 500 {
		return errorChoice{status: want}
	}
	best := 0
	for k, r := range op.Responses.Map() {
		n, err := strconv.Atoi(k)
		if k == "4XX" {
			n = 400
		} else if err != nil {
			continue
		}
		if n < 400 || n >= 500 || r == nil || r.Value == nil {
			continue
		}
		if d, bd := abs(n-want), abs(best-want); best == 0 || d < bd || (d == bd && n < best) {
			best = n
		}
	}
	if best == 0 {
		return errorChoice{status: want}
	}
	switch want {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotAcceptable, http.StatusUnsupportedMediaType:
		// A bad request stays a 400 (a 404 would send the client looking for
		// a resource), and a 401, 403, 406 or 415 says what the client must
		// change; in the model of the nearest declared 4xx.
		return errorChoice{status: want, resp: op.Responses.Status(best).Value}
	}
	return errorChoice{status: best, resp: op.Responses.Status(best).Value}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// declaredResponse is what an operation declares for a status (its class,
// 4XX, included), else its default response; nil if neither.
func declaredResponse(op *openapi3.Operation, status int) *openapi3.Response {
	if op == nil || op.Responses == nil {
		return nil
	}
	rr := op.Responses.Status(status)
	if rr == nil {
		rr = op.Responses.Default()
	}
	if rr == nil {
		return nil
	}
	return rr.Value
}

// errorMedia picks the media type of an error answer: problem+json, then
// application/json, then another JSON type, then text/plain; "" if the
// response declares no content.
func errorMedia(resp *openapi3.Response) (string, *openapi3.MediaType) {
	if resp == nil || len(resp.Content) == 0 {
		return "", nil
	}
	keys := sortedKeys(resp.Content)
	rank := func(k string) int {
		k = strings.ToLower(k)
		switch {
		case strings.HasSuffix(k, "problem+json"):
			return 0
		case k == "application/json":
			return 1
		case strings.HasSuffix(k, "+json") || strings.HasSuffix(k, "/json") || k == "*/*" || k == "application/*":
			return 2
		case strings.HasPrefix(k, "text/plain"):
			return 3
		}
		return 4
	}
	slices.SortStableFunc(keys, func(a, b string) int { return rank(a) - rank(b) })
	k := keys[0]
	ct := k
	if strings.Contains(k, "*") {
		ct = "application/json"
	}
	return ct, resp.Content[k]
}

// problemShaped reports whether a declared error is an RFC 9457 problem.
func problemShaped(ctype string, s *openapi3.Schema) bool {
	if strings.HasSuffix(strings.ToLower(ctype), "problem+json") {
		return true
	}
	if s == nil {
		return false
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(s, props, 0)
	return props["title"] != nil && (props["type"] != nil || props["status"] != nil)
}

// violation is a refusal, as the fillers of a declared error schema see it.
type violation struct {
	p    Problem
	path string
	id   string // a fresh identifier for the answer (id, traceId...)
	now  time.Time
}

// shortType is the last segment of a problem or issue type URN
// ("badRequest", "schemaViolation").
func shortType(typ string) string {
	if typ == "about:blank" || typ == "" {
		return ""
	}
	if i := strings.LastIndexAny(typ, ":/"); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

// fieldKind classifies the name of a property of an error object.
func fieldKind(name string) string {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	switch n {
	case "message", "msg", "detail", "description", "errormessage", "errordescription", "errordetail",
		"reason", "text", "usermessage", "developermessage", "localizedmessage", "explanation":
		return "message"
	case "title", "summary":
		return "title"
	case "code", "errorcode", "error", "errortype", "kind", "category":
		return "code"
	case "type":
		return "type"
	case "status", "statuscode", "httpstatus", "httpcode", "httpstatuscode":
		return "status"
	case "id", "errorid", "uuid", "traceid", "correlationid", "incidentid", "logid", "ticket", "requestid", "belgovtraceid":
		return "id"
	case "instance", "uri", "requesturi", "resource":
		return "instance"
	case "path", "field", "name", "property", "parameter", "param", "jsonpath", "location", "attribute", "target", "source":
		return "field"
	case "pointer", "jsonpointer":
		return "pointer"
	case "in":
		return "in"
	case "value", "rejectedvalue", "invalidvalue", "actualvalue":
		return "value"
	case "timestamp", "time", "datetime", "date", "occurredat", "when":
		return "time"
	case "href":
		return "href"
	case "details", "errors", "issues", "violations", "fielderrors", "validationerrors", "messages", "causes",
		"problems", "suberrors", "invalidparams", "items", "reasons":
		return "list"
	}
	return ""
}

// candidates are the values tried for a property of the top-level error.
func (v *violation) candidates(name string) []any {
	p := v.p
	switch fieldKind(name) {
	case "message":
		return []any{orTitle(p.Detail, p.Title), p.Title}
	case "title":
		return []any{p.Title}
	case "code":
		return []any{shortType(p.Type), strconv.Itoa(p.Status), float64(p.Status)}
	case "type":
		return []any{p.Type, shortType(p.Type)}
	case "status":
		return []any{float64(p.Status), strconv.Itoa(p.Status)}
	case "id":
		return []any{v.id}
	case "instance", "field":
		return []any{v.path}
	case "time":
		return []any{v.now.UTC().Truncate(time.Second).Format(time.RFC3339), v.now.UTC().Format(time.DateOnly)}
	case "href":
		if p.Href != "" {
			return []any{p.Href}
		}
	}
	return nil
}

func orTitle(detail, title string) string {
	if detail != "" {
		return detail
	}
	return title
}

// issueCandidates are the values tried for a property of one entry of a
// details/errors/issues array; named says whether the entry has a property
// that names the input (else its message does).
func issueCandidates(is Issue, name string, named bool) []any {
	switch fieldKind(name) {
	case "message":
		if !named {
			return []any{is.String(), is.Detail}
		}
		return []any{is.Detail, is.String()}
	case "title":
		return []any{is.Title, is.Detail}
	case "code":
		return []any{shortType(is.Type)}
	case "type":
		return []any{is.Type, shortType(is.Type)}
	case "field":
		if is.Name != "" {
			return []any{is.Name, is.In + " " + is.Name}
		}
		return []any{is.In}
	case "pointer":
		if is.In == "body" {
			return []any{jsonPointerOf(is.Name)}
		}
		return []any{is.Name} // not in the body: no pointer; its name, where one is required
	case "in":
		return []any{is.In}
	case "value":
		if is.Value != nil {
			return []any{is.Value, fmt.Sprint(is.Value)}
		}
	case "status":
		return []any{float64(http.StatusBadRequest), "400"}
	}
	return nil
}

// jsonPointerOf writes "trainings[0].name" as "/trainings/0/name".
func jsonPointerOf(name string) string {
	if name == "" {
		return ""
	}
	r := strings.NewReplacer("~", "~0", "/", "~1", ".", "/", "[", "/", "]", "")
	return "/" + r.Replace(name)
}

// filled is what errorValue took from the refusal (not from a sample).
type filled struct {
	n      int  // fields filled from the refusal
	listed bool // the issues went into a list, each entry naming its input and reason
}

// errorValue builds a value of schema s for the refusal: a sample of the
// schema with its message-like fields filled from fill (and list-like
// fields from the issues), each only where the field's schema accepts it.
// An object field is filled only when something of the refusal fits in
// it; a list only with the entries something fits in.
func (g *synthesizer) errorValue(s *openapi3.Schema, fill func(string) []any, issues []Issue, depth int) (any, filled) {
	base := g.value(s, "", depth)
	if typeOf(s) == "string" || (s.Type == nil && base == nil) {
		for _, c := range fill("message") {
			if g.valid(s, c) == nil {
				return c, filled{n: 1}
			}
		}
		return base, filled{}
	}
	m, ok := base.(map[string]any)
	if !ok {
		return base, filled{}
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(s, props, 0)
	out := deepCopy(m).(map[string]any)
	var f filled
	for _, k := range sortedKeys(props) {
		ref := props[k]
		if ref == nil || ref.Value == nil || g.skip(ref.Value) {
			continue
		}
		ps := ref.Value
		var cands []any
		var sub filled
		switch {
		case typeOf(ps) == "array" && fieldKind(k) == "list":
			if len(issues) == 0 || ps.Items == nil || ps.Items.Value == nil {
				continue
			}
			list, covered := g.issueList(ps.Items.Value, issues, depth+1)
			if len(list) == 0 {
				continue // nothing of the issues fits an entry: left out
			}
			cands, sub = []any{list}, filled{listed: covered}
		case typeOf(ps) == "object" && depth < 3 && (fieldKind(k) == "code" || k == "problem" || k == "fault" || k == "statusMessage"):
			v, vf := g.errorValue(ps, fill, issues, depth+1)
			if vf.n == 0 {
				continue // nothing of the refusal fits in it
			}
			cands, sub = []any{v}, vf
		default:
			cands = fill(k)
		}
		for _, c := range cands {
			if c == "" || c == nil {
				continue
			}
			if str, ok := c.(string); ok {
				c = fitLength(str, ps) // a message longer than maxLength is cut
			}
			if g.valid(ps, c) == nil {
				out[k] = c
				f.n++
				f.listed = f.listed || sub.listed
				break
			}
		}
	}
	if g.valid(s, out) == nil {
		return out, f
	}
	return base, filled{}
}

// acceptsProblem reports whether s accepts p as it is. The issues' values
// are the client's own input, echoed: they are left out of the check (a
// number beyond float64, for one, is no fault of the answer's shape).
func (g *synthesizer) acceptsProblem(s *openapi3.Schema, p Problem) bool {
	p.Issues = slices.Clone(p.Issues)
	for i := range p.Issues {
		p.Issues[i].Value = nil
		p.Issues[i].Inputs = slices.Clone(p.Issues[i].Inputs)
		for j := range p.Issues[i].Inputs {
			p.Issues[i].Inputs[j].Value = nil
		}
	}
	return g.valid(s, p) == nil
}

// problemMembersOnly reports whether s declares no member that a Problem
// lacks.
func problemMembersOnly(s *openapi3.Schema) bool {
	own := map[string]bool{"type": true, "href": true, "title": true, "status": true, "detail": true, "instance": true,
		"issues": true, "requiredScopes": true, "limit": true, "retryAfter": true, "retryAfterSec": true}
	for name := range shapeOf(s).props {
		if !own[name] {
			return false
		}
	}
	return true
}

// errorBody shapes a refusal to what the operation declares for its
// status: the content type and body to answer. When the declared error
// cannot list the issues (no list field, or entries that cannot name the
// input and reason), its message-like fields say them.
func (g *synthesizer) errorBody(resp *openapi3.Response, v *violation) (string, []byte) {
	ctype, mt := errorMedia(resp)
	problem, _ := json.Marshal(v.p)
	if ctype == "" || mt == nil {
		return "application/problem+json", problem
	}
	var s *openapi3.Schema
	if mt.Schema != nil {
		s = mt.Schema.Value
	}
	lower := strings.ToLower(ctype)
	if !strings.Contains(lower, "json") {
		switch {
		case strings.HasPrefix(lower, "text/plain"):
			return ctype, []byte(v.p.Title + ": " + orTitle(v.summary(), v.p.Title))
		case s != nil && typeOf(s) == "object":
			// A Swagger 2.0 error schema under the operation's only media
			// type (application/octet-stream, say): its model, as JSON.
			ctype = "application/json"
		default:
			return "application/problem+json", problem // XML and the like: not synthesized
		}
	}
	if s == nil {
		return ctype, problem
	}
	if problemShaped(ctype, s) {
		if g.acceptsProblem(s, v.p) {
			return ctype, problem
		}
		// A schema of the problem's own members that forbids others: the
		// problem without them (a schema with members of its own, errors
		// or the like, gets them filled below instead).
		if fp, changed := fit(v.p, s); changed && problemMembersOnly(s) && g.acceptsProblem(s, fp) {
			if b, err := json.Marshal(fp); err == nil {
				return ctype, b
			}
		}
	}
	val, f := g.errorValue(s, v.candidates, v.p.Issues, 0)
	if len(v.p.Issues) > 0 && !f.listed {
		said := *v
		said.p.Detail = v.summary()
		val, _ = g.errorValue(s, said.candidates, v.p.Issues, 0)
	}
	body, err := json.Marshal(val)
	if err != nil {
		return "application/problem+json", problem
	}
	return ctype, body
}

// errorModel answers a refusal of an operation in the operation's own
// error model (see the top of this file); a profile's documents declare
// Belgif problems, which stay as they are. Injected faults keep their
// Belgif problem (fitProblem fits them).
func (s *Server) errorModel(c *call, resp *response) *response {
	if resp.fault != "" {
		return resp
	}
	if c.op == nil {
		return s.documentError(c, resp)
	}
	if resp.problem != nil {
		resp = s.ownError(c, resp)
	}
	return s.requiredHeaders(c, resp)
}

// ownError shapes a refusal to the operation's error model.
func (s *Server) ownError(c *call, resp *response) *response {
	ch := chooseError(c.op.validation, resp.status)
	p := *resp.problem
	if ch.status != resp.status {
		// Not the Belgif type of the new status, which would name a cause
		// that is not the real one: RFC 9457's about:blank, and the detail
		// says what happened.
		orig := p
		p = Problem{Type: "about:blank", Title: http.StatusText(ch.status), Status: ch.status, Issues: orig.Issues,
			Detail: fmt.Sprintf("%s (%d %s; the operation declares no %d)", orTitle(orig.Detail, orig.Title), orig.Status, orig.Title, orig.Status)}
		c.layer("errors", true, fmt.Sprintf("%d answered as %d, the nearest status the operation declares", orig.Status, ch.status))
	}
	if ch.resp == nil {
		return resp
	}
	return s.inModel(c, ch.resp, ch.status, p, c.op.generic.oas31, resp.header)
}

// inModel answers problem p with status in the model of the declared
// response rr.
func (s *Server) inModel(c *call, rr *openapi3.Response, status int, p Problem, oas31 bool, header http.Header) *response {
	v := &violation{p: p, path: c.r.URL.Path, now: s.cfg.Now(),
		id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.gen.errSeq.Add(1)%1e12)}
	syn := &synthesizer{now: v.now, oas31: oas31}
	ctype, body := syn.errorBody(rr, v)
	return &response{status: status, header: header, ctype: ctype, body: body, problem: &p}
}

// requiredHeaders adds the headers the operation declares required for
// the answer's status and the answer lacks: ETag a strong tag of the body,
// Location the request's path, any other a sample of its schema.
func (s *Server) requiredHeaders(c *call, resp *response) *response {
	rr := declaredResponse(c.op.validation, resp.status)
	if rr == nil || len(rr.Headers) == 0 {
		return resp
	}
	syn := &synthesizer{now: s.cfg.Now(), oas31: c.op.generic.oas31}
	for _, name := range sortedKeys(rr.Headers) {
		h := rr.Headers[name]
		if h == nil || h.Value == nil || !h.Value.Required || resp.header.Get(name) != "" {
			continue
		}
		var v string
		switch strings.ToLower(name) {
		case "etag":
			v = fmt.Sprintf(`"%08x"`, crc32.ChecksumIEEE(resp.body))
		case "location", "content-location":
			v = c.r.URL.Path
		default:
			v = headerValue(syn.sample(h.Value.Schema))
		}
		resp.setHeader(name, v)
	}
	return resp
}

// headerValue writes a sample as a header (OpenAPI's simple style).
func headerValue(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = headerValue(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(x) {
			parts = append(parts, k, headerValue(x[k]))
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.Trim(string(b), `"`)
}
