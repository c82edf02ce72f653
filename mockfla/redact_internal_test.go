package mockfla

import "testing"

func TestRedactQuery(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		found    bool
	}{
		{"", "", false},
		{"page=2&pageSize=10", "page=2&pageSize=10", false},
		{"access_token=s3cret", "access_token=REDACTED", true},
		{"page=1&access_token=s3cret&x=y", "page=1&access_token=REDACTED&x=y", true},
		{"access%5Ftoken=s3cret", "access%5Ftoken=REDACTED", true},
		{"my_access_token=1", "my_access_token=1", false},
		{"access_token", "access_token", true},
		{"client_secret=s3cret&page=1", "client_secret=REDACTED&page=1", false},
		{"client%5Fassertion=eyJ.x.y&access_token=t", "client%5Fassertion=REDACTED&access_token=REDACTED", true},
		{"client_id=abc", "client_id=abc", false},
	} {
		got, found := redactQuery(tc.in)
		if got != tc.want || found != tc.found {
			t.Errorf("redactQuery(%q) = %q, %v; want %q, %v", tc.in, got, found, tc.want, tc.found)
		}
	}
}
