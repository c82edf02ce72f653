package mockfla

import (
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Content negotiation, as the Belgif REST guide answers it: 406 Not
// Acceptable when the request's Accept accepts none of the media types
// the operation's success responses declare, 415 Unsupported Media Type
// when a body comes in a Content-Type the operation does not take. Belgif
// defines no problem type for either: the problem is RFC 9457's
// about:blank, whose detail says what was sent and what would do.

// negotiate answers 406 or 415, or nil when the media types agree.
func (s *Server) negotiate(c *call) *response {
	r := c.r
	if rb := c.route.Operation.RequestBody; len(c.body) > 0 && rb != nil && rb.Value != nil && len(rb.Value.Content) > 0 {
		ct := canonGet(r.Header, "Content-Type")
		if rb.Value.Content.Get(ct) == nil {
			sent := ct
			if sent == "" {
				sent = "no Content-Type"
			}
			detail := "The request body is sent as " + sent + "; the operation takes " + strings.Join(contentTypes(rb.Value.Content), ", ")
			c.layer("media", false, detail)
			return problemResponse(problemFor(http.StatusUnsupportedMediaType, detail))
		}
	}
	if accept := strings.Join(r.Header.Values("Accept"), ","); accept != "" && len(c.op.produces) > 0 && !acceptable(accept, c.op.produces) {
		detail := "The request's Accept (" + clip(accept) + ") accepts none of the media types the operation answers: " + strings.Join(c.op.produces, ", ")
		c.layer("media", false, detail)
		return problemResponse(problemFor(http.StatusNotAcceptable, detail))
	}
	return nil
}

// producedMedia lists the media types of the success (2xx) responses an
// operation declares, sorted, without repeats.
func producedMedia(op *openapi3.Operation) []string {
	if op.Responses == nil {
		return nil
	}
	var out []string
	for code, rr := range op.Responses.Map() {
		if len(code) != 3 || code[0] != '2' || rr == nil || rr.Value == nil {
			continue
		}
		for _, k := range contentTypes(rr.Value.Content) {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// acceptable reports whether an Accept header value (RFC 9110 §12.5.1)
// accepts one of the offered media types: a media range of q above 0
// that matches one (*/*, type/*, or the type itself, parameters aside;
// application/json also accepts a +json type). A value with no media
// range that can be read accepts anything (RFC 9110 lets a server ignore
// it).
func acceptable(accept string, offered []string) bool {
	readable := false
	for _, rng := range strings.Split(accept, ",") {
		rng = strings.TrimSpace(rng)
		if rng == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(rng)
		if err != nil {
			continue
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" {
			continue
		}
		readable = true
		if q, ok := params["q"]; ok {
			f, err := strconv.ParseFloat(q, 64)
			if err != nil || !(f > 0) {
				continue
			}
		}
		for _, o := range offered {
			if mediaMatches(typ, sub, o) {
				return true
			}
		}
	}
	return !readable
}

// mediaMatches reports whether the media range typ/sub matches offered.
func mediaMatches(typ, sub, offered string) bool {
	om, _, err := mime.ParseMediaType(offered)
	if err != nil {
		om = strings.ToLower(strings.TrimSpace(offered))
	}
	ot, os, _ := strings.Cut(om, "/")
	switch {
	case typ == "*" && sub == "*", ot == "*":
		return true
	case typ != ot:
		return false
	case sub == "*", os == "*", sub == os:
		return true
	}
	return typ == "application" && sub == "json" && strings.HasSuffix(os, "+json")
}
