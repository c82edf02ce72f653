package mockfla

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/redact"
)

// Belgif problem types (https://www.belgif.be/specification/rest/api-guide/problems/).
const (
	TypeBadRequest         = "urn:problem-type:belgif:badRequest"
	TypeNoAccessToken      = "urn:problem-type:belgif:noAccessToken"
	TypeInvalidAccessToken = "urn:problem-type:belgif:invalidAccessToken"
	TypeExpiredAccessToken = "urn:problem-type:belgif:expiredAccessToken"
	TypeMissingScope       = "urn:problem-type:belgif:missingScope"
	TypeMissingPermission  = "urn:problem-type:belgif:missingPermission"
	TypeResourceNotFound   = "urn:problem-type:belgif:resourceNotFound"
	TypePayloadTooLarge    = "urn:problem-type:belgif:payloadTooLarge"
	TypeTooManyRequests    = "urn:problem-type:belgif:tooManyRequests"
	TypeInternalError      = "urn:problem-type:belgif:internalServerError"
	TypeBadGateway         = "urn:problem-type:belgif:badGateway"
	TypeServiceUnavailable = "urn:problem-type:belgif:serviceUnavailable"
	// TypeMethodNotAllowed: Belgif defines no type for 405, so the problem is
	// the generic RFC 9457 one, with an Allow header.
	TypeMethodNotAllowed = "about:blank"
)

// Belgif input-validation issue types, with their titles. Each has a
// documentation page (Issue.Href), filled in when the problem is written.
const (
	IssueSchemaViolation = "urn:problem-type:belgif:input-validation:schemaViolation"
	IssueInvalidInput    = "urn:problem-type:belgif:input-validation:invalidInput"
	IssueUnknownInput    = "urn:problem-type:belgif:input-validation:unknownInput"

	titleSchema  = "Input isn't valid with respect to schema"
	titleInvalid = "Invalid input"
	titleUnknown = "Unknown input"
)

// Problem is a Belgif application/problem+json body (RFC 9457).
type Problem struct {
	Type           string   `json:"type"`
	Href           string   `json:"href,omitempty"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail,omitempty"`
	Instance       string   `json:"instance,omitempty"`
	Issues         []Issue  `json:"issues,omitempty"`         // badRequest; resourceNotFound naming the path parameter
	RequiredScopes []string `json:"requiredScopes,omitempty"` // missingScope
	Limit          int64    `json:"limit,omitempty"`          // payloadTooLarge (bytes), tooManyRequests
	RetryAfter     string   `json:"retryAfter,omitempty"`     // tooManyRequests, serviceUnavailable: RFC 3339 date-time
	RetryAfterSec  int      `json:"retryAfterSec,omitempty"`  // the same, in seconds (and the Retry-After header)
}

// Issue is one entry of a problem's issues: an input-validation issue of a
// badRequest, or the path parameter of a resourceNotFound (which has no
// type).
type Issue struct {
	Type   string  `json:"type,omitempty"`
	Href   string  `json:"href,omitempty"`
	Title  string  `json:"title,omitempty"`
	Detail string  `json:"detail"`
	In     string  `json:"in,omitempty"` // body, path, query or header
	Name   string  `json:"name,omitempty"`
	Value  any     `json:"value,omitempty"`
	Inputs []Input `json:"inputs,omitempty"` // when several inputs are involved
}

// Input is one of the inputs of an issue that involves several.
type Input struct {
	In    string `json:"in"` // body, path, query or header
	Name  string `json:"name"`
	Value any    `json:"value,omitempty"`
}

func (i Issue) String() string {
	var b strings.Builder
	b.WriteString(i.In)
	if i.Name != "" {
		b.WriteString(" ")
		b.WriteString(i.Name)
	}
	b.WriteString(": ")
	b.WriteString(i.Detail)
	return b.String()
}

const belgifGuide = "https://www.belgif.be/specification/rest/api-guide/"

// belgifHref is the documentation page of a Belgif problem type
// ("urn:problem-type:belgif:<x>" -> …/api-guide/problems/<x>.html) or issue
// type ("urn:problem-type:belgif:input-validation:<x>" -> …/issues/<x>.html,
// "urn:problem-type:belgif-ext:input-validation:<x>" -> …/issues/ext/<x>.html);
// "" for any other type.
func belgifHref(typ string) string {
	if name, ok := strings.CutPrefix(typ, "urn:problem-type:belgif:input-validation:"); ok && name != "" && !strings.Contains(name, ":") {
		return belgifGuide + "issues/" + name + ".html"
	}
	if name, ok := strings.CutPrefix(typ, "urn:problem-type:belgif-ext:input-validation:"); ok && name != "" && !strings.Contains(name, ":") {
		return belgifGuide + "issues/ext/" + name + ".html"
	}
	name, ok := strings.CutPrefix(typ, "urn:problem-type:belgif:")
	if !ok || name == "" || strings.Contains(name, ":") {
		return ""
	}
	return belgifGuide + "problems/" + name + ".html"
}

