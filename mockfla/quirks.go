package mockfla

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi3"
)

// This file names two problems of official Swagger 2.0 files clearly
// instead of letting them surface as a parser's puzzle: a front-matter
// block before the document, and a basePath with a placeholder.

// frontMatterError explains why a document that does not parse as OpenAPI
// or Swagger is probably preceded by a YAML front-matter block (a first
// YAML document, closed by a "---" line, before the one that holds the
// swagger or openapi field). It returns nil when that is not the case.
func frontMatterError(data []byte) error {
	lines := bytes.Split(data, []byte("\n"))
	lastMarker, content := 0, false
	for i, raw := range lines {
		line := strings.TrimRight(string(raw), " \t\r")
		n := i + 1
		switch {
		case line == "---" || strings.HasPrefix(line, "--- "):
			if content {
				lastMarker = n
			}
		case topLevelVersion(line):
			if lastMarker == 0 {
				return nil
			}
			return fmt.Errorf("line %d: the document starts here, after a front-matter block (lines 1-%d, closed by the \"---\" at line %d); "+
				"flamock reads a file that holds one OpenAPI or Swagger document: remove lines 1-%d", n, lastMarker, lastMarker, lastMarker)
		case line == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		default:
			content = true
		}
	}
	return nil
}

// topLevelVersion reports whether a line is the swagger or openapi field
// of a YAML document (at column 0).
func topLevelVersion(line string) bool {
	for _, k := range []string{"swagger:", "openapi:", `"swagger":`, `"openapi":`, "'swagger':", "'openapi':"} {
		if strings.HasPrefix(line, k) {
			return true
		}
	}
	return false
}

// dropUndefinedSecurity: a Swagger 2.0 file without securityDefinitions
// requires no token, even where it lists security requirements (published
// files often lose their definitions): the requirements, which name
// schemes that do not exist, are dropped.
func dropUndefinedSecurity(doc *openapi2.T) {
	if len(doc.SecurityDefinitions) > 0 {
		return
	}
	doc.Security = nil
	for _, item := range doc.Paths {
		if item == nil {
			continue
		}
		for _, op := range item.Operations() {
			op.Security = nil
		}
	}
}

// placeholderRE matches the placeholders of templated base paths:
// {name}, ${name}, @name@, <name>, %name%, {{name}}, and the $name and
// bare $ of some published files (/ebox/$domain/v$).
var placeholderRE = regexp.MustCompile(`\$?\{\{?[^/{}]*\}?\}|@[A-Za-z0-9_.-]+@|<[^/<>]*>|%[A-Za-z_][A-Za-z0-9_.-]*%|\$[A-Za-z0-9_.-]*`)

// basePathError explains why the base path of a document (its servers'
// first URL, or Swagger 2.0's basePath) cannot be used as it is, and how
// to mount the document anyway.
func basePathError(name, base string) error {
	if ph := placeholderRE.FindString(base); ph != "" {
		return fmt.Errorf("the document's base path %q holds the placeholder %s and cannot be used as it is; "+
			"choose where to mount it: --spec %s@/your/base/path (or basePath: in the configuration's specs)", base, ph, name)
	}
	return fmt.Errorf("the document's base path %q cannot be used as it is (it needs to start with / and hold no {, }, ?, # or empty segment); "+
		"choose where to mount it: --spec %s@/your/base/path (or basePath: in the configuration's specs)", base, name)
}

// rawServerPath returns the path of a server URL that url.Parse refuses
// (a placeholder in the host, say): what follows scheme://host.
func rawServerPath(raw string) string {
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return ""
		}
		rest = rest[j:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	if u, err := url.PathUnescape(rest); err == nil {
		rest = u
	}
	return rest
}

// unrequiredScheme returns the name of a token scheme (OAuth 2, OpenID
// Connect, HTTP bearer) that doc declares while no security requirement,
// the document's or an operation's, names any scheme: the document
// probably means a token to be required, but says so nowhere. "" when
// there is none (the first in name order when there are several).
func unrequiredScheme(doc *openapi3.T) string {
	if doc.Components == nil || len(doc.Security) > 0 {
		return ""
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) > 0 {
				return ""
			}
		}
	}
	for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		ss := ref.Value
		if ss.Type == "oauth2" || ss.Type == "openIdConnect" || (ss.Type == "http" && strings.EqualFold(ss.Scheme, "bearer")) {
			return name
		}
	}
	return ""
}

// startWarnings says, at start, what a document leaves unsaid that
// changes how it is served: a token scheme no operation requires, and the
// operations that declare no 400 (a bad request to them is still answered
// 400, in the model of their declared 4xx answers, else as a Belgif
// problem).
func (s *Server) startWarnings() {
	for _, m := range s.mounts {
		switch {
		case m.requireToken:
			s.log.Warn(fmt.Sprintf("%s declares the security scheme %s but no operation requires it; served requiring a valid token of that scheme on every operation (requireToken)", m.name, m.unrequired))
		case m.unrequired != "":
			s.log.Warn(fmt.Sprintf("%s declares the security scheme %s but no operation requires it (no security requirement): its operations are served without any token check; "+
				"to require a valid token anyway, set requireToken: true in the configuration or pass --require-token", m.name, m.unrequired))
		}
		if no400 := operationsWithout400(m); len(no400) > 0 {
			named := no400
			if len(named) > maxNamedOps {
				named = append(named[:maxNamedOps:maxNamedOps], fmt.Sprintf("and %d more", len(no400)-maxNamedOps))
			}
			s.log.Warn(fmt.Sprintf("%s: %d operation(s) declare no 400 response: %s; a bad request to them is answered 400 in the model of their declared 4xx answers (else as a Belgif problem)",
				m.name, len(no400), strings.Join(named, ", ")))
		}
	}
}

// maxNamedOps bounds the operations a start warning names.
const maxNamedOps = 12

// operationsWithout400 lists ("GET /a") the operations of m that declare
// neither a 400, nor 4XX, nor a default response.
func operationsWithout400(m *mount) []string {
	var out []string
	for _, o := range m.ops {
		rs := o.validation.Responses
		if rs != nil && (rs.Status(400) != nil || rs.Default() != nil) {
			continue
		}
		out = append(out, o.method+" "+o.path)
	}
	slices.Sort(out)
	return out
}
