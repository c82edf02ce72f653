package mockoauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/jsonlimit"
	"github.com/golang-jwt/jwt/v5"
)

// checkContentType accepts application/x-www-form-urlencoded, optionally
// with charset UTF-8 (domain.md §1.2), each parameter at most once.
func checkContentType(ct string) *Error {
	if ct == "application/x-www-form-urlencoded" {
		return nil
	}
	if ct == "" {
		return ErrInvalidRequest.Describe("Content-Type is missing; want application/x-www-form-urlencoded (RFC 6749 §4.4.2)")
	}
	mt, params, err := parseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return ErrInvalidRequest.Describe("Content-Type is %q; want application/x-www-form-urlencoded (RFC 6749 §4.4.2)", truncate(ct, 80))
	}
	for i, p := range params {
		if slices.ContainsFunc(params[:i], func(q mediaParam) bool { return q.name == p.name }) {
			return ErrInvalidRequest.Describe("Content-Type %q has the parameter %s twice; a parameter may appear once (RFC 6838 §4.3)", truncate(ct, 80), truncate(p.name, 40))
		}
	}
	for _, p := range params {
		if p.name != "charset" || !strings.EqualFold(p.value, "utf-8") {
			return ErrInvalidRequest.Describe("Content-Type parameter %s=%q is not supported; want no parameter or charset=UTF-8", truncate(p.name, 40), truncate(p.value, 40))
		}
	}
	return nil
}

// mediaParam is one parameter of a media type: its name in lower case and
// its value, unquoted.
type mediaParam struct{ name, value string }

// errMediaType is parseMediaType's refusal; checkContentType names the
// whole header instead.
var errMediaType = errors.New("not a media type")

// parseMediaType parses a Content-Type value by RFC 9110 §8.3.1 and
// §5.6.6: type "/" subtype *( OWS ";" OWS name "=" ( token /
// quoted-string ) ), case-insensitive names, a trailing ";" allowed; like
// mime.ParseMediaType, it refuses an empty parameter (";;") and, stricter,
// white space around "=". Unlike mime it keeps every parameter, in order,
// so that one sent twice is seen (mime keeps one of two equal values, and
// lets an RFC 2231 "charset*" replace "charset").
func parseMediaType(v string) (string, []mediaParam, error) {
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.Trim(mt, " \t"))
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return "", nil, errMediaType
	}
	var params []mediaParam
	for rest != "" {
		if rest = strings.TrimLeft(rest, " \t"); rest == "" {
			break // a trailing ";"
		}
		name, after, ok := strings.Cut(rest, "=")
		if !ok || !isToken(name) {
			return "", nil, errMediaType
		}
		value, after, ok := cutParamValue(after)
		if !ok {
			return "", nil, errMediaType
		}
		params = append(params, mediaParam{strings.ToLower(name), value})
		after = strings.TrimLeft(after, " \t")
		if after != "" && after[0] != ';' {
			return "", nil, errMediaType
		}
		rest = strings.TrimPrefix(after, ";")
	}
	return mt, params, nil
}

// cutParamValue reads a token or a quoted-string at the start of s and
// returns it (unquoted) and what follows.
func cutParamValue(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexFunc(s, func(r rune) bool { return r > 0x7e || !isTokenByte(byte(r)) })
		if end < 0 {
			end = len(s)
		}
		return s[:end], s[end:], end > 0
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s) && isQuotedPairByte(s[i+1]):
			i++
			b.WriteByte(s[i])
		case c == '\t' || (c >= 0x20 && c != 0x7f && c != '\\'):
			b.WriteByte(c)
		default:
			return "", "", false
		}
	}
	return "", "", false // not closed
}

// isToken reports whether s is an RFC 9110 §5.6.2 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	return c < 0x7f && c > 0x20 && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, rune(c))
}

