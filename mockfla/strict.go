package mockfla

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Strict mode (Config.Strict) checks every answer of the mock against the
// operation's document before it is sent:
//
//   - an answer the mock built as on spec (a success, a stored resource) that
//     the document refuses is drift: logged at error level and answered as a
//     500 internalServerError problem that names it;
//   - a body of a media type no JSON, form or text decoder reads (text/html,
//     image/png...) is not decoded: its status, headers and media type are
//     checked;
//   - a refusal the mock decided (the client's mistake: a 4xx problem, or its
//     own error model) is never turned into a 500, whatever the operation's
//     media types: its body is checked against the error schema the
//     operation declares for that status, and a mismatch is logged and
//     journaled (layer "response"), not answered.

// checkResponse validates the response against the spec in Strict mode.
func (s *Server) checkResponse(c *call, resp *response) *response {
	if !s.cfg.Strict || c.route == nil || resp.fault != "" {
		return resp
	}
	if resp.problem != nil {
		return s.checkRefusal(c, resp)
	}
	hdr := http.Header{}
	for k, v := range resp.header {
		hdr[k] = v
	}
	if resp.ctype != "" {
		hdr.Set("Content-Type", resp.ctype)
	}
	opts := &s.respOpts
	if !decodable(resp.ctype) {
		o := s.respOpts
		o.ExcludeResponseBody = true
		opts = &o
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: c.r, PathParams: c.params, Route: c.route, Options: &s.reqOpts},
		Status:                 resp.status,
		Header:                 hdr,
		Body:                   io.NopCloser(bytes.NewReader(resp.body)),
		Options:                opts,
	}
	err := openapi3filter.ValidateResponse(c.r.Context(), in)
	if err == nil {
		return resp
	}
	msg := clipDrift(err.Error())
	s.log.Error("mockfla: DRIFT: the mock's response does not match the spec; answering 500 (Strict)",
		"operation", c.op.id, "method", c.r.Method, "path", c.r.URL.Path, "status", resp.status, "err", msg)
	c.layer("response", false, "drift: "+msg)
	return problemResponse(problemFor(http.StatusInternalServerError,
		fmt.Sprintf("flamock strict mode: the mock's %d response does not match the spec: %s", resp.status, msg)))
}

func clipDrift(msg string) string {
	if len(msg) > 2000 {
		return msg[:2000] + "..."
	}
	return msg
}

// decodable reports whether kin-openapi can decode a body of media type
// ctype to check it against a schema.
func decodable(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return false
	}
	return openapi3filter.RegisteredBodyDecoder(mt) != nil || strings.HasSuffix(mt, "+json")
}

// checkRefusal checks a refusal of the mock against the error schema the
// operation declares for its status; a mismatch is logged and journaled,
// and the refusal answered as it is.
func (s *Server) checkRefusal(c *call, resp *response) *response {
	sch := refusalSchema(c.route.Operation, resp)
	if sch == nil {
		return resp
	}
	v, ok := decodeJSON(resp.body)
	if !ok {
		return resp
	}
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}
	if c.route.Spec != nil && c.route.Spec.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	err := sch.VisitJSON(v, opts...)
	if err == nil {
		return resp
	}
	msg := clipDrift(clip(err.Error()))
	s.log.Error("mockfla: DRIFT: the mock's refusal does not match the operation's error schema; answered as it is (Strict)",
		"operation", c.op.id, "method", c.r.Method, "path", c.r.URL.Path, "status", resp.status, "err", msg)
	c.layer("response", false, "refusal drift (answered as it is): "+msg)
	return resp
}

// refusalSchema is the schema a refusal's JSON body is held to: the one of
// the operation's response for its status (else its default), under the
// answer's media type, or, when the mock answered JSON in a model declared
// under another media type (a Swagger 2.0 octet-stream operation), under
// that one. Nil when there is none: a Belgif problem where the operation
// declares nothing else is the mock's own.
func refusalSchema(op *openapi3.Operation, resp *response) *openapi3.Schema {
	rr := declaredResponse(op, resp.status)
	if rr == nil || !isJSONMedia(resp.ctype) {
		return nil
	}
	mt := rr.Content.Get(resp.ctype)
	if mt == nil && !strings.HasSuffix(resp.ctype, "problem+json") {
		_, mt = errorMedia(rr)
	}
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}
