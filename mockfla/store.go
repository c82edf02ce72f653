package mockfla

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// compactCopy returns body as compact JSON in a slice of its own, so a
// stored resource holds neither indentation nor the spare capacity of the
// request's read buffer. A body that is not JSON is copied as it is.
func compactCopy(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body))
	if err := json.Compact(&buf, body); err != nil {
		return bytes.Clone(body)
	}
	return bytes.Clone(buf.Bytes())
}

// storedForm is compactCopy(c.body), with what validation learnt about the
// body: compact JSON of its own is kept as it is, and valid JSON only loses
// its whitespace (what json.Compact removes) without a second syntax check.
func storedForm(c *call) []byte {
	switch c.form {
	case bodyCompact:
		return c.body
	case bodyValid:
		return stripSpace(c.body)
	}
	return compactCopy(c.body)
}

// stripSpace returns b, one valid JSON value, without the whitespace
// outside its strings, in a slice of its own.
func stripSpace(b []byte) []byte {
	n := 0
	scan := func(out []byte) {
		in, esc := false, false
		j := 0
		for _, ch := range b {
			switch {
			case esc:
				esc = false
			case in:
				if ch == '\\' {
					esc = true
				} else if ch == '"' {
					in = false
				}
			case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
				continue
			case ch == '"':
				in = true
			}
			if out != nil {
				out[j] = ch
			}
			j++
		}
		n = j
	}
	scan(nil)
	out := make([]byte, n)
	scan(out)
	return out
}

// serve is the last layer: the operation's computed answer (a profile's
// OpRule.Handle), else the resource semantics every operation shares
// (serveResource in resource.go).
func (s *Server) serve(c *call) *response {
	resp := s.answer(c)
	if c.storeErr != nil { // what the layer answered rests on a failed read
		return s.storeFailed(c, c.storeErr)
	}
	return resp
}

func (s *Server) answer(c *call) *response {
	if c.op.rule != nil && c.op.rule.Handle != nil {
		if a := c.op.rule.Handle(Call{s, c}); a.resp != nil {
			return a.resp
		}
		return problemResponse(problemFor(http.StatusInternalServerError, "mockfla: the profile's handler of "+c.op.id+" gave no answer"))
	}
	return s.serveResource(c)
}

// list answers a Belgif collection of the resources directly under key.
func (s *Server) list(c *call, key string) *response {
	var items []json.RawMessage
	for _, k := range s.store.children(c, key) {
		if b, ok := s.store.get(c, k); ok && json.Valid(b) {
			items = append(items, b)
		}
	}
	page, size := pageParams(c.r, s.cfg.PageSize)
	pageItems := pageOf(items, page, size)
	out := map[string]any{"items": pageItems}
	for k, v := range map[string]any{"page": page, "pageSize": size, "total": len(items), "totalItems": len(items)} {
		if slices.Contains(c.op.listProps, k) {
			out[k] = v
		}
	}
	addLinks(out, c.r.URL.Path, page, size, len(items), c.op.listProps)
	body, _ := json.Marshal(out)
	c.layer("store", true, strconv.Itoa(len(pageItems))+" of "+strconv.Itoa(len(items))+" under "+key)
	return &response{status: http.StatusOK, ctype: "application/json", body: body}
}
