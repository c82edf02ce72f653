package mockfla

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
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

// Belgif input-validation issue types.
const (
	IssueSchemaViolation = "urn:problem-type:belgif:input-validation:schemaViolation"
	IssueInvalidInput    = "urn:problem-type:belgif:input-validation:invalidInput"
)

// Problem is a Belgif application/problem+json body (RFC 9457).
type Problem struct {
	Type           string   `json:"type"`
	Href           string   `json:"href,omitempty"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail,omitempty"`
	Instance       string   `json:"instance,omitempty"`
	Issues         []Issue  `json:"issues,omitempty"`
	RequiredScopes []string `json:"requiredScopes,omitempty"` // missingScope
	RetryAfterSec  int      `json:"retryAfterSec,omitempty"`  // tooManyRequests
}

// Issue is one entry of a badRequest problem's issues.
type Issue struct {
	Type   string `json:"type"`
	Title  string `json:"title,omitempty"`
	Detail string `json:"detail"`
	In     string `json:"in,omitempty"` // body, path, query or header
	Name   string `json:"name,omitempty"`
	Value  any    `json:"value,omitempty"`
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

func belgifHref(typ string) string {
	name, ok := strings.CutPrefix(typ, "urn:problem-type:belgif:")
	if !ok || strings.Contains(name, ":") {
		return ""
	}
	return "https://www.belgif.be/specification/rest/api-guide/problems/" + name + ".html"
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
		typ, title = TypeServiceUnavailable, "Service Unavailable"
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
	drop    bool   // close the connection without answering
}

func problemResponse(p Problem) *response {
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

func badRequest(issues []Issue) *response {
	p := problemFor(http.StatusBadRequest, "The input message is incorrect")
	p.Issues = issues
	return problemResponse(p)
}

func notFound(path string) *response {
	return problemResponse(problemFor(http.StatusNotFound, "No resource at "+path))
}

func missingPermission(rule, detail string) *response {
	return problemResponse(problemFor(http.StatusForbidden, "rule "+rule+": "+detail))
}
