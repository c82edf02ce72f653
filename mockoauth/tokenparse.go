package mockoauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flamock/flamock/internal/journal"
	"github.com/golang-jwt/jwt/v5"
)

// checkContentType accepts application/x-www-form-urlencoded, optionally
// with charset UTF-8 (domain.md §1.2).
func checkContentType(ct string) *Error {
	if ct == "application/x-www-form-urlencoded" {
		return nil
	}
	if ct == "" {
		return ErrInvalidRequest.Describe("Content-Type is missing; want application/x-www-form-urlencoded (RFC 6749 §4.4.2)")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return ErrInvalidRequest.Describe("Content-Type is %q; want application/x-www-form-urlencoded (RFC 6749 §4.4.2)", truncate(ct, 80))
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return ErrInvalidRequest.Describe("Content-Type parameter %s=%q is not supported; want no parameter or charset=UTF-8", truncate(k, 40), truncate(v, 40))
		}
	}
	return nil
}

// mediaType is the media type of a Content-Type value, lower-case,
// without parameters.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// clientAuth names, for the journal, the client authentication a request
// tried besides client_assertion, in the order the checks look: a
// client_secret form field, then an Authorization header.
func clientAuth(authorization string, form url.Values) string {
	if _, ok := form["client_secret"]; ok {
		return journal.ClientAuthSecret
	}
	switch {
	case authorization == "":
		return ""
	case len(authorization) >= 6 && strings.EqualFold(authorization[:6], "basic "):
		return journal.ClientAuthBasic
	}
	return journal.ClientAuthOther
}

// readForm reads at most MaxFormBytes of body and parses it strictly.
func (s *Server) readForm(r *http.Request, buf *bytes.Buffer) (url.Values, *Error) {
	max := s.cfg.MaxFormBytes
	if r.ContentLength > int64(max) {
		return nil, ErrInvalidRequest.WithStatus(http.StatusRequestEntityTooLarge).Describe("request body is %d bytes; at most %d allowed", r.ContentLength, max)
	}
	if r.Body == nil {
		return nil, ErrInvalidRequest.Describe("request body is empty; want grant_type, client_assertion_type and client_assertion")
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		return nil, ErrInvalidRequest.Describe("cannot read the request body: %v", err)
	}
	if n > int64(max) {
		return nil, ErrInvalidRequest.WithStatus(http.StatusRequestEntityTooLarge).Describe("request body is more than %d bytes; at most %d allowed", max, max)
	}
	return parseForm(buf.Bytes())
}

// parseForm parses a token request body strictly: valid
// application/x-www-form-urlencoded, UTF-8, and no parameter twice (RFC
// 6749 §3.2: "Request and response parameters MUST NOT be included more
// than once"). The *Error is an invalid_request naming the problem.
func parseForm(body []byte) (url.Values, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrInvalidRequest.Describe("request body is empty; want grant_type, client_assertion_type and client_assertion")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, ErrInvalidRequest.Describe("request body is not application/x-www-form-urlencoded: %s", strings.TrimPrefix(err.Error(), "invalid URL escape "))
	}
	var dups []string
	for k, v := range form {
		if len(v) > 1 {
			dups = append(dups, fmt.Sprintf("%s (%d times)", truncate(k, 40), len(v)))
		}
		if !utf8.ValidString(k) || !allUTF8(v) {
			return nil, ErrInvalidRequest.Describe("parameter %q is not UTF-8", truncate(k, 40))
		}
	}
	if len(dups) > 0 {
		slices.Sort(dups)
		return nil, ErrInvalidRequest.Describe("duplicate parameters: %s; each may appear once (RFC 6749 §3.2)", strings.Join(dups, ", "))
	}
	return form, nil
}

