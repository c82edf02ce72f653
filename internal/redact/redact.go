// Package redact hides credentials that clients put where they do not
// belong (a URL query string), so that error texts and journals never
// echo them.
package redact

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mark replaces a hidden value.
const Mark = "REDACTED"

// secretParams are the parameters whose values are credentials: OAuth
// client secrets and assertions (RFC 6749 §2.3.1, RFC 7523), bearer and
// refresh tokens (RFC 6750 §2.3, RFC 6749 §6), passwords.
var secretParams = []string{"client_secret", "client_assertion", "access_token", "refresh_token", "password"}

// Query returns raw, a URL query string, with the value of every secret
// parameter replaced by Mark, and whether it replaced any. Names are
// compared after unescaping, ignoring case; parameters are split at '&'
// and ';' so that a query the URL parser refuses is redacted too.
func Query(raw string) (string, bool) {
	if !mayHoldSecret(raw) {
		return raw, false
	}
	b := []byte(raw)
	out := make([]byte, 0, len(raw))
	found := false
	for len(b) > 0 {
		end := len(b)
		for i, c := range b {
			if c == '&' || c == ';' {
				end = i
				break
			}
		}
		part := string(b[:end])
		name, _, hasValue := strings.Cut(part, "=")
		if hasValue && IsSecret(name) {
			part = name + "=" + Mark
			found = true
		}
		out = append(out, part...)
		if end < len(b) {
			out = append(out, b[end])
			end++
		}
		b = b[end:]
	}
	return string(out), found
}

// IsSecret reports whether a (possibly escaped) parameter name is one
// whose value is a credential.
func IsSecret(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.TrimSpace(name)
	for _, s := range secretParams {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// mayHoldSecret is the fast path: no secret name and no escape, nothing to do.
// It looks for the names in strings.ToLower(raw) (an ASCII raw without
// building it).
func mayHoldSecret(raw string) bool {
	if strings.Contains(raw, "%") {
		return true
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] >= utf8.RuneSelf { // ToLower maps some runes to ASCII (K, İ)
			lower := strings.ToLower(raw)
			for _, s := range secretParams {
				if strings.Contains(lower, s) {
					return true
				}
			}
			return false
		}
	}
	for i := 0; i < len(raw); i++ {
		for _, s := range secretParams {
			if lowerASCII(raw[i]) == s[0] && len(raw)-i >= len(s) && hasLowerPrefix(raw[i:], s) {
				return true
			}
		}
	}
	return false
}

// hasLowerPrefix reports whether the ASCII s, lower-cased, starts with
// prefix (lower-case).
func hasLowerPrefix(s, prefix string) bool {
	for j := 0; j < len(prefix); j++ {
		if lowerASCII(s[j]) != prefix[j] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Body returns a request or response body as text for a journal, at most
// max bytes of it: a JSON body with the value of every secret member
// (at any depth) replaced by Mark, a form body redacted as a query, any
// other body as it is. A longer body is cut, and says how long it was.
func Body(b []byte, max int) string {
	if len(b) == 0 {
		return ""
	}
	s := string(b)
	if mayHoldSecret(s) {
		var v any
		if err := json.Unmarshal(b, &v); err == nil {
			if redactJSON(v) {
				if out, err := json.Marshal(v); err == nil {
					s = string(out)
				}
			}
		} else if _, err := url.ParseQuery(s); err == nil && !strings.ContainsAny(s, " \n\t{[<\"':") {
			s, _ = Query(s)
		} else {
			s = "(" + strconv.Itoa(len(b)) + " bytes that may hold a credential, not shown)"
		}
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "… (" + strconv.Itoa(len(b)) + " bytes)"
	}
	return s
}

// redactJSON replaces the values of secret members in v, in place.
func redactJSON(v any) bool {
	found := false
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if IsSecret(k) {
				x[k] = Mark
				found = true
			} else if redactJSON(val) {
				found = true
			}
		}
	case []any:
		for _, val := range x {
			if redactJSON(val) {
				found = true
			}
		}
	}
	return found
}
