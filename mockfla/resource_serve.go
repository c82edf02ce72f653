package mockfla

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// prepareGeneric classifies every operation, with or without a profile
// rule: they all share the resource semantics.
func (s *Server) prepareGeneric() {
	for _, m := range s.mounts {
		for op, o := range m.ops {
			o.generic = newGenericOp(m.doc, o.path, o.method, op, s.cfg.Now())
		}
	}
}

// serveResource answers an operation that no profile rule computes the
// answer of (see the top of resource.go).
func (s *Server) serveResource(c *call) *response {
	g := c.op.generic
	key := c.op.key(c.canon)
	switch c.r.Method {
	case http.MethodGet:
		b, stored := s.store.get(c, key) // one read: a remote store's round trip each
		if g.kind == kindCollection && !stored {
			if c.op.list {
				return s.list(c, key) // a Belgif page: the FLA-era behaviour
			}
			return s.genericList(c, key)
		}
		if stored {
			c.layer("store", true, "read "+key)
			return s.render(c, b)
		}
		if g.kind != kindCollection && s.absent(c, key) {
			return s.missing(c, key)
		}
		return s.declared(c)
	case http.MethodPost:
		if g.kind == kindCollection && c.value != nil {
			return s.create(c, key)
		}
		return s.declared(c)
	case http.MethodPut:
		return s.write(c, key, s.putForm(c))
	case http.MethodPatch:
		return s.patch(c, key)
	case http.MethodDelete:
		found, err := s.store.delete(c, key)
		if err != nil {
			return s.storeFailed(c, err)
		}
		if !found && s.absent(c, key) {
			return s.missing(c, key)
		}
		s.gen.bury(key)
		c.layer("store", true, "deleted "+key)
		return s.declaredStatus(c)
	}
	return s.declared(c)
}

// absent reports whether the item at key is truly absent: the operation
// declares a 404 (or a default), and the item was deleted or its
// collection holds other items.
func (s *Server) absent(c *call, key string) bool {
	if !c.op.generic.declares(http.StatusNotFound) {
		return false
	}
	return c.op.generic.written || s.gen.buried(key) || len(s.store.children(c, parentOf(key))) > 0
}

func (s *Server) missing(c *call, key string) *response {
	c.layer("store", false, "nothing at "+key)
	return notFound(c, key, "")
}

// declared answers the declared success response: the example, else the
// synthesized body; an item's id property is set to the id in the path.
func (s *Server) declared(c *call) *response {
	g := c.op.generic
	suc := c.op.success
	c.layer("store", true, "declared answer")
	if suc.ctype == "" || suc.status == http.StatusNoContent || g.succBody == nil {
		return &response{status: suc.status, ctype: suc.ctype, body: g.succBody}
	}
	body := g.succBody
	if g.succSchema != nil && g.succSchema.Value != nil && g.kind != kindItem {
		// A page-shaped answer (a search): its links and totals, empty.
		if path, _ := arrayPath(g.succSchema.Value, 0); len(path) > 0 {
			if v, ok := decodeJSON(body); ok {
				if m, ok := v.(map[string]any); ok {
					syn := &synthesizer{now: s.cfg.Now(), oas31: g.oas31}
					page, size := pageParams(c.r, s.cfg.PageSize)
					fillPage(syn, g.succSchema.Value, m, c.r.URL.Path, page, size, 0)
					body, _ = json.Marshal(m)
				}
			}
		}
	}
	if g.kind == kindItem && g.idProp != "" && g.succSchema != nil && g.succSchema.Value != nil {
		if v, ok := decodeJSON(body); ok {
			if m, ok := v.(map[string]any); ok {
				if id, ok := idValue(g.idSchema, c.params[g.itemParam]); ok {
					m[g.idProp] = id
					syn := &synthesizer{now: s.cfg.Now(), oas31: g.oas31}
					if syn.valid(g.succSchema.Value, m) == nil {
						body, _ = json.Marshal(m)
					}
				}
			}
		}
	}
	return &response{status: suc.status, ctype: suc.ctype, body: body}
}

func (s *Server) declaredStatus(c *call) *response {
	suc := c.op.success
	if suc.ctype == "" || suc.status == http.StatusNoContent {
		return &response{status: suc.status}
	}
	return s.declared(c)
}

// idValue converts the id in a path to the id property's type.
func idValue(s *openapi3.Schema, raw string) (any, bool) {
	if raw == "" {
		return nil, false
	}
	if s != nil && (s.Type.Is("integer") || s.Type.Is("number")) {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return float64(n), true
		}
		return nil, false
	}
	return raw, true
}