func hasOAuthParam(q url.Values) bool {
	for _, k := range []string{"grant_type", "client_assertion", "client_assertion_type", "client_id", "client_secret", "scope"} {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// parseAssertion decodes a client assertion's header and claims without
// verifying anything else, as the token endpoint does first. The *Error is
// an invalid_request naming the first problem.
func (s *Server) parseAssertion(assertion string) (header, claims map[string]any, _ *Error) {
	if len(assertion) > s.cfg.MaxAssertionBytes {
		return nil, nil, ErrInvalidRequest.Describe("client_assertion is %d bytes; at most %d allowed", len(assertion), s.cfg.MaxAssertionBytes)
	}
	mc := jwt.MapClaims{}
	tok, _, err := s.parser.ParseUnverified(assertion, mc)
	if err != nil && (tok == nil || tok.Header == nil || !errors.Is(err, jwt.ErrTokenUnverifiable)) {
		return nil, nil, s.diagnose(assertion)
	}
	return tok.Header, mc, nil
}

// diagnose names what makes assertion not a compact JWS; it is only called
// once the parser has refused it.
func (s *Server) diagnose(a string) *Error {
	parts := strings.Split(a, ".")
	switch {
	case len(parts) == 5:
		return ErrInvalidRequest.Describe("client_assertion has 5 segments, as a JWE; want a signed JWT, a compact JWS of 3 segments (header.payload.signature)")
	case len(parts) != 3:
		return ErrInvalidRequest.Describe("client_assertion has %d segment(s); a compact JWS has 3 (header.payload.signature, RFC 7515 §7.1)", len(parts))
	}
	names := [3]string{"header", "payload", "signature"}
	for i, p := range parts {
		b, err := s.parser.DecodeSegment(p)
		if err != nil {
			return ErrInvalidRequest.Describe("client_assertion %s is not base64url without padding (RFC 7515 §2): %v", names[i], err)
		}
		if i == 2 {
			break
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m == nil {
			return ErrInvalidRequest.Describe("client_assertion %s is not a JSON object", names[i])
		}
	}
	return ErrInvalidRequest.Describe("client_assertion is not a compact JWS")
}

// numericDate reads a NumericDate claim (RFC 7519 §2).
func numericDate(claims jwt.MapClaims, name string, required bool) (time.Time, *Error) {
	v, ok := claims[name]
	if !ok {
		if required {
			return time.Time{}, ErrInvalidClient.Describe("client_assertion %s is missing; the portal requires it (at most 10 minutes ahead)", name)
		}
		return time.Time{}, nil
	}
	f, ok := v.(float64)
	if !ok {
		return time.Time{}, ErrInvalidClient.Describe("client_assertion %s is a %s; want a NumericDate (seconds since 1970-01-01 UTC)", name, jsonType(v))
	}
	if math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, ErrInvalidClient.Describe("client_assertion %s is %v; want a NumericDate in seconds (milliseconds?)", name, f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// checkScopes splits a scope parameter (RFC 6749 §3.3) and checks every
// scope is allowed for c.
func checkScopes(c *client, s string) ([]string, string, *Error) {
	if s == "" {
		return nil, "", ErrInvalidScope.Describe("scope is empty; omit it to get the client's default scopes (%s)", c.defaultStr)
	}
	if s == c.defaultStr {
		return c.defaults, c.defaultStr, nil
	}
	var out []string
	for _, sc := range strings.Split(s, " ") {
		if !validScopeToken(sc) {
			return nil, "", ErrInvalidScope.Describe("scope %q is not a list of scope-tokens separated by single spaces (RFC 6749 §3.3)", truncate(s, 200))
		}
		if !c.allowed[sc] {
			return nil, "", ErrInvalidScope.Describe("scope %q is not allowed for client %q (quality %s); allowed: %s", truncate(sc, 120), c.ID, c.Quality, strings.Join(c.Scopes, " "))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, strings.Join(out, " "), nil
}

// describeRequest learns into tr what a request answered by a fault says,
// leniently: it is not checked.
func (s *Server) describeRequest(tr *tokenRequest) {
	r := tr.r
	if r.Body == nil {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, int64(s.cfg.MaxFormBytes)))
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return
	}
	tr.clientAuth = clientAuth(r.Header.Get("Authorization"), form)
	tr.takeParams(form)
	if h, c, e := s.parseAssertion(form.Get("client_assertion")); e == nil {
		tr.header, tr.claims = h, c
		if tr.clientID == "" {
			tr.clientID, _ = c["sub"].(string)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func allUTF8(v []string) bool {
	for _, s := range v {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
