package mockfla

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var parseSeeds = []string{
	`{"a":1}`, `{"a":1,"a":2}`, `[{"x":[1,{"y":2,"y":3}]}]`, `{"a":1} x`, `1 2`, "\"\xff\"", `{"a:":":"}`, `{"\\"":1,"\\"":2}`, ``, `  `, `[`,
	`"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\udc00\ud800"`, `"\u00e9\n\t\/\b\f\r\\"`, `"\u12"`, `"\x"`,
	`-0`, `-01`, `0.`, `.5`, `1e`, `1E+2`, `-1.5e-07`, `1e400`, `[1,]`, `{"a":1,}`, `{,}`, `tru`, `nul`, `null `, "\ufeff{}",
	"\"a\x01\"", `{"a" : [ true , false , null ] }`, `[[[[[[[[[[]]]]]]]]]]`, `{"k":"é😀<&>\u2028"}`, `{"":0,"\u0000":1}`, `{"a":"\u0061","a":1}`,
	`{"trainings":[{"name":"x","startDate":"2023-01-01","duration":{"value":1.5,"unit":"hours"}}]}`,
}

// FuzzParseJSON holds the one-pass parser to encoding/json (strictJSONSlow):
// it accepts exactly what strictJSONSlow accepts and builds the same
// value.
func FuzzParseJSON(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, ok := parseJSON(data)
		want, issue, _ := strictJSONSlow(data, "")
		if ok != (issue == nil) {
			t.Fatalf("%q: parseJSON ok=%v; strictJSONSlow: %+v", data, ok, issue)
		}
		if ok && !reflect.DeepEqual(v, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", data, v, want)
		}
	})
}

func TestParseJSONSeeds(t *testing.T) {
	for _, s := range parseSeeds {
		v, ok := parseJSON([]byte(s))
		want, issue, _ := strictJSONSlow([]byte(s), "")
		if ok != (issue == nil) || ok && !reflect.DeepEqual(v, want) {
			t.Errorf("%q: parseJSON %#v, %v; strictJSONSlow %#v, %+v", s, v, ok, want, issue)
		}
	}
	deep := strings.Repeat("[", fastDepth) + strings.Repeat("]", fastDepth)
	if _, ok := parseJSON([]byte(deep)); !ok {
		t.Errorf("nesting %d refused", fastDepth)
	}
	if _, ok := parseJSON([]byte("[" + deep + "]")); ok {
		t.Errorf("nesting %d accepted", fastDepth+1)
	}
}

// FuzzMarshalJSON holds marshalJSON to json.Marshal, byte for byte, on
// decoded documents (numbers as json.Number and as float64).
func FuzzMarshalJSON(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, issue, _ := strictJSONSlow(data, "")
		if issue != nil {
			return
		}
		var fv any
		json.Unmarshal(data, &fv) // float64 numbers, invalid UTF-8 kept as U+FFFD
		for _, x := range []any{v, fv, map[string]any{"s": string(data), "f": fv}} {
			want, werr := json.Marshal(x)
			got, err := marshalJSON(x)
			if (err != nil) != (werr != nil) || string(got) != string(want) {
				t.Fatalf("%q: marshalJSON\n%s (%v)\njson.Marshal\n%s (%v)", data, got, err, want, werr)
			}
		}
	})
}
