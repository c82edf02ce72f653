package conformance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/flamock/flamock/conformance"
)

// The README renders the rule catalogue; this keeps that copy true.
func TestREADMERulesTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	begin := strings.Index(s, "<!-- rules:begin -->\n")
	end := strings.Index(s, "<!-- rules:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md lacks the <!-- rules:begin --> ... <!-- rules:end --> section")
	}
	var want strings.Builder
	if err := conformance.WriteRulesMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	if got := s[begin+len("<!-- rules:begin -->\n") : end]; got != want.String() {
		t.Errorf("the rules table in README.md differs from the catalogue; replace it with:\n%s", want.String())
	}
}
