package mockfla

import (
	"encoding/json"
	"github.com/flamock/flamock/internal/jsonlimit"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStrictJSON(t *testing.T) {
	for _, tc := range []struct{ body, name, detail string }{
		{`{"a":1} trailing garbage`, "", `the body has data after its JSON value, at offset 8: "trailing garbage"`},
		{`{"a":1}{"a":2}`, "", "the body holds several JSON values; one is expected (the second begins at offset 7)"},
		{"{\"a\":1}\n[2]", "", "the body holds several JSON values; one is expected (the second begins at offset 8)"},
		{"{\"a\":\"caf\xe9\"}", "", "the body is not valid UTF-8: byte 0xe9 at offset 9"},
		{`{"a":1,"b":2,"a":3}`, "a", `duplicate key: the object has "a" more than once`},
		{`{"t":[{"x":1},{"n":"a","m":{},"n":"b"}]}`, "t[1].n", `duplicate key: the object has "n" more than once`},
		{`[[],{"k":{"k":1,"j":[1,2],"k":2}}]`, "[1].k.k", `duplicate key: the object has "k" more than once`},
		{`{"a":`, "", "the body is not valid application/json: it ends before the JSON value does"},
		{`{"a" 1}`, "", "the body is not valid application/json: invalid character '1' after object key"},
		{`{"n":[1e400,{"a":1,"a":2}]}`, "n[1].a", `duplicate key: the object has "a" more than once`}, // a number no float64 holds hid it
		{`{"a":` + strings.Repeat(`[`, 64) + strings.Repeat(`]`, 64) + `}`, "", "the body nests objects and arrays deeper than 64 levels (at offset 68)"},
	} {
		v, is, _ := strictJSON([]byte(tc.body), "application/json")
		if is == nil {
			t.Errorf("%s: accepted as %v", tc.body, v)
			continue
		}
		if is.Detail != tc.detail || is.Name != tc.name || is.In != "body" || is.Type != IssueSchemaViolation {
			t.Errorf("%s:\n got %+v\nwant name %q detail %q", tc.body, *is, tc.name, tc.detail)
		}
	}
	for _, ok := range []string{`{}`, ` [1, "a:b", {"a":{"a":{"a":1}}}] `, `{"a":1,"b":{"a":1},"c":[{"a":1},{"a":1}]}`, `"x"`, `{"\"a":1,"a":2}`, `{"a\\":1,"a":2}`} {
		if _, is, _ := strictJSON([]byte(ok), "application/json"); is != nil {
			t.Errorf("%s refused: %+v", ok, *is)
		}
	}
}

// FuzzStrictJSON holds strictJSON to slow references: it accepts exactly
// the UTF-8, syntactically valid, single-value documents without a
// duplicate key, and then gives encoding/json's value; its fast duplicate
// test (members against colons) agrees with the slow search.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `[{"x":[1,{"y":2,"y":3}]}]`, `{"a":1} x`, `1 2`, "\"\xff\"", `{"a:":":"}`, `{"\\"":1,"\\"":2}`, ``, `  `, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		valid := json.Valid(data)
		v, is, syntax := strictJSON(data, "application/json")
		if syntax && (is == nil || !utf8.Valid(data) || valid) {
			t.Fatalf("%q: syntax = %v, issue %+v", data, syntax, is)
		}
		var dup bool
		if valid {
			_, _, dup = duplicateKey(data)
			if fast := members(strictRef(t, data)) != colons(data); fast != dup {
				t.Fatalf("%q: colons say duplicate=%v, the search says %v", data, fast, dup)
			}
		}
		want := utf8.Valid(data) && valid && !dup && jsonlimit.Check(data) == nil
		if (is == nil) != want {
			t.Fatalf("%q: issue %+v; want accepted=%v (utf8 %v, valid %v, duplicate %v)", data, is, want, utf8.Valid(data), valid, dup)
		}
		if is == nil && !reflect.DeepEqual(v, strictRef(t, data)) {
			t.Fatalf("%q: value %#v", data, v)
		}
		if is != nil && (is.Detail == "" || is.In != "body") {
			t.Fatalf("%q: issue %+v", data, is)
		}
	})
}

func strictRef(t *testing.T, data []byte) any {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%q: %v", data, err)
	}
	return v
}
