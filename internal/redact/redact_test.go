package redact

import (
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		found    bool
	}{
		{"", "", false},
		{"a=1&b=2", "a=1&b=2", false},
		{"client_secret=s3cr3t", "client_secret=REDACTED", true},
		{"grant_type=client_credentials&client_assertion=eyJ.x.y&scope=a", "grant_type=client_credentials&client_assertion=REDACTED&scope=a", true},
		{"access_token=tok&x=1;password=pw", "access_token=REDACTED&x=1;password=REDACTED", true},
		{"client%5Fsecret=s3cr3t", "client%5Fsecret=REDACTED", true},
		{"Client_Secret=s3cr3t&&", "Client_Secret=REDACTED&&", true},
		{"refresh_token=r&access_token", "refresh_token=REDACTED&access_token", true}, // a name without a value has nothing to hide
		{"a=%zz&client_secret=s", "a=%zz&client_secret=REDACTED", true},
		{"note=client_secret", "note=client_secret", false},
	} {
		got, found := Query(tt.in)
		if got != tt.want || found != tt.found {
			t.Errorf("Query(%q) = %q, %v; want %q, %v", tt.in, got, found, tt.want, tt.found)
		}
	}
}

// FuzzQuery: redaction never panics, keeps every byte that is not a
// secret value, and leaves no value of a secret parameter behind.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"client_secret=x", "a=1&access_token=t;password=p", "%", "client%5fsecret=1&=&;;", "x=client_secret"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, found := Query(raw)
		if !found {
			if got != raw {
				t.Fatalf("Query(%q) changed it to %q without finding a secret", raw, got)
			}
			return
		}
		for _, part := range strings.FieldsFunc(got, func(r rune) bool { return r == '&' || r == ';' }) {
			if name, value, ok := strings.Cut(part, "="); ok && IsSecret(name) && value != Mark {
				t.Fatalf("Query(%q) = %q keeps %q", raw, got, part)
			}
		}
		if strings.Count(got, "&")+strings.Count(got, ";") != strings.Count(raw, "&")+strings.Count(raw, ";") {
			t.Fatalf("Query(%q) = %q changed the separators", raw, got)
		}
	})
}

func TestBody(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{`{"trainings":[]}`, 100, `{"trainings":[]}`},
		{`{"a":{"password":"hunter2"},"list":[{"access_token":"t"}]}`, 100, `{"a":{"password":"REDACTED"},"list":[{"access_token":"REDACTED"}]}`},
		{`grant_type=client_credentials&client_assertion=eyJ.x.y`, 100, `grant_type=client_credentials&client_assertion=REDACTED`},
		{`{"password": "x"`, 100, `(16 bytes that may hold a credential, not shown)`},
		{`0123456789`, 4, `0123… (10 bytes)`},
		{`ééé`, 3, `é… (6 bytes)`},
		{``, 10, ``},
	} {
		if got := Body([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("Body(%q, %d) = %q; want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// A body is untrusted input: Body never panics, keeps to its limit, and
// never returns a secret member's value.
func FuzzBody(f *testing.F) {
	f.Add([]byte(`{"password":"s3cr3t-value"}`), 64)
	f.Add([]byte(`client_secret=s3cr3t-value&x=1`), 8)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		out := Body(b, max)
		if len(out) > max+len("… (99999999999 bytes)") && len(b) > max {
			t.Fatalf("Body kept %d bytes of %d; max %d", len(out), len(b), max)
		}
		if strings.Contains(string(b), `"password":"s3cr3t-value"`) && strings.Contains(out, "s3cr3t-value") {
			t.Fatalf("a secret got through: %q", out)
		}
	})
}

// mayHoldSecretRef is the fast path as it was: the names in
// strings.ToLower(raw).
func mayHoldSecretRef(raw string) bool {
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

var holdSeeds = []string{"", "a=1", "PASSWORD=x", "x=1&Client_Secret=2", "access_to\u212Aen=1", "\u0130", "passw\u0130rd", "pass\xffword",
	"refresh_toke", "refresh_token", "paſſword=1", `{"Password":"x"}`, "client_assertionX", "%70assword", "CLIENT_ASSERTION"}

// FuzzMayHoldSecret: the fast path answers as its reference on any input.
func FuzzMayHoldSecret(f *testing.F) {
	for _, s := range holdSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := mayHoldSecret(raw), mayHoldSecretRef(raw); got != want {
			t.Fatalf("mayHoldSecret(%q) = %v; the reference says %v", raw, got, want)
		}
	})
}
