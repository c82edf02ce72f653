package mockfla

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// This file holds the generic profile's resource semantics, for every
// operation that a profile does not handle itself (see serveGeneric):
//
//   - a collection is a path C whose document also has C/{param} (the
//     item); POST to C creates an item, GET of C lists the stored items in
//     the response's own shape (an empty page when none);
//   - GET of an item answers what is stored, else the spec's example, else
//     a body synthesized from the response schema; 404 only when the
//     operation declares it and the item is truly absent (its collection
//     holds other items, or it was deleted);
//   - PUT replaces, PATCH applies a JSON merge patch (or a JSON Patch) and
//     checks the result against the resource's schema, DELETE removes;
//   - any other operation (a search POST, an action) answers its declared
//     success response.

// resourceKind is the role of an operation's path.
type resourceKind uint8

const (
	kindOther      resourceKind = iota // neither: a singleton, a search, an action
	kindCollection                     // C, where the document has C/{param}
	kindItem                           // C/{param}
)

// genericOp is what the generic profile precomputes about one operation.
type genericOp struct {
	kind       resourceKind
	collection string // item: the collection's template
	itemParam  string // item: the name of the last path parameter
	// resource is the schema of the resource (the item's GET response, else
	// its PUT body, else the POST body of its collection); nil if unknown.
	resource *openapi3.SchemaRef
	idProp   string // the property of resource that holds the item's id
	idSchema *openapi3.Schema
	// success is the success response's schema and ready answer (the
	// spec's example when valid, else a synthesized body).
	succSchema *openapi3.SchemaRef
	succBody   []byte
	declares   func(status int) bool
	location   bool // the success response declares a Location header
	oas31      bool
}

// genericState is the generic profile's run-time state of one Server.
type genericState struct {
	seq    atomic.Uint64 // generated ids
	errSeq atomic.Uint64 // ids of error answers
	mu     sync.Mutex
	// gone holds the keys of deleted items (bounded), so that a read after
	// a DELETE is a 404 even when the collection is now empty.
	gone map[string]struct{}
}

const maxGone = 10000

func (st *genericState) forget(key string) {
	st.mu.Lock()
	delete(st.gone, key)
	st.mu.Unlock()
}

func (st *genericState) bury(key string) {
	st.mu.Lock()
	if st.gone == nil || len(st.gone) >= maxGone {
		st.gone = map[string]struct{}{}
	}
	st.gone[key] = struct{}{}
	st.mu.Unlock()
}

func (st *genericState) buried(key string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.gone[key]
	return ok
}

func (st *genericState) reset() {
	st.mu.Lock()
	st.gone = nil
	st.mu.Unlock()
}

