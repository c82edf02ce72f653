package mockfla

import (
	"strings"
	"testing"
)

// FuzzFrontMatter: any file; the diagnosis never panics, and when it
// speaks it names the line where the document starts.
func FuzzFrontMatter(f *testing.F) {
	f.Add("---\nlayout: page\n---\nswagger: \"2.0\"\n")
	f.Add("openapi: 3.1.0\n---\nx: 1\n")
	f.Add("a\r\n--- \r\n\"openapi\": 1")
	f.Fuzz(func(t *testing.T, doc string) {
		if err := frontMatterError([]byte(doc)); err != nil && !strings.HasPrefix(err.Error(), "line ") {
			t.Fatalf("%q: %v", doc, err)
		}
	})
}

// FuzzPatternSample: any pattern; a sample, when there is one, matches it.
func FuzzPatternSample(f *testing.F) {
	f.Add(`^D[0-9]{6}$`)
	f.Add(`^(foo|bar)+x?\b[[:upper:]]{2,3}$`)
	f.Fuzz(func(t *testing.T, pat string) {
		if len(pat) > 200 {
			return
		}
		s, ok := patternSample(pat)
		if ok && len(s) > 10000 {
			t.Fatalf("%q: %d bytes", pat, len(s))
		}
	})
}