// problemFor returns the Belgif problem for an HTTP status.
func problemFor(status int, detail string) Problem {
	typ, title := TypeInternalError, "Internal Server Error"
	switch status {
	case http.StatusBadRequest:
		typ, title = TypeBadRequest, "Bad Request"
	case http.StatusUnauthorized:
		typ, title = TypeNoAccessToken, "No Access Token"
	case http.StatusForbidden:
		typ, title = TypeMissingPermission, "Missing Permission"
	case http.StatusNotFound:
		typ, title = TypeResourceNotFound, "Resource Not Found"
	case http.StatusMethodNotAllowed:
		typ, title = TypeMethodNotAllowed, "Method Not Allowed"
	case http.StatusRequestEntityTooLarge:
		typ, title = TypePayloadTooLarge, "Payload Too Large"
	case http.StatusTooManyRequests:
		typ, title = TypeTooManyRequests, "Too Many Requests"
	case http.StatusInternalServerError:
	case http.StatusBadGateway:
		typ, title = TypeBadGateway, "Bad Gateway"
	case http.StatusServiceUnavailable:
		typ, title = TypeServiceUnavailable, "Service is unavailable"
	default:
		typ, title = "about:blank", http.StatusText(status)
		if title == "" {
			title = "Status " + strconv.Itoa(status)
		}
	}
	return Problem{Type: typ, Href: belgifHref(typ), Title: title, Status: status, Detail: detail}
}

// response is what a layer decided to answer; it is validated (Strict) and
// journaled before it is written.
type response struct {
	status  int
	header  http.Header // extra headers
	ctype   string
	body    []byte
	problem *Problem
	fault   string // injected fault, for the journal
}

func problemResponse(p Problem) *response {
	p.Issues = withoutSecrets(withHrefs(p.Issues))
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem holds only JSON values
		body = []byte(`{"type":"` + TypeInternalError + `","title":"Internal Server Error","status":500}`)
	}
	return &response{status: p.Status, ctype: "application/problem+json", body: body, problem: &p}
}

func (r *response) setHeader(k, v string) *response {
	if r.header == nil {
		r.header = http.Header{}
	}
	r.header.Set(k, v)
	return r
}

// withHrefs fills in the documentation page of each issue whose type has
// one, in a copy when any is missing.
func withHrefs(issues []Issue) []Issue {
	var out []Issue
	for i, is := range issues {
		if is.Href != "" || is.Type == "" {
			continue
		}
		h := belgifHref(is.Type)
		if h == "" {
			continue
		}
		if out == nil {
			out = append([]Issue(nil), issues...)
		}
		out[i].Href = h
	}
	if out == nil {
		return issues
	}
	return out
}

// withoutSecrets replaces by redact.Mark the value of every input whose
// name is a credential's by internal/redact's rules (a query parameter, a
// body member at any depth: "logins[0].client_secret"), in a copy when any
// is: a refusal never echoes a secret the client sent.
func withoutSecrets(issues []Issue) []Issue {
	var out []Issue
	for i, is := range issues {
		hide := is.Value != nil && is.Value != redact.Mark && secretInput(is.Name)
		for _, in := range is.Inputs {
			hide = hide || (in.Value != nil && in.Value != redact.Mark && secretInput(in.Name))
		}
		if !hide {
			continue
		}
		if out == nil {
			out = slices.Clone(issues)
		}
		if is.Value != nil && secretInput(is.Name) {
			out[i].Value = redact.Mark
		}
		if len(is.Inputs) > 0 {
			out[i].Inputs = slices.Clone(is.Inputs)
			for j, in := range is.Inputs {
				if in.Value != nil && secretInput(in.Name) {
					out[i].Inputs[j].Value = redact.Mark
				}
			}
		}
	}
	if out == nil {
		return issues
	}
	return out
}

// secretInput reports whether an issue's input name ("password",
// "logins[0].client_secret") names a credential: its last member, without
// its indexes.
func secretInput(name string) bool {
	leaf := name[strings.LastIndexByte(name, '.')+1:]
	if i := strings.IndexByte(leaf, '['); i >= 0 {
		leaf = leaf[:i]
	}
	return leaf != "" && redact.IsSecret(leaf)
}

func badRequest(issues []Issue) *response {
	p := problemFor(http.StatusBadRequest, "The input message is incorrect")
	p.Issues = issues
	return problemResponse(p)
}

// notFound is the 404 of a call whose resource is absent. When the
// operation's path ends with a path parameter, the resource is that
// parameter's, and the problem's issue names it (in, name, value).
func notFound(c *call, key, detail string) *response {
	if detail == "" {
		detail = "No resource at " + key
	}
	p := problemFor(http.StatusNotFound, detail)
	if c != nil && c.op != nil {
		if name, ok := lastPathParam(c.op.path); ok {
			v := c.params[name]
			p.Issues = []Issue{{In: "path", Name: name, Value: v, Detail: "no resource with " + name + " " + v + " at this path"}}
		}
	}
	return problemResponse(p)
}

// lastPathParam returns the name of the parameter that is the last segment
// of a path template ("/trainings/{reference}" -> "reference").
func lastPathParam(template string) (string, bool) {
	seg := template[strings.LastIndexByte(template, '/')+1:]
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// retryLater answers p (a 429 or 503) with the Belgif retry hints: sec in
// retryAfterSec and the Retry-After header, and the moment now + sec in
// retryAfter (RFC 3339, UTC, whole seconds).
func retryLater(p Problem, sec int, now time.Time) *response {
	p.RetryAfterSec = sec
	p.RetryAfter = now.UTC().Truncate(time.Second).Add(time.Duration(sec) * time.Second).Format(time.RFC3339)
	return problemResponse(p).setHeader("Retry-After", strconv.Itoa(sec))
}

func missingPermission(rule, detail string) *response {
	return problemResponse(problemFor(http.StatusForbidden, "rule "+rule+": "+detail))
}
