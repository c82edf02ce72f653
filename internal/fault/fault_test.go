package fault

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// slowGlob is the reference: the backtracking matcher the mocks used
// before (exponential in the number of stars on hostile input).
func slowGlob(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	var rec func(p, s string) bool
	rec = func(p, s string) bool {
		star := strings.IndexByte(p, '*')
		if star < 0 {
			return p == s
		}
		if !strings.HasPrefix(s, p[:star]) {
			return false
		}
		s, p = s[star:], p[star+1:]
		if p == "" {
			return true
		}
		for i := 0; i <= len(s); i++ {
			if rec(p, s[i:]) {
				return true
			}
		}
		return false
	}
	return rec(pattern, s)
}

// regexpGlob is a second reference: the pattern as an RE2 regexp.
func regexpGlob(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`).MatchString(s)
}

func TestGlob_Table(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"", "/anything", true},
		{"*", "", true},
		{"**", "/a", true},
		{"/a/b", "/a/b", true},
		{"/a/b", "/a/b/", false},
		{"/a/*", "/a/", true},
		{"/a/*", "/a", false},
		{"*/trainings", "/REST/careerpro-fla/v1/employers/1/trainings", true},
		{"*/trainings", "/REST/x/trainingsX", false},
		{"/REST/*/v1/*", "/REST/careerpro-fla/v1/x", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"a*aa", "aa", false},
		{"a*aa", "aaa", true},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aab", false},
		{"x*x", "x", false},
	} {
		if got := compileGlob(tc.p).match(tc.s); got != tc.want {
			t.Errorf("%q ~ %q = %v; want %v", tc.p, tc.s, got, tc.want)
		}
		if ref := slowGlob(tc.p, tc.s); ref != tc.want {
			t.Errorf("reference %q ~ %q = %v; the table is wrong", tc.p, tc.s, ref)
		}
	}
}

// TestGlob_Property compares with both references on random short patterns
// and paths over a small alphabet (where stars and repeats interact most).
func TestGlob_Property(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(alpha string, n int) string {
		b := make([]byte, r.IntN(n+1))
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	for range 20000 {
		p, s := word("ab/*", 7), word("ab/", 9)
		got := compileGlob(p).match(s)
		if ref := slowGlob(p, s); got != ref {
			t.Fatalf("%q ~ %q = %v; reference %v", p, s, got, ref)
		}
		if ref := regexpGlob(p, s); got != ref {
			t.Fatalf("%q ~ %q = %v; regexp %v", p, s, got, ref)
		}
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("*/trainings", "/REST/careerpro-fla/v1/employers/1/trainings")
	f.Add("a*b*c", "abbbc")
	f.Add("*a*a*a*a*b", strings.Repeat("a", 40))
	f.Fuzz(func(t *testing.T, p, s string) {
		if len(p) > 64 || len(s) > 256 || strings.Count(p, "*") > 8 {
			return // keep the references fast
		}
		got := compileGlob(p).match(s)
		if utf8.ValidString(p) && utf8.ValidString(s) {
			if ref := regexpGlob(p, s); got != ref {
				t.Fatalf("%q ~ %q = %v; regexp %v", p, s, got, ref)
			}
		} else if len(s) <= 64 && strings.Count(p, "*") <= 4 { // RE2 takes UTF-8 only
			if ref := slowGlob(p, s); got != ref {
				t.Fatalf("%q ~ %q = %v; reference %v", p, s, got, ref)
			}
		}
	})
}

// TestGlob_Hostile: many stars against a long path that almost matches;
// the backtracking matcher takes seconds here. Not timed: the bound is on
// work done, as a count of the comparisons a linear matcher needs.
func TestGlob_Hostile(t *testing.T) {
	p := strings.Repeat("*a", 30) + "*b"
	s := "/" + strings.Repeat("a", 96<<10)
	if compileGlob(p).match(s) {
		t.Fatal("matched")
	}
	if !compileGlob(p).match(s + "b") {
		t.Fatal("no match")
	}
}

func TestDecode(t *testing.T) {
	fs, err := Decode([]byte(`{"method":"PUT","path":"/x/*","count":2,"status":503,"retryAfter":"5s","delay":"250ms","detail":"d","limit":3}`), API)
	if err != nil {
		t.Fatal(err)
	}
	want := Fault{Method: "PUT", Path: "/x/*", Count: 2, Status: 503, RetryAfter: 5 * time.Second, Delay: 250 * time.Millisecond, Detail: "d", Limit: 3}
	if len(fs) != 1 || fs[0] != want {
		t.Fatalf("got %+v", fs)
	}
	fs, err = Decode([]byte(` [{"status":500},{"delay":"1s","count":3}] `), Token)
	if err != nil || len(fs) != 2 || fs[1].Delay != time.Second || fs[1].Count != 3 {
		t.Fatalf("list: %+v %v", fs, err)
	}
	for _, tc := range []struct {
		body string
		t    Target
		want string
	}{
		{`{"status":503,"retryAftr":"5s"}`, API, `unknown key "retryAftr" (known keys: method, path, count, status, delay, retryAfter, drop, detail, error, malformed, limit, clientId)`},
		{`[{"status":503},{"delayMs":5}]`, Token, `unknown key "delayMs"`},
		{`{"status":"503"}`, API, `want a fault or a list of faults as JSON: json: cannot unmarshal string into Go struct field wire.status of type int`},
		{`{"delay":1500}`, API, `want a duration such as "1.5s" or "250ms", not 1500`},
		{`{"delay":"soon"}`, API, `want a duration such as "1.5s" or "250ms", not "soon"`},
		{`{"status":503} {"status":500}`, API, "trailing data after the JSON value"},
		{`{"status":503`, API, "unexpected EOF"},
		{`{}`, API, "[0]: a fault needs a status, a delay or drop"},
		{`{"status":200}`, API, "[0]: status 200 is not 400 to 599"},
		{`{"delay":"11m"}`, API, "[0]: delay 11m0s is more than 10m0s"},
		{`{"count":-1,"status":500}`, API, "[0]: count -1 is negative"},
		{`{"drop":true,"status":500}`, API, "[0]: drop excludes status, error and malformed"},
		{`{"error":"server_error"}`, API, "[0]: error and malformed apply to the token endpoint only"},
		{`{"status":429,"limit":5}`, Token, "[0]: limit applies to the API only"},
		{`[{"status":500},{"status":99}]`, API, "[1]: status 99 is not 400 to 599"},
	} {
		_, err := Decode([]byte(tc.body), tc.t)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v; want %q", tc.body, err, tc.want)
		}
	}
}

func TestListed_JSON(t *testing.T) {
	var q Queue
	q.Add(Fault{Path: "*", Status: 503, RetryAfter: 1500 * time.Millisecond, Count: 2})
	b, err := json.Marshal(q.List())
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"path":"*","count":2,"status":503,"retryAfter":"1.5s","left":2}]`; string(b) != want {
		t.Fatalf("%s; want %s", b, want)
	}
	if f := (Fault{Delay: 1500 * time.Millisecond, Status: 503, RetryAfter: 1500 * time.Millisecond}); f.String() != "delay 1.5s, status 503, Retry-After 2" {
		t.Fatalf("String = %q", f.String())
	}
}

// TestQueue_Order: faults are tried in order; each is used Count times.
func TestQueue_Order(t *testing.T) {
	var q Queue
	q.Add(Fault{Method: "PUT", Path: "/a/*", Status: 500, Count: 2}, Fault{Status: 503})
	for i, want := range []int{500, 500, 503, 0} {
		f, ok := q.Take("put", "/a/b")
		if f.Status != want || ok != (want != 0) {
			t.Fatalf("take %d: %+v %v; want %d", i, f, ok, want)
		}
	}
	q.Add(Fault{Method: "PUT", Status: 500})
	if _, ok := q.Take("GET", "/a/b"); ok {
		t.Fatal("GET took a PUT fault")
	}
	q.Clear()
	if _, ok := q.Take("PUT", "/a/b"); ok || q.Len() != 0 {
		t.Fatal("Clear kept a fault")
	}
}

// TestQueue_Concurrent: concurrent takers use each fault exactly Count
// times (for -race).
func TestQueue_Concurrent(t *testing.T) {
	var q Queue
	q.Add(Fault{Path: "/x*", Status: 500, Count: 300}, Fault{Path: "*", Status: 503, Count: 200})
	var n500, n503, none atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				f, ok := q.Take("GET", "/xy")
				switch {
				case !ok:
					none.Add(1)
				case f.Status == 500:
					n500.Add(1)
				default:
					n503.Add(1)
				}
				_ = q.List()
			}
		}()
	}
	wg.Wait()
	if n500.Load() != 300 || n503.Load() != 200 || none.Load() != 300 || q.Len() != 0 {
		t.Fatalf("500: %d, 503: %d, none: %d, left %d", n500.Load(), n503.Load(), none.Load(), q.Len())
	}
}

// FuzzDecode: an admin body never panics the decoder; what it accepts
// passes Check and survives a JSON round trip.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"method":"PUT","path":"/x/*","count":2,"status":503,"retryAfter":"5s"}`))
	f.Add([]byte(`[{"delay":"1ms"},{"drop":true}]`))
	f.Add([]byte(`{"status":503,"retryAftr":"5s"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range []Target{API, Token} {
			fs, err := Decode(body, target)
			if err != nil {
				continue
			}
			for _, x := range fs {
				if err := x.Check(target); err != nil {
					t.Fatalf("accepted %+v: %v", x, err)
				}
				b, err := json.Marshal(x)
				if err != nil {
					t.Fatal(err)
				}
				var back Fault
				if err := json.Unmarshal(b, &back); err != nil || back != x {
					t.Fatalf("round trip %s: %+v %v", b, back, err)
				}
			}
		}
	})
}