// newGenericOp classifies an operation of doc and precomputes its answers.
func newGenericOp(doc *openapi3.T, path, method string, op *openapi3.Operation, now time.Time) *genericOp {
	g := &genericOp{oas31: doc.IsOpenAPI31OrLater()}
	g.declares = func(status int) bool {
		return op.Responses != nil && (op.Responses.Status(status) != nil || op.Responses.Default() != nil)
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	last := segs[len(segs)-1]
	switch {
	case isParam(last):
		g.kind, g.collection, g.itemParam = kindItem, strings.TrimSuffix(path, "/"+last), last[1:len(last)-1]
	case itemOf(doc, path) != "":
		g.kind = kindCollection
	}
	item := path
	if g.kind == kindCollection {
		item = itemOf(doc, path)
	}
	if g.kind != kindOther {
		g.resource = resourceSchema(doc, item)
		if g.kind == kindCollection && g.resource == nil && method == http.MethodPost {
			g.resource = bodySchema(op)
		}
		iseg := strings.Split(item, "/")
		param := strings.Trim(iseg[len(iseg)-1], "{}")
		g.idProp, g.idSchema = idProperty(g.resource, param, iseg[len(iseg)-2])
	}
	suc := pickSuccess(method, op)
	if rr := op.Responses.Status(suc.status); rr != nil && rr.Value != nil {
		_, g.location = rr.Value.Headers["Location"]
		if mt := rr.Value.Content.Get(suc.ctype); mt != nil {
			g.succSchema = mt.Schema
		}
	}
	if suc.ctype != "" && suc.status != http.StatusNoContent {
		syn := &synthesizer{now: now, oas31: g.oas31}
		if suc.example != nil && g.succSchema != nil && g.succSchema.Value != nil {
			if ex, ok := decodeJSON(suc.example); ok && syn.valid(g.succSchema.Value, ex) == nil {
				g.succBody = suc.example
			}
		} else if suc.example != nil {
			g.succBody = suc.example
		}
		if g.succBody == nil && strings.Contains(suc.ctype, "json") {
			g.succBody, _ = json.Marshal(syn.sample(g.succSchema))
		}
	}
	return g
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// itemOf returns the item path C/{param} of a collection path C, or "".
func itemOf(doc *openapi3.T, path string) string {
	var out []string
	for p := range doc.Paths.Map() {
		if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(path, "/")+"/"); ok && isParam(rest) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return out[0]
}

// resourceSchema is the representation of the item at path: its GET
// answer, else its PUT body.
func resourceSchema(doc *openapi3.T, item string) *openapi3.SchemaRef {
	pi := doc.Paths.Value(item)
	if pi == nil {
		return nil
	}
	if pi.Get != nil && pi.Get.Responses != nil {
		for _, st := range []int{200, 203, 206} {
			if rr := pi.Get.Responses.Status(st); rr != nil && rr.Value != nil {
				if mt := jsonMedia(rr.Value.Content); mt != nil && mt.Schema != nil {
					return mt.Schema
				}
			}
		}
	}
	if pi.Put != nil {
		return bodySchema(pi.Put)
	}
	return nil
}

func bodySchema(op *openapi3.Operation) *openapi3.SchemaRef {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	if mt := jsonMedia(op.RequestBody.Value.Content); mt != nil {
		return mt.Schema
	}
	return nil
}

// jsonMedia is the application/json entry of content, else any JSON one.
func jsonMedia(c openapi3.Content) *openapi3.MediaType {
	if mt := c.Get("application/json"); mt != nil {
		return mt
	}
	for _, k := range sortedKeys(c) {
		if strings.Contains(k, "json") && !strings.Contains(k, "patch") {
			return c[k]
		}
	}
	return nil
}

// idProperty names the property of the resource schema that holds its
// id: the item's path parameter name, id, <singular of the collection>Id,
// identifier, uuid, key or reference, the first the schema has.
func idProperty(res *openapi3.SchemaRef, param, collection string) (string, *openapi3.Schema) {
	if res == nil || res.Value == nil {
		return "", nil
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(res.Value, props, 0)
	singular := strings.TrimSuffix(strings.TrimSuffix(collection, "s"), "e")
	for _, name := range []string{param, "id", strings.TrimSuffix(collection, "s") + "Id", singular + "Id", "identifier", "uuid", "key", "reference"} {
		if ref := props[name]; ref != nil && ref.Value != nil {
			return name, ref.Value
		}
	}
	return "", nil
}

// prepareGeneric classifies every operation that no profile rule handles.
func (s *Server) prepareGeneric() {
	for _, m := range s.mounts {
		for op, o := range m.ops {
			if o.rule == nil {
				o.generic = newGenericOp(m.doc, o.path, o.method, op, s.cfg.Now())
			}
		}
	}
}

// serveGeneric answers an operation of the generic profile.
func (s *Server) serveGeneric(c *call) *response {
	g := c.op.generic
	key := c.op.key(c.canon)
	switch c.r.Method {
	case http.MethodGet:
		if _, stored := s.store.Get(key); g.kind == kindCollection && !stored {
			if c.op.list {
				return s.list(c, key) // a Belgif page: the FLA-era behaviour
			}
			return s.genericList(c, key)
		}
		if b, ok := s.store.Get(key); ok {
			c.layer("store", true, "read "+key)
			return s.render(c, b)
		}
		if g.kind == kindItem && s.absent(c, key) {
			return s.missing(c, key)
		}
		return s.declared(c)
	case http.MethodPost:
		if g.kind == kindCollection && c.value != nil {
			return s.create(c, key)
		}
		return s.declared(c)
	case http.MethodPut:
		v := c.value
		if m, ok := v.(map[string]any); ok && g.kind == kindItem && g.idProp != "" && m[g.idProp] == nil {
			if id, ok := idValue(g.idSchema, c.params[g.itemParam]); ok {
				m = deepCopy(m).(map[string]any)
				m[g.idProp] = id // the item's id, from its path
				v = m
			}
		}
		b, err := json.Marshal(v)
		if v == nil || err != nil {
			b = storedForm(c)
		}
		return s.write(c, key, b)
	case http.MethodPatch:
		return s.patch(c, key)
	case http.MethodDelete:
		found, err := s.store.Delete(key)
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
	return s.gen.buried(key) || len(s.store.Children(parentOf(key))) > 0
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
	if sch == nil || sch.Value == nil || !strings.Contains(suc.ctype, "json") {
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

// write stores b at key (PUT, PATCH) and answers the success response.
func (s *Server) write(c *call, key string, b []byte) *response {
	replaced, err := s.store.Put(key, b)
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
		if _, taken := s.store.Get(key + "/" + url.PathEscape(id)); taken {
			c.layer("store", false, "already at "+key+"/"+id)
			return problemResponse(problemFor(http.StatusConflict, fmt.Sprintf("%s %q already exists at %s/%s; POST creates, PUT replaces", g.idProp, id, key, url.PathEscape(id))))
		}
	}
	if id == "" || strings.ContainsAny(id, "/?#") {
		id = s.newID(g.idSchema, key)
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
	if _, err := s.store.Put(itemKey, b); err != nil {
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
func (s *Server) newID(sch *openapi3.Schema, collection string) string {
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
			if _, used := s.store.Get(collection + "/" + url.PathEscape(id)); !used {
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
	if b, ok := s.store.Get(key); ok {
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
	ctype, _, _ := strings.Cut(c.r.Header.Get("Content-Type"), ";")
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

// genericList answers GET of a collection in the response's own shape:
// a sample of its schema whose array (top level, or the first array
// property found, HAL's _embedded included) holds a page of the stored
// items, with totals and links where the schema has them.
func (s *Server) genericList(c *call, key string) *response {
	g := c.op.generic
	suc := c.op.success
	syn := &synthesizer{now: s.cfg.Now(), oas31: g.oas31}
	sch := g.succSchema
	if sch == nil || sch.Value == nil || !strings.Contains(suc.ctype, "json") {
		return s.declared(c)
	}
	path, itemSchema := arrayPath(sch.Value, 0)
	if path == nil {
		return s.declared(c)
	}
	var all []any
	for _, k := range s.store.Children(key) {
		b, ok := s.store.Get(k)
		if !ok {
			continue
		}
		v, ok := decodeJSON(b)
		if !ok {
			continue
		}
		all = append(all, v)
	}
	page, size := pageParams(c.r, s.cfg.PageSize)
	items := slices.Clone(pageOf(all, page, size))
	if items == nil {
		items = []any{}
	}
	for i, v := range items { // only the page's items are fitted to the page's item schema
		if itemSchema != nil && syn.valid(itemSchema, v) != nil {
			items[i] = syn.fit(itemSchema, v)
		}
	}
	body := syn.sample(sch)
	if len(path) == 0 {
		body = items
	} else if m, ok := body.(map[string]any); ok {
		setAt(m, path, items)
		fillPage(syn, sch.Value, m, c.r.URL.Path, page, size, len(all))
	}
	b, _ := json.Marshal(body)
	c.layer("store", true, strconv.Itoa(len(items))+" of "+strconv.Itoa(len(all))+" under "+key)
	return &response{status: suc.status, ctype: suc.ctype, body: b}
}

// arrayNames are the usual names of a page's array, tried first.
var arrayNames = []string{"items", "_embedded", "content", "data", "results", "elements", "value", "entries", "records", "list"}

// arrayPath finds the array of a collection answer: nil path if none, an
// empty path when the answer is the array itself.
func arrayPath(s *openapi3.Schema, depth int) ([]string, *openapi3.Schema) {
	if typeOf(s) == "array" {
		var items *openapi3.Schema
		if s.Items != nil {
			items = s.Items.Value
		}
		return []string{}, items
	}
	if depth > 2 {
		return nil, nil
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(s, props, 0)
	names := sortedKeys(props)
	slices.SortStableFunc(names, func(a, b string) int {
		ia, ib := slices.Index(arrayNames, a), slices.Index(arrayNames, b)
		if ia < 0 {
			ia = len(arrayNames)
		}
		if ib < 0 {
			ib = len(arrayNames)
		}
		return ia - ib
	})
	for _, k := range names {
		ref := props[k]
		if ref == nil || ref.Value == nil || strings.HasPrefix(k, "_links") {
			continue
		}
		if sub, items := arrayPath(ref.Value, depth+1); sub != nil {
			return append([]string{k}, sub...), items
		}
	}
	return nil, nil
}

func setAt(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// fillPage sets the totals and links a page's schema has (top level, and
// HAL's _links), each only where the schema accepts it.
func fillPage(syn *synthesizer, s *openapi3.Schema, m map[string]any, path string, page, size, total int) {
	link := func(p int) string { return path + "?page=" + strconv.Itoa(p) + "&pageSize=" + strconv.Itoa(size) }
	links := map[string]string{"self": link(page), "first": link(1)}
	if page > 1 {
		links["prev"], links["previous"] = link(page-1), link(page-1)
	}
	if page*size < total {
		links["next"] = link(page + 1)
	}
	numbers := map[string]int{"total": total, "totalItems": total, "totalCount": total, "totalElements": total, "count": total,
		"page": page, "pageNumber": page, "pageSize": size, "size": size, "limit": size}
	try := func(into map[string]any, k string, v any, ps *openapi3.Schema) {
		if syn.valid(ps, v) == nil {
			into[k] = v
		}
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(s, props, 0)
	for k, ref := range props {
		if ref == nil || ref.Value == nil {
			continue
		}
		ps := ref.Value
		if n, ok := numbers[k]; ok {
			try(m, k, float64(n), ps)
		}
		if href, ok := links[k]; ok {
			try(m, k, href, ps)
			if _, set := m[k]; !set {
				try(m, k, map[string]any{"href": href}, ps)
			}
		}
		if k == "_links" || k == "links" {
			lm, _ := m[k].(map[string]any)
			if lm == nil {
				lm = map[string]any{}
			}
			lp := map[string]*openapi3.SchemaRef{}
			collect(ps, lp, 0)
			for name, href := range links {
				if r := lp[name]; r != nil && r.Value != nil {
					try(lm, name, map[string]any{"href": href}, r.Value)
					if _, set := lm[name]; !set {
						try(lm, name, href, r.Value)
					}
				}
			}
			m[k] = lm
		}
	}
	if syn.valid(s, m) != nil {
		// Leave the sample's own values where a filled one broke the whole.
		for k := range numbers {
			delete(m, k)
		}
		base, _ := syn.sample(&openapi3.SchemaRef{Value: s}).(map[string]any)
		for k, v := range base {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
	}
}
