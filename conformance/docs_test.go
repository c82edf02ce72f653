package conformance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/flamock/flamock/conformance"
)

// docs/conformance.md renders the rule catalogue; this keeps that copy true.
func TestDocsRulesTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	begin := strings.Index(s, "<!-- rules:begin -->\n")
	end := strings.Index(s, "<!-- rules:end -->")
	if begin < 0 || end < begin {
		t.Fatal("docs/conformance.md lacks the <!-- rules:begin --> ... <!-- rules:end --> section")
	}
	var want strings.Builder
	if err := conformance.WriteRulesMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	if got := s[begin+len("<!-- rules:begin -->\n") : end]; got != want.String() {
		t.Errorf("the rules table in docs/conformance.md differs from the catalogue; replace it with:\n%s", want.String())
	}
}
