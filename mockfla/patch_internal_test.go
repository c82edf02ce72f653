package mockfla

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, ok := decodeJSON([]byte(s))
	if !ok {
		t.Fatalf("not JSON: %s", s)
	}
	return v
}

func encode(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The examples of RFC 7396 Appendix A.
func TestMergePatch_RFC7396(t *testing.T) {
	cases := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, c := range cases {
		target := mustDecode(t, c.target)
		got := encode(t, mergePatch(target, mustDecode(t, c.patch)))
		if got != c.want {
			t.Errorf("merge %s with %s = %s; want %s", c.target, c.patch, got, c.want)
		}
		if again := encode(t, target); again != encode(t, mustDecode(t, c.target)) {
			t.Errorf("merge changed its target %s into %s", c.target, again)
		}
	}
}

// The examples of RFC 6902 Appendix A, and the exact errors a user reads.
func TestJSONPatch_RFC6902(t *testing.T) {
	cases := []struct{ target, patch, want, err string }{
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux"}]`, `{"baz":"qux","foo":"bar"}`, ""},
		{`{"foo":["bar","baz"]}`, `[{"op":"add","path":"/foo/1","value":"qux"}]`, `{"foo":["bar","qux","baz"]}`, ""},
		{`{"baz":"qux","foo":"bar"}`, `[{"op":"remove","path":"/baz"}]`, `{"foo":"bar"}`, ""},
		{`{"foo":["bar","qux","baz"]}`, `[{"op":"remove","path":"/foo/1"}]`, `{"foo":["bar","baz"]}`, ""},
		{`{"baz":"qux","foo":"bar"}`, `[{"op":"replace","path":"/baz","value":"boo"}]`, `{"baz":"boo","foo":"bar"}`, ""},
		{`{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`, `[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`,
			`{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`, ""},
		{`{"foo":["all","grass","cows","eat"]}`, `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`, `{"foo":["all","cows","eat","grass"]}`, ""},
		{`{"baz":"qux","foo":["a",2,"c"]}`, `[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2.0}]`, `{"baz":"qux","foo":["a",2,"c"]}`, ""},
		{`{"baz":"qux"}`, `[{"op":"test","path":"/baz","value":"bar"}]`, "",
			`json patch: operation 0: test "/baz": test failed: the value at "/baz" is not the expected one`},
		{`{"foo":"bar"}`, `[{"op":"add","path":"/child","value":{"grandchild":{}}}]`, `{"child":{"grandchild":{}},"foo":"bar"}`, ""},
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux","xyz":123}]`, `{"baz":"qux","foo":"bar"}`, ""},
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz/bat","value":"qux"}]`, "", `json patch: operation 0: add "/baz/bat": member "baz" does not exist`},
		{`{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10}]`, `{"/":9,"~1":10}`, ""},
		{`{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":"10"}]`, "", `json patch: operation 0: test "/~01": test failed: the value at "/~01" is not the expected one`},
		{`{"foo":["bar"]}`, `[{"op":"add","path":"/foo/-","value":["abc","def"]}]`, `{"foo":["bar",["abc","def"]]}`, ""},
		// Beyond the appendix: copy, root replacement, atomicity, bad documents.
		{`{"a":{"b":1}}`, `[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]`, `{"a":{"b":1},"c":{"b":2}}`, ""},
		{`{"a":1}`, `[{"op":"replace","path":"","value":[1]}]`, `[1]`, ""},
		{`{"a":1}`, `[{"op":"remove","path":"/a"},{"op":"remove","path":"/a"}]`, "", `json patch: operation 1: remove "/a": member "a" does not exist`},
		{`{"a":[1]}`, `[{"op":"replace","path":"/a/1","value":2}]`, "", `json patch: operation 0: replace "/a/1": index 1 is out of range (the array has 1 elements)`},
		{`{"a":[1]}`, `[{"op":"add","path":"/a/01","value":2}]`, "", `json patch: operation 0: add "/a/01": "01" is not an array index`},
		{`{"a":{"b":{}}}`, `[{"op":"move","from":"/a","path":"/a/b/c"}]`, "", `json patch: operation 0: move "/a/b/c": cannot move "/a" into its own child "/a/b/c"`},
		{`{}`, `{"op":"add"}`, "", `json patch: the document is not a JSON array of operations`},
		{`{}`, `[{"op":"add","path":"/a"}]`, "", `json patch: operation 0: "value" is missing (add)`},
		{`{}`, `[{"op":"frobnicate","path":"/a"}]`, "", `json patch: operation 0: unknown op "frobnicate" (want add, remove, replace, move, copy or test)`},
		{`{}`, `[{"op":"remove","path":"a"}]`, "", `json patch: operation 0: path: "a" is not a JSON Pointer (it must be empty or start with /)`},
		{`{}`, `[{"op":"remove","path":"/a~2"}]`, "", `json patch: operation 0: path: "/a~2" has a ~ not followed by 0 or 1`},
		{`{}`, `[{"op":"copy","path":"/a"}]`, "", `json patch: operation 0: "from" is missing or not a string (copy)`},
		{`{}`, `[7]`, "", `json patch: operation 0: not a JSON object`},
	}
	for _, c := range cases {
		target := mustDecode(t, c.target)
		ops, err := parseJSONPatch(mustDecode(t, c.patch))
		var got any
		if err == nil {
			got, err = applyJSONPatch(target, ops)
		}
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s on %s: err %v; want %s", c.patch, c.target, err, c.err)
			}
		} else if err != nil {
			t.Errorf("%s on %s: %v", c.patch, c.target, err)
		} else if g := encode(t, got); g != c.want {
			t.Errorf("%s on %s = %s; want %s", c.patch, c.target, g, c.want)
		}
		if again := encode(t, target); again != encode(t, mustDecode(t, c.target)) {
			t.Errorf("%s changed its target %s into %s", c.patch, c.target, again)
		}
	}
}

func TestJSONEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`1`, `1.0`, true}, {`1e2`, `100`, true}, {`9007199254740993`, `9007199254740992`, false},
		{`{"a":[1,{"b":null}]}`, `{"a":[1,{"b":null}]}`, true}, {`{"a":1}`, `{"a":1,"b":2}`, false},
		{`"1"`, `1`, false}, {`1e99999`, `1e99999`, true}, {`1e99999`, `10e99998`, false}, {`[]`, `{}`, false},
	} {
		if got := jsonEqual(mustDecode(t, c.a), mustDecode(t, c.b)); got != c.want {
			t.Errorf("jsonEqual(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// FuzzMergePatch: any target and patch; merging never panics, never changes
// its inputs, and is idempotent (RFC 7396 §1: applying it twice is once).
func FuzzMergePatch(f *testing.F) {
	f.Add(`{"a":"b","c":{"d":1}}`, `{"a":null,"c":{"e":[1,2]}}`)
	f.Add(`[1,2]`, `{"a":{"bb":{"ccc":null}}}`)
	f.Add(`{}`, `"x"`)
	f.Fuzz(func(t *testing.T, target, patch string) {
		tv, ok1 := decodeJSON([]byte(target))
		pv, ok2 := decodeJSON([]byte(patch))
		if !ok1 || !ok2 {
			return
		}
		before, beforeP := encode(t, tv), encode(t, pv)
		once := mergePatch(tv, pv)
		if encode(t, tv) != before || encode(t, pv) != beforeP {
			t.Fatalf("inputs changed")
		}
		if a, b := encode(t, once), encode(t, mergePatch(once, pv)); a != b {
			t.Fatalf("not idempotent: %s then %s", a, b)
		}
	})
}

// FuzzJSONPatch: any target and patch document; parsing and applying never
// panic, never change the target, and a failure names its operation.
func FuzzJSONPatch(f *testing.F) {
	f.Add(`{"foo":["all","grass","cows","eat"]}`, `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`)
	f.Add(`{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10},{"op":"copy","from":"","path":"/x"}]`)
	f.Add(`{"a":[1]}`, `[{"op":"add","path":"/a/-","value":{"b":[]}},{"op":"remove","path":"/a/0"},{"op":"replace","path":"","value":null}]`)
	f.Fuzz(func(t *testing.T, target, patch string) {
		tv, ok1 := decodeJSON([]byte(target))
		pv, ok2 := decodeJSON([]byte(patch))
		if !ok1 || !ok2 {
			return
		}
		before := encode(t, tv)
		ops, err := parseJSONPatch(pv)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "json patch: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		out, err := applyJSONPatch(tv, ops)
		if encode(t, tv) != before {
			t.Fatalf("target changed")
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "json patch: operation ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		encode(t, out)
	})
}
