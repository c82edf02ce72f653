package mockfla

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

var dateCases = []struct {
	s    string
	want bool
}{
	{"2023-03-06", true}, {"2024-02-29", true}, {"2023-02-29", false}, {"1900-02-29", false},
	{"2000-02-29", true}, {"0000-02-29", true}, {"9999-12-31", true}, {"2023-04-31", false},
	{"2023-04-30", true}, {"2023-13-01", false}, {"2023-00-10", false}, {"2023-01-00", false},
	{"2023-01-32", false}, {"2023-1-01", false}, {"2023-01-01 ", false}, {"2023-01-01\n", false},
	{"2023-01-01T00:00:00Z", false}, {"", false}, {"２023-01-01", false}, {"2023/01/01", false},
	{"-023-01-01", false}, {"+2023-01-01", false},
}

// isDate accepts what kin-openapi's "date" validator accepts, and only that.
func TestIsDate(t *testing.T) {
	kin := openapi3.SchemaStringFormats["date"]
	for _, tc := range dateCases {
		if got := isDate(tc.s); got != tc.want {
			t.Errorf("isDate(%q) = %v; want %v", tc.s, got, tc.want)
		}
		if kinOK := kin.Validate(tc.s) == nil; kinOK != tc.want {
			t.Errorf("kin-openapi's date(%q) = %v; the table says %v", tc.s, kinOK, tc.want)
		}
	}
}

// Only kin-openapi's own "date" validator is replaced: not its date-time,
// not one registered by someone else.
func TestKinDate(t *testing.T) {
	if !kinDate(openapi3.SchemaStringFormats["date"]) {
		t.Error(`kinDate(kin-openapi's "date") = false`)
	}
	mine := openapi3.NewCallbackValidator(func(string) error { return nil })
	for name, v := range map[string]openapi3.StringFormatValidator{
		"date-time": openapi3.SchemaStringFormats["date-time"],
		"byte":      openapi3.SchemaStringFormats["byte"],
		"callback":  mine,
		"regexp":    openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringDate),
		"nil":       nil,
	} {
		if kinDate(v) {
			t.Errorf("kinDate(%s) = true", name)
		}
	}
}

func FuzzIsDate(f *testing.F) {
	for _, tc := range dateCases {
		f.Add(tc.s)
	}
	kin := openapi3.SchemaStringFormats["date"]
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDate(s), kin.Validate(s) == nil; got != want {
			t.Fatalf("isDate(%q) = %v; kin-openapi says %v", s, got, want)
		}
	})
}
