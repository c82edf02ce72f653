package mockfla

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// This file classifies operations for the resource semantics that every
// operation shares, whether or not a profile attached a rule to it (a rule
// adds checks and computed answers, OpRule.Handle; it never changes how a
// resource is stored, when a 404 is answered, or which error model
// answers). resource_serve.go answers with it, resource_list.go lists.
//
//   - a collection is a path C whose document also has C/{param} (the
//     item); POST to C creates an item, GET of C lists the stored items in
//     the response's own shape (an empty page when none);
//   - GET answers what is stored at the path, as the client sent it when
//     the success schema accepts it, else fitted to it; with nothing
//     stored, a 404 when the operation declares one and the resource is
//     truly absent (deleted; its collection holds other items; or a path
//     with parameters that the client writes with PUT and no collection of
//     the document lists), else the spec's example, else a body
//     synthesized from the response schema;
//   - PUT stores the body as the client sent it (compact JSON, the
//     client's key order, unless validation filled in defaults), with the item's id from its path added when the
//     resource has an id property the body leaves out; PATCH applies a
//     JSON merge patch (or a JSON Patch) and checks the result against the
//     resource's schema, DELETE removes;
//   - any other operation (a search POST, an action) answers its declared
//     success response.

// resourceKind is the role of an operation's path.
type resourceKind uint8

const (
	kindOther      resourceKind = iota // neither: a singleton, a search, an action
	kindCollection                     // C, where the document has C/{param}
	kindItem                           // C/{param}
)

// genericOp is what the resource semantics precompute about one operation.
type genericOp struct {
	kind       resourceKind
	collection string // item: the collection's template
	itemParam  string // item: the name of the last path parameter
	// resource is the schema of the resource (the item's GET response, else
	// its PUT body, else the POST body of its collection); nil if unknown.
	resource *openapi3.SchemaRef
	idProp   string // the property of resource that holds the item's id
	idKey    []byte // idProp as a JSON object key with its colon: "id":
	idSchema *openapi3.Schema
	// body is the schema of the request body, nil without a JSON one.
	body *openapi3.Schema
	// success is the success response's schema and ready answer (the
	// spec's example when valid, else a synthesized body).
	succSchema *openapi3.SchemaRef
	succBody   []byte
	declares   func(status int) bool
	location   bool // the success response declares a Location header
	oas31      bool
	// written: the path is a resource the client writes with PUT and no
	// collection of the document lists (a path with parameters): nothing
	// stored there is a 404 (when the operation declares one), not the
	// declared example.
	written bool
	// verbatim: whatever is stored at the path was checked against the
	// success schema itself (the path's PUT body is that schema, and
	// nothing else writes there), so it is answered without a second check.
	verbatim bool
}

// genericState is the resource semantics' run-time state of one Server.
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
	g := &genericOp{oas31: doc.IsOpenAPI31OrLater(), body: schemaOf(bodySchema(op))}
	g.declares = func(status int) bool {
		return op.Responses != nil && (op.Responses.Status(status) != nil || op.Responses.Default() != nil)
	}
	g.classify(doc, path, method, op)
	g.prepareSuccess(method, op, now)
	pi := doc.Paths.Value(path)
	if pi != nil && pi.Put != nil && strings.Contains(path, "{") {
		g.written = g.kind != kindItem || doc.Paths.Value(g.collection) == nil
	}
	if pi != nil && pi.Put != nil && pi.Patch == nil && g.succSchema != nil {
		put := schemaOf(bodySchema(pi.Put))
		createdHere := g.kind == kindItem && doc.Paths.Value(g.collection) != nil && doc.Paths.Value(g.collection).Post != nil
		g.verbatim = put != nil && put == g.succSchema.Value && !createdHere
	}
	return g
}

// classify finds the operation's role (collection, item, other), its
// resource schema and the resource's id property.
func (g *genericOp) classify(doc *openapi3.T, path, method string, op *openapi3.Operation) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	last := segs[len(segs)-1]
	switch {
	case isParam(last):
		g.kind, g.collection, g.itemParam = kindItem, strings.TrimSuffix(path, "/"+last), last[1:len(last)-1]
	case itemOf(doc, path) != "":
		g.kind = kindCollection
	}
	if g.kind == kindOther {
		return
	}
	item := path
	if g.kind == kindCollection {
		item = itemOf(doc, path)
	}
	g.resource = resourceSchema(doc, item)
	if g.kind == kindCollection && g.resource == nil && method == http.MethodPost {
		g.resource = bodySchema(op)
	}
	iseg := strings.Split(item, "/")
	param := strings.Trim(iseg[len(iseg)-1], "{}")
	g.idProp, g.idSchema = idProperty(g.resource, param, iseg[len(iseg)-2])
	if g.idProp != "" {
		k, _ := json.Marshal(g.idProp)
		g.idKey = append(k, ':')
	}
}

// prepareSuccess keeps the success response's schema and its ready answer:
// the spec's example when the schema accepts it, else a synthesized body.
func (g *genericOp) prepareSuccess(method string, op *openapi3.Operation, now time.Time) {
	suc := pickSuccess(method, op)
	if rr := op.Responses.Status(suc.status); rr != nil && rr.Value != nil {
		_, g.location = rr.Value.Headers["Location"]
		if mt := rr.Value.Content.Get(suc.ctype); mt != nil {
			g.succSchema = mt.Schema
		}
	}
	if suc.ctype == "" || suc.status == http.StatusNoContent {
		return
	}
	syn := &synthesizer{now: now, oas31: g.oas31}
	if !strings.Contains(suc.ctype, "json") {
		g.succBody = textBody(suc.ctype, suc.example, g.succSchema, syn)
		return
	}
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

// textBody is the ready answer of a success in a media type that is not
// JSON: the example's text (an example is kept JSON-encoded), else, for a
// text/html page, a minimal page, for other text, a sample of the string
// schema; nil (an empty body) for anything else (octet-stream, images).
func textBody(ctype string, example []byte, schema *openapi3.SchemaRef, syn *synthesizer) []byte {
	if ex, ok := decodeJSON(example); ok {
		if str, ok := ex.(string); ok {
			return []byte(str)
		}
	}
	media := strings.ToLower(ctype)
	switch {
	case strings.HasPrefix(media, "text/html"):
		return []byte("<!DOCTYPE html>\n<html><head><title>flamock</title></head><body></body></html>\n")
	case strings.HasPrefix(media, "text/"):
		if str, ok := syn.sample(schema).(string); ok {
			return []byte(str)
		}
	}
	return nil
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
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
