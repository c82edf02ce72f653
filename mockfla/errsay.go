package mockfla

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// How a refusal in an operation's own error model says why: each issue in
// an entry of the model's list (details, errors...) where one exists and
// its entries can name the input and the reason; else, in its message-like
// fields, the refusal's detail followed by every issue.

// issueList builds the entries of a details/errors/issues array of item
// schema item: one per issue something of the issue fits in. covered
// says whether every issue has an entry that names its input and reason.
func (g *synthesizer) issueList(item *openapi3.Schema, issues []Issue, depth int) ([]any, bool) {
	named := namesInputs(item)
	list := make([]any, 0, len(issues))
	covered := true
	for _, is := range issues {
		e, ef := g.errorValue(item, func(name string) []any { return issueCandidates(is, name, named) }, nil, depth)
		if ef.n == 0 {
			covered = false
			continue
		}
		if !mentions(e, is.Detail) || (is.Name != "" && !mentions(e, is.Name) && !mentions(e, jsonPointerOf(is.Name))) {
			covered = false
		}
		list = append(list, e)
	}
	return list, covered
}

// namesInputs reports whether an issue entry's schema has a property that
// names the input (field, path, pointer...).
func namesInputs(item *openapi3.Schema) bool {
	props := map[string]*openapi3.SchemaRef{}
	collect(item, props, 0)
	for k := range props {
		if kind := fieldKind(k); kind == "field" || kind == "pointer" {
			return true
		}
	}
	return false
}

// mentions reports whether a string of v contains sub.
func mentions(v any, sub string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, sub)
	case map[string]any:
		for _, e := range x {
			if mentions(e, sub) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if mentions(e, sub) {
				return true
			}
		}
	}
	return false
}

// summary is the refusal's detail followed by its issues, each with its
// input, name, reason and value: what a message says when the error model
// has no list of issues.
func (v *violation) summary() string {
	if len(v.p.Issues) == 0 {
		return v.p.Detail
	}
	var b strings.Builder
	b.WriteString(orTitle(v.p.Detail, v.p.Title))
	for i, is := range v.p.Issues {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(is.String())
		if is.Value != nil {
			if vb, err := json.Marshal(is.Value); err == nil && len(vb) <= 80 {
				b.WriteString(" (value ")
				b.Write(vb)
				b.WriteString(")")
			}
		}
	}
	return b.String()
}
