package mockfla

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// A call that matches no operation of a document has no operation to
// declare its error model; the document's own is what its operations
// declare for a 404. Its answer keeps its status (the resource is not
// there), in that model.

// documentNotFound is the response a document's operations declare for a
// 404, the first in path and method order: one that declares 404 (or 4XX),
// else one with a default response, else the nearest 4xx one declares (as
// a refused operation's 400, 401 or 403 keeps its status in the model of
// its nearest declared 4xx). nil: no operation declares any 4xx.
func documentNotFound(m *mount) *openapi3.Response {
	ops := make([]*operation, 0, len(m.ops))
	for _, o := range m.ops {
		ops = append(ops, o)
	}
	slices.SortFunc(ops, func(a, b *operation) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.method, b.method))
	})
	var best *openapi3.Response
	bestRank := 3
	for _, o := range ops {
		rs := o.validation.Responses
		if rs == nil {
			continue
		}
		rank, rr := 2, chooseError(o.validation, http.StatusNotFound).resp
		if r := rs.Status(http.StatusNotFound); r != nil && r.Value != nil {
			rank, rr = 0, r.Value
		} else if r := rs.Default(); r != nil && r.Value != nil {
			rank, rr = 1, r.Value
		}
		if rr != nil && rank < bestRank {
			best, bestRank = rr, rank
		}
	}
	return best
}

// documentError answers the 404 of a call that matched no operation of
// its document in the document's error model; resp as it is when the
// document declares none.
func (s *Server) documentError(c *call, resp *response) *response {
	if c.mount == nil || c.mount.notFound == nil || resp.problem == nil || resp.status != http.StatusNotFound {
		return resp
	}
	return s.inModel(c, c.mount.notFound, resp.status, *resp.problem, c.mount.doc.IsOpenAPI31OrLater(), resp.header)
}
