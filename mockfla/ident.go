package mockfla

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/internal/beid"
)

// Kinds of Belgian identifier.
const (
	kindSSIN       = beid.KindSSIN
	kindEnterprise = beid.KindEnterprise
	kindEmployerID = beid.KindEmployerID
)

// identifierNames are the parameter and property names whose values are
// Belgian identifiers, checked by the official rules (package beid) in
// every document. They are the Belgif names. employerId is an enterprise
// number when it is a string (the FLA paths carry a KBO number under that
// name) and an NSSO employer number when it is an integer (the Belgif
// EmployerId type): see identifierKind.
var identifierNames = map[string]string{
	"ssin":               kindSSIN,
	"inss":               kindSSIN,
	"niss":               kindSSIN,
	"employerId":         kindEnterprise,
	"enterpriseNumber":   kindEnterprise,
	"providerId":         kindEnterprise,
	"trainingProviderId": kindEnterprise,
	"cbeNumber":          kindEnterprise,
}

// identifierKind is the kind of identifier a parameter carries, by its
// name and schema: an employerId (or any parameter whose schema is the
// Belgif EmployerId, by its $ref) typed integer is an NSSO employer number.
func identifierKind(name string, schema *openapi3.SchemaRef) string {
	integer := schema != nil && schema.Value != nil && schema.Value.Type.Is("integer")
	if integer && (name == "employerId" || strings.HasSuffix(schema.Ref, "/EmployerId")) {
		return kindEmployerID
	}
	return identifierNames[name]
}

// bodyIdentifierKind is the kind of identifier a body property holds, by
// its name and its JSON value (which the schema has already checked): an
// employerId that is a number is an NSSO employer number.
func bodyIdentifierKind(name string, v any) (kind, value string, ok bool) {
	kind = identifierNames[name]
	if kind == "" {
		return "", "", false
	}
	switch t := v.(type) {
	case string:
		return kind, t, true
	case json.Number:
		if kind == kindEnterprise && name == "employerId" {
			return kindEmployerID, t.String(), true
		}
	}
	return "", "", false
}

func checkIdentifier(kind, v string, now time.Time) (canonical string, err error) {
	switch kind {
	case kindSSIN:
		return v, beid.CheckSSIN(v, now)
	case kindEmployerID:
		_, err := beid.ParseEmployerID(v)
		return v, err
	}
	return beid.NormalizeEnterpriseNumber(v)
}

// identifiers checks SSINs (and BIS numbers) and enterprise numbers in the
// path, query, headers and body (400 badRequest with invalidInput issues),
// and puts the canonical form of path identifiers in c.canon.
func (s *Server) identifiers(c *call) *response {
	var issues []Issue
	c.canon = c.params
	copied := false
	now := s.cfg.Now()
	for key, kind := range c.op.idents {
		in, name := splitIdentKey(key)
		var v string
		var ok bool
		switch in {
		case "path":
			v, ok = c.params[name]
		case "query":
			q := c.r.URL.Query()
			_, ok = q[name]
			v = q.Get(name)
		case "header":
			v = c.r.Header.Get(name)
			ok = v != ""
		}
		if !ok {
			continue
		}
		canon, err := checkIdentifier(kind, v, now)
		if err != nil {
			issues = append(issues, Issue{Type: IssueInvalidInput, Title: titleInvalid, Detail: err.Error(), In: in, Name: name, Value: v})
			continue
		}
		if in == "path" && canon != v {
			if !copied {
				c.canon = maps(c.params)
				copied = true
			}
			c.canon[name] = canon
		}
	}
	// A body its compiled schema accepted holds no identifier property
	// when the schema allows none (cschema.identFree).
	if c.value != nil && (c.bodySchema == nil || !c.bodySchema.identFree) && hasBadIdentifier(c.value, now) {
		issues = append(issues, walkIdentifiers(c.value, "", now)...)
	}
	if len(issues) > 0 {
		slices.SortStableFunc(issues, func(a, b Issue) int { return cmpIssue(a, b) })
		c.layer("identifiers", false, strconv.Itoa(len(issues))+" invalid identifier(s)")
		return badRequest(issues)
	}
	c.layer("identifiers", true, "")
	return nil
}

func cmpIssue(a, b Issue) int {
	if d := issueOrder(a.In) - issueOrder(b.In); d != 0 {
		return d
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.Detail, b.Detail)
}

// issueOrder ranks where an issue is: path, query, header, body (anything
// else with path).
func issueOrder(in string) int {
	switch in {
	case "query":
		return 1
	case "header":
		return 2
	case "body":
		return 3
	}
	return 0
}

func splitIdentKey(k string) (in, name string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// hasBadIdentifier reports whether walkIdentifiers would find an invalid
// identifier in v, without building the names it reports (most bodies
// have none).
func hasBadIdentifier(v any, now time.Time) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if kind, sv, ok := bodyIdentifierKind(k, e); ok {
				if _, err := checkIdentifier(kind, sv, now); err != nil {
					return true
				}
				continue
			}
			if hasBadIdentifier(e, now) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasBadIdentifier(e, now) {
				return true
			}
		}
	}
	return false
}

// walkIdentifiers finds identifier properties anywhere in a decoded body.
func walkIdentifiers(v any, path string, now time.Time) []Issue {
	var out []Issue
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child := k
			if path != "" {
				child = path + "." + k
			}
			if kind, sv, ok := bodyIdentifierKind(k, t[k]); ok {
				if _, err := checkIdentifier(kind, sv, now); err != nil {
					out = append(out, Issue{Type: IssueInvalidInput, Title: titleInvalid, Detail: err.Error(), In: "body", Name: child, Value: t[k]})
				}
				continue
			}
			out = append(out, walkIdentifiers(t[k], child, now)...)
		}
	case []any:
		for i, e := range t {
			out = append(out, walkIdentifiers(e, path+"["+strconv.Itoa(i)+"]", now)...)
		}
	}
	return out
}