// isQuotedPairByte: HTAB / SP / VCHAR / obs-text (RFC 9110 §5.6.4).
func isQuotedPairByte(c byte) bool { return c == '\t' || (c >= 0x20 && c != 0x7f) }

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
// than once"). A parameter sent without a value is left out, as if it had
// not been sent (RFC 6749 §3.1 and §3.2: "Parameters sent without a value
// MUST be treated as if they were omitted from the request"), whatever its
// name. The *Error is an invalid_request naming the problem.
func parseForm(body []byte) (url.Values, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrInvalidRequest.Describe("request body is empty; want grant_type, client_assertion_type and client_assertion")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, ErrInvalidRequest.Describe("request body is not application/x-www-form-urlencoded: %s", strings.TrimPrefix(err.Error(), "invalid URL escape "))
	}
	for k, v := range form {
		if !utf8.ValidString(k) || !allUTF8(v) {
			return nil, ErrInvalidRequest.Describe("parameter %q is not UTF-8", truncate(k, 40))
		}
	}
	var dups []string
	for k, v := range omitEmpty(form) {
		if len(v) > 1 {
			dups = append(dups, fmt.Sprintf("%s (%d times)", truncate(k, 40), len(v)))
		}
	}
	if len(dups) > 0 {
		slices.Sort(dups)
		return nil, ErrInvalidRequest.Describe("duplicate parameters: %s; each may appear once (RFC 6749 §3.2)", strings.Join(dups, ", "))
	}
	return form, nil
}

// omitEmpty is form without the parameters sent without a value (RFC 6749
// §3.1, §3.2), leniently: for a URL query and a form answered by a fault.
func omitEmpty(form url.Values) url.Values {
	for k, v := range form {
		if v = withoutEmpty(v); len(v) == 0 {
			delete(form, k)
		} else {
			form[k] = v
		}
	}
	return form
}

// withoutEmpty is v without its empty values.
func withoutEmpty(v []string) []string {
	if !slices.Contains(v, "") {
		return v
	}
	return slices.DeleteFunc(v, func(s string) bool { return s == "" })
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
// verifying anything else, as the token endpoint does first (decodeJWS).
func (s *Server) parseAssertion(assertion string) (header, claims map[string]any, _ *Error) {
	d, e := s.decodeJWS(assertion)
	if e != nil {
		return nil, nil, e
	}
	return d.tok.Header, d.claims, nil
}

// decodedJWS is a client assertion decoded, not verified.
type decodedJWS struct {
	tok      *jwt.Token // header and claims; on a refusal, set when the header decoded
	parts    []string   // the three segments; nil when the signature segment is not decodable
	parseErr error      // the parser's error (ErrTokenUnverifiable is expected)
	claims   jwt.MapClaims
}

// decodeJWS decodes a client assertion: at most MaxAssertionBytes, a
// compact JWS whose header and payload are JSON objects nesting at most
// jsonlimit.MaxDepth levels. The *Error is an invalid_request naming the
// first problem: the assertion is malformed, so no client is known yet to
// fail authentication (as for its size; RFC 6749 §5.2).
func (s *Server) decodeJWS(a string) (decodedJWS, *Error) {
	if len(a) > s.cfg.MaxAssertionBytes {
		return decodedJWS{}, ErrInvalidRequest.Describe("client_assertion is %d bytes; at most %d allowed", len(a), s.cfg.MaxAssertionBytes)
	}
	if e := s.checkDepth(a); e != nil {
		return decodedJWS{}, e
	}
	d := decodedJWS{claims: jwt.MapClaims{}}
	d.tok, d.parts, d.parseErr = s.parser.ParseUnverified(a, d.claims)
	if d.parseErr != nil && (d.tok == nil || d.tok.Header == nil || !errors.Is(d.parseErr, jwt.ErrTokenUnverifiable)) {
		return decodedJWS{tok: d.tok}, s.diagnose(a)
	}
	return d, nil
}

// checkDepth refuses an assertion whose header or payload nests deeper
// than jsonlimit.MaxDepth, before any JSON decoder reads them.
func (s *Server) checkDepth(a string) *Error {
	if name, de := s.jwsDepth(a); de != nil {
		return ErrInvalidRequest.Describe("client_assertion %s nests deeper than %d levels of objects and arrays (at byte %d of the decoded JSON); at most %d allowed", name, de.Max, de.Offset, de.Max)
	}
	return nil
}

// jwsDepth finds the header or payload of a compact JWS that nests deeper
// than jsonlimit.MaxDepth: its name and the depth error; a segment that is
// not base64url is left to the parser.
func (s *Server) jwsDepth(a string) (string, *jsonlimit.DepthError) {
	for _, name := range [2]string{"header", "payload"} {
		seg, rest, _ := strings.Cut(a, ".")
		a = rest
		b, err := s.parser.DecodeSegment(seg)
		if err != nil {
			continue
		}
		var de *jsonlimit.DepthError
		if errors.As(jsonlimit.Check(b), &de) {
			return name, de
		}
	}
	return "", nil
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
	form = omitEmpty(form)
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