// render answers a stored resource through the success response's schema:
// as it is when the schema accepts it, else fitted to it.
func (s *Server) render(c *call, stored []byte) *response {
	suc := c.op.success
	if suc.ctype == "" || suc.status == http.StatusNoContent {
		return &response{status: suc.status}
	}
	sch := c.op.generic.succSchema
	if sch == nil || sch.Value == nil || !strings.Contains(suc.ctype, "json") || c.op.generic.verbatim {
		return &response{status: suc.status, ctype: suc.ctype, body: stored}
	}
	v, ok := decodeJSON(stored)
	if !ok {
		return &response{status: suc.status, ctype: suc.ctype, body: stored}
	}
	syn := &synthesizer{now: s.cfg.Now(), oas31: c.op.generic.oas31}
	if syn.valid(sch.Value, v) == nil {
		return &response{status: suc.status, ctype: suc.ctype, body: stored}
	}
	b, _ := json.Marshal(syn.fit(sch.Value, v))
	return &response{status: suc.status, ctype: suc.ctype, body: b}
}

// fit makes v acceptable to s: v's members that s defines, over a sample
// of s; the sample alone when that is still refused.
func (g *synthesizer) fit(s *openapi3.Schema, v any) any {
	base := g.sample(&openapi3.SchemaRef{Value: s})
	m, ok := v.(map[string]any)
	if !ok {
		return base
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(s, props, 0)
	om, _ := deepCopy(base).(map[string]any)
	if om == nil {
		return base
	}
	for k, e := range m {
		ref := props[k]
		if ref == nil || ref.Value == nil {
			continue
		}
		if g.valid(ref.Value, e) == nil {
			om[k] = e
		} else if sub, ok := e.(map[string]any); ok {
			om[k] = g.fit(ref.Value, sub)
		}
	}
	if g.valid(s, om) == nil {
		return om
	}
	return base
}

// putForm is what a PUT stores: the body as the client sent it, compact
// (storedForm), with the item's id from its path added when the resource
// has an id property the body leaves out and the body's schema accepts
// the body with it. The body is never re-encoded: the client's key order
// and number forms are kept.
func (s *Server) putForm(c *call) []byte {
	b := storedForm(c)
	g := c.op.generic
	m, ok := c.value.(map[string]any)
	if !ok || g.kind != kindItem || g.idKey == nil || len(b) < 2 || b[0] != '{' {
		return b
	}
	if _, has := m[g.idProp]; has {
		return b
	}
	id, ok := idValue(g.idSchema, c.params[g.itemParam])
	if !ok {
		return b
	}
	enc, err := json.Marshal(id)
	if err != nil {
		return b
	}
	out := make([]byte, 0, len(b)+len(g.idKey)+len(enc)+1)
	out = append(out, '{')
	out = append(out, g.idKey...)
	out = append(out, enc...)
	if b[1] != '}' {
		out = append(out, ',')
	}
	out = append(out, b[1:]...)
	if g.body != nil {
		syn := &synthesizer{now: s.cfg.Now(), oas31: g.oas31, request: true}
		if dv, ok := decodeJSON(out); !ok || g.body.VisitJSON(dv, syn.options()...) != nil {
			return b
		}
	}
	return out
}

// write stores b at key (PUT, PATCH) and answers the success response.
func (s *Server) write(c *call, key string, b []byte) *response {
	replaced, err := s.store.put(c, key, b)
	if err != nil {
		return s.storeFailed(c, err)
	}
	s.gen.forget(key)
	verb := "created "
	if replaced {
		verb = "replaced "
	}
	c.layer("store", true, verb+key)
	resp := s.render(c, b)
	if !replaced && c.op.success.created != 0 {
		resp.status = c.op.success.created
	}
	return resp
}

// create stores a new item of the collection at key, with a generated id
// (or the one the body holds), and answers 201 with Location.
func (s *Server) create(c *call, key string) *response {
	g := c.op.generic
	m, ok := c.value.(map[string]any)
	if !ok {
		return s.declared(c)
	}
	m = deepCopy(m).(map[string]any)
	var id string
	if v, ok := m[g.idProp]; ok && g.idProp != "" {
		id = fmt.Sprint(v)
	}
	if id != "" && !strings.ContainsAny(id, "/?#") {
		if _, taken := s.store.get(c, key+"/"+url.PathEscape(id)); taken {
			c.layer("store", false, "already at "+key+"/"+id)
			return problemResponse(problemFor(http.StatusConflict, fmt.Sprintf("%s %q already exists at %s/%s; POST creates, PUT replaces", g.idProp, id, key, url.PathEscape(id))))
		}
	}
	if id == "" || strings.ContainsAny(id, "/?#") {
		id = s.newID(c, g.idSchema, key)
		if g.idProp != "" {
			if v, ok := idValue(g.idSchema, id); ok {
				m[g.idProp] = v
			}
		}
	}
	itemKey := key + "/" + url.PathEscape(id)
	setSelfLink(m, g.resource, itemKey)
	b, err := json.Marshal(m)
	if err != nil {
		return s.storeFailed(c, err)
	}
	if _, err := s.store.put(c, itemKey, b); err != nil {
		return s.storeFailed(c, err)
	}
	s.gen.forget(itemKey)
	c.layer("store", true, "created "+itemKey)
	resp := s.render(c, b)
	if resp.status == http.StatusCreated || g.location {
		resp.setHeader("Location", itemKey)
	}
	return resp
}

// setSelfLink sets a HAL _links.self.href when the resource schema has one.
func setSelfLink(m map[string]any, res *openapi3.SchemaRef, href string) {
	if res == nil || res.Value == nil {
		return
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(res.Value, props, 0)
	links := props["_links"]
	if links == nil || links.Value == nil || links.Value.Properties["self"] == nil {
		return
	}
	lm, _ := m["_links"].(map[string]any)
	if lm == nil {
		lm = map[string]any{}
	}
	lm["self"] = map[string]any{"href": href}
	m["_links"] = lm
}

var digitsRE = regexp.MustCompile(`[0-9]+`)

// newID returns an id the id property and the path accept, not yet used
// under the collection: a number, a UUID, or the pattern's sample with its
// last run of digits counting up.
func (s *Server) newID(c *call, sch *openapi3.Schema, collection string) string {
	syn := &synthesizer{now: s.cfg.Now()}
	for range 1000 {
		n := s.gen.seq.Add(1)
		cands := []string{strconv.FormatUint(n, 10), fmt.Sprintf("00000000-0000-4000-8000-%012d", n%1e12)}
		if sch != nil && sch.Pattern != "" {
			if p, ok := patternSample(sch.Pattern); ok {
				if locs := digitsRE.FindAllStringIndex(p, -1); len(locs) > 0 {
					l := locs[len(locs)-1]
					w := l[1] - l[0]
					num := fmt.Sprintf("%0*d", w, n)
					if len(num) == w {
						cands = append([]string{p[:l[0]] + num + p[l[1]:]}, cands...)
					}
				}
			}
		}
		if sch != nil && sch.Format == "uuid" {
			cands[0], cands[1] = cands[1], cands[0]
		}
		for _, id := range cands {
			v, ok := idValue(sch, id)
			if !ok || (sch != nil && syn.valid(sch, v) != nil) {
				continue
			}
			if _, used := s.store.get(c, collection+"/"+url.PathEscape(id)); !used {
				return id
			}
			break
		}
	}
	return strconv.FormatUint(s.gen.seq.Add(1), 10)
}

// patch applies the body to the stored item (or, when nothing is stored
// and the item is not truly absent, to what a GET would answer), checks
// the result against the resource's schema and stores it.
func (s *Server) patch(c *call, key string) *response {
	g := c.op.generic
	var base any
	if b, ok := s.store.get(c, key); ok {
		base, _ = decodeJSON(b)
	} else if s.absent(c, key) {
		return s.missing(c, key)
	} else if g.resource != nil {
		syn := &synthesizer{now: s.cfg.Now(), oas31: g.oas31}
		base = syn.sample(g.resource)
		if m, ok := base.(map[string]any); ok && g.idProp != "" {
			if id, ok := idValue(g.idSchema, c.params[g.itemParam]); ok {
				m[g.idProp] = id
			}
		}
	} else {
		base = map[string]any{}
	}
	var out any
	ctype, _, _ := strings.Cut(canonGet(c.r.Header, "Content-Type"), ";")
	if strings.EqualFold(strings.TrimSpace(ctype), mediaJSONPatch) {
		ops, err := parseJSONPatch(c.value)
		if err == nil {
			out, err = applyJSONPatch(base, ops)
		}
		if err != nil {
			c.layer("patch", false, err.Error())
			return badRequest([]Issue{{Type: IssueInvalidInput, Title: titleInvalid, Detail: err.Error(), In: "body"}})
		}
	} else {
		out = mergePatch(base, c.value)
	}
	if g.resource != nil && g.resource.Value != nil {
		syn := &synthesizer{now: s.cfg.Now(), oas31: g.oas31}
		if err := syn.valid(g.resource.Value, out); err != nil {
			issues := schemaIssues(Issue{Type: IssueSchemaViolation, Title: titleSchema, In: "body"}, err, "")
			for i := range issues {
				issues[i].Detail = "after the patch: " + issues[i].Detail
			}
			c.layer("patch", false, strconv.Itoa(len(issues))+" violation(s) in the patched resource")
			return badRequest(issues)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return s.storeFailed(c, err)
	}
	c.layer("patch", true, "")
	return s.write(c, key, b)
}
