package jsonlimit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func nested(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestCheckDepth(t *testing.T) {
	for _, tt := range []struct {
		name, doc string
		max       int
		want      string // error text; "" for none
	}{
		{"empty", "", 2, ""},
		{"scalar", `"x"`, 0, ""},
		{"object at the cap", `{"a":{"b":1}}`, 2, ""},
		{"object over the cap", `{"a":{"b":{}}}`, 2, "JSON nests deeper than 2 levels of objects and arrays (at byte 10)"},
		{"arrays over the cap", `[[[]]]`, 2, "JSON nests deeper than 2 levels of objects and arrays (at byte 2)"},
		{"siblings do not add up", `[[],[],{"a":1},[]]`, 2, ""},
		{"brackets in strings do not count", `{"a":"[[[{{{"}`, 1, ""},
		{"escaped quote stays in the string", `{"a":"\"[[["}`, 1, ""},
		{"escaped backslash ends before the quote", `{"a":"\\"}`, 1, ""},
		{"escaped backslash then bracket counts", `["\\",[]]`, 1, "JSON nests deeper than 1 levels of objects and arrays (at byte 6)"},
		{"unclosed string hides the rest", `["[[[[`, 1, ""},
		{"stray closers are ignored", `]]]}}}[[`, 1, "JSON nests deeper than 1 levels of objects and arrays (at byte 7)"},
		{"64 levels", nested("[", "]", 64, ""), MaxDepth, ""},
		{"65 levels", nested("[", "]", 65, ""), MaxDepth, "JSON nests deeper than 64 levels of objects and arrays (at byte 64)"},
		{"10,000 levels of claims", `{"x":` + nested("[", "]", 9999, "1") + `}`, MaxDepth, "JSON nests deeper than 64 levels of objects and arrays (at byte 68)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDepth(tt.doc, tt.max)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("CheckDepth(%.40q, %d) = %q, want %q", tt.doc, tt.max, got, tt.want)
			}
			if errB := CheckDepth([]byte(tt.doc), tt.max); (errB == nil) != (err == nil) {
				t.Fatalf("CheckDepth([]byte) = %v, string = %v; want the same", errB, err)
			}
			if err != nil && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("errors.Is(%v, ErrTooDeep) = false, want true", err)
			}
		})
	}
}

func TestCheckUsesMaxDepth(t *testing.T) {
	if err := Check(nested("{\"a\":", "}", MaxDepth, "1")); err != nil {
		t.Fatalf("Check(%d levels) = %v, want nil", MaxDepth, err)
	}
	var de *DepthError
	if err := Check(nested("{\"a\":", "}", MaxDepth+1, "1")); !errors.As(err, &de) || de.Max != MaxDepth {
		t.Fatalf("Check(%d levels) = %v, want a *DepthError with Max %d", MaxDepth+1, err, MaxDepth)
	}
}

// depthOf is the reference: the nesting depth encoding/json's tokenizer
// sees in a valid document.
func depthOf(doc []byte) int {
	dec := json.NewDecoder(bytes.NewReader(doc))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return deepest
		}
		if err != nil {
			return -1
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			deepest = max(deepest, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// FuzzCheckDepth: on any input CheckDepth neither panics nor disagrees
// between string and []byte; on valid JSON it refuses exactly the
// documents encoding/json's tokenizer finds deeper than the cap.
func FuzzCheckDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[[]]]`, `{"a":"[[[\"]]"}`, `["\\",[[]]]`, `{"a":[{"b":[{"c":1}]}]}`, `"\u005b"`, `[`, `]]`, "\"\\"} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, doc []byte, limit int) {
		limit = 1 + abs(limit)%8
		err := CheckDepth(doc, limit)
		if errS := CheckDepth(string(doc), limit); (errS == nil) != (err == nil) {
			t.Fatalf("string %v, []byte %v", errS, err)
		}
		if !json.Valid(doc) {
			return
		}
		if d := depthOf(doc); (d > limit) != (err != nil) {
			t.Fatalf("%q: encoding/json depth %d, cap %d, CheckDepth = %v", doc, d, limit, err)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func BenchmarkCheck(b *testing.B) {
	doc := []byte(`{"employer":{"id":"0123456749","name":"Entreprise \"Exemple\" [BE]"},"trainings":[` +
		strings.Repeat(`{"title":"Java {advanced}","hours":12,"period":{"start":"2025-01-01","end":"2025-02-01"}},`, 40) + `{}]}`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(doc); err != nil {
			b.Fatal(err)
		}
	}
}
