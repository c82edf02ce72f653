package mockfla

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

var jsonSamples = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1`, `-1.5e+10`, `1E-7`, `12345678901234567890123`,
	`""`, `"a"`, `"é ü 中"`, `"\u00e9\n\t\"\\\/"`, `"\ud83d\ude00"`, `"\ud83d"`, `"<a&b>"`, "\"\u2028\u2029\"",
	`{"a":1,"b":[1,2,{"c":null}],"d":{"e":"f"}}`,
	" { \"a\" : [ 1 , 2 ] }\n",
	`{"a":1,"a":2}`, `{"a":1} x`, `{"a":1}}`, `[1,]`, `{"a":1,}`, `{"a"}`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`,
	`tru`, `truex`, `nul`, `[true false]`, `{"a":"b"` + "\x01" + `"}`, "\"\xff\"", "\"a\xffb\"", "\"\\u00e9\xc3\xa9\"",
	`{"trainings":[{"reference":"SAFETY-2023-01","name":"Safety at work","startDate":"2023-03-06","duration":{"value":3.8,"unit":"hours"}}]}`,
	"\ufeff{}", ``, ` `, `[[[[[[]]]]]]`, `{"\u0061":1,"a":2}`, `"\x"`, `"\u12"`,
	strings.Repeat("[", 600) + strings.Repeat("]", 600),
}

func stdDecode(data []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

func checkDecode(t *testing.T, data []byte) {
	v, compact, ok := decodeJSON(data)
	if !ok {
		return // left to encoding/json
	}
	want, err := stdDecode(data)
	if err != nil {
		t.Fatalf("decodeJSON(%q) = %#v; encoding/json fails: %v", data, v, err)
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("decodeJSON(%q) = %#v; encoding/json: %#v", data, v, want)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		t.Fatalf("Compact(%q): %v", data, err)
	}
	if compact != bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("decodeJSON(%q): compact = %v; Compact says otherwise", data, compact)
	}
	checkEncode(t, v)
}

func checkEncode(t *testing.T, v any) {
	got, err1 := marshalJSON(v)
	want, err2 := json.Marshal(v)
	if (err1 == nil) != (err2 == nil) || !bytes.Equal(got, want) {
		t.Fatalf("marshalJSON(%#v) = %s, %v; json.Marshal: %s, %v", v, got, err1, want, err2)
	}
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	handled := 0
	for _, s := range jsonSamples {
		if _, _, ok := decodeJSON([]byte(s)); ok {
			handled++
		}
		checkDecode(t, []byte(s))
	}
	if handled < 15 {
		t.Fatalf("only %d samples decoded by the fast path", handled)
	}
	for _, v := range []any{
		map[string]any{"b": 1.5, "a": []any{int64(3), json.Number("4"), nil, "x<y>&\x00\x1f\u2028\xff"}, "c": map[string]string{"z": "y"}},
		map[string]any(nil), []any(nil), json.Number(""), json.Number("1x"), math.Inf(1), 1e21, 1e-7, float32(0.1),
		map[string]any{"n": map[string]any{"k": []any{true, false, ""}}},
	} {
		checkEncode(t, v)
	}
}

func FuzzFastJSON(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}
