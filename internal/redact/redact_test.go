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
