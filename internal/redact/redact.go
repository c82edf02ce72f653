// Package redact hides credentials that clients put where they do not
// belong (a URL query string), so that error texts and journals never
// echo them.
package redact

import (
	"net/url"
	"strings"
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
func mayHoldSecret(raw string) bool {
	if strings.Contains(raw, "%") {
		return true
	}
	lower := strings.ToLower(raw)
	for _, s := range secretParams {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}
