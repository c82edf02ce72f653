package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/internal/beid"
	"github.com/flamock/flamock/mockfla"
)

// identifierSamples are valid identifiers of each kind the engine checks,
// used for a parameter that has no example; identifierBroken break a
// check digit, refused by the engine's identifier layer.
var (
	identifierSamples = map[string]string{beid.KindSSIN: "85073003328", beid.KindEnterprise: "0403019261", beid.KindEmployerID: "123456749"}
	identifierBroken  = map[string]string{beid.KindSSIN: "85073003329", beid.KindEnterprise: "0403019262", beid.KindEmployerID: "123456748"}
)

// reqBuilder makes the requests of the operations of one document.
type reqBuilder struct {
	doc   *openapi3.T
	now   time.Time
	hints map[string]string
}

func newOperation(d mockfla.Document, path, method string, item *openapi3.PathItem, h Hints) Operation {
	op := item.Operations()[method]
	o := Operation{ID: opID(method, path, op), Document: d.Name, BasePath: d.BasePath, Method: method, Path: path, Success: successStatus(op), Statuses: statuses(op)}
	o.Secured, o.Scopes = security(d.Doc, op)
	b := reqBuilder{doc: d.Doc, now: h.Now(), hints: h.Params}
	params := parameters(item, op)
	vals := map[*openapi3.Parameter]string{}
	for _, p := range params {
		if (p.In == openapi3.ParameterInPath || p.In == openapi3.ParameterInQuery) && mockfla.IdentifierKind(p.Name, p.Schema) != "" {
			o.Identifiers = true
		}
		switch {
		case p.In == openapi3.ParameterInPath || (p.In == openapi3.ParameterInQuery && p.Required):
			vals[p] = b.paramValue(p)
		case p.Required && p.In == openapi3.ParameterInHeader && !standardHeader(p.Name):
			o.Unsupported = fmt.Sprintf("it needs the header %s, which the adapter contract does not carry", p.Name)
		case p.Required && p.In == openapi3.ParameterInCookie:
			o.Unsupported = fmt.Sprintf("it needs the cookie %s, which the adapter contract does not carry", p.Name)
		}
	}
	o.Valid.Path = render(path, vals)
	json, body := b.body(op)
	if body != nil {
		o.Valid.ContentType, o.Valid.Body = body.ctype, body.data
		if body.unsupported != "" && o.Unsupported == "" {
			o.Unsupported = body.unsupported
		}
	}
	if json != nil {
		if inv, why, ok := b.invalidBody(json.schema, json.value); ok {
			data, _ := jsonMarshal(inv)
			o.Invalid = &Request{Path: o.Valid.Path, ContentType: o.Valid.ContentType, Body: data, Why: why}
		}
	}
	if o.Invalid == nil {
		o.Invalid = b.invalidParam(path, params, vals)
		if o.Invalid != nil {
			o.Invalid.ContentType, o.Invalid.Body = o.Valid.ContentType, o.Valid.Body
		}
	}
	return o
}

// parameters are the path item's parameters overridden by the
// operation's (same name and location).
func parameters(item *openapi3.PathItem, op *openapi3.Operation) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, ref := range list {
			p := ref.Value
			if p == nil {
				continue
			}
			out = slices.DeleteFunc(out, func(q *openapi3.Parameter) bool { return q.Name == p.Name && q.In == p.In })
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *openapi3.Parameter) int { return strings.Compare(a.In+a.Name, b.In+b.Name) })
	return out
}

func standardHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "accept", "content-type", "accept-language":
		return true
	}
	return false
}

// render fills the path template and adds the query parameters.
func render(path string, vals map[*openapi3.Parameter]string) string {
	q := url.Values{}
	for p, v := range vals {
		if p.In == openapi3.ParameterInPath {
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(v))
		} else {
			q.Set(p.Name, v)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path
}

// paramValue is a valid value of a parameter: the profile's hint, a
// Belgian identifier the engine accepts, the parameter's example, its
// schema's, else a synthesized one.
func (b reqBuilder) paramValue(p *openapi3.Parameter) string {
	var cands []any
	if h, ok := b.hints[p.Name]; ok {
		cands = append(cands, h)
	}
	if s, ok := identifierSamples[mockfla.IdentifierKind(p.Name, p.Schema)]; ok {
		cands = append(cands, s)
	}
	if p.Example != nil {
		cands = append(cands, p.Example)
	}
	if x, ok := p.Extensions["x-example"]; ok { // Swagger 2.0's parameter example
		cands = append(cands, x)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Examples)) {
		if ex := p.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			cands = append(cands, ex.Value.Value)
		}
	}
	for _, c := range cands {
		s := paramString(c)
		if s != "" && mockfla.CheckRequestValue(b.doc, p.Schema, asParam(p.Schema, s)) == nil {
			return s
		}
	}
	if s := paramString(mockfla.SampleRequestValue(b.doc, p.Schema, b.now)); s != "" {
		return s
	}
	return "1"
}

// paramString writes a JSON value as a parameter (arrays comma-separated).
func paramString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, paramString(e))
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// asParam reads a parameter's text as the engine decodes it for its
// schema: a number, a boolean, else the string.
func asParam(schema *openapi3.SchemaRef, s string) any {
	if schema == nil || schema.Value == nil {
		return s
	}
	t := schema.Value.Type
	switch {
	case t.Is("integer") || t.Is("number"):
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case t.Is("boolean"):
		if v, err := strconv.ParseBool(s); err == nil {
			return v
		}
	}
	return s
}

// jsonBody is a JSON request body: its schema and valid value.
type jsonBody struct {
	schema *openapi3.SchemaRef
	value  any
}

// bodyOut is the valid body of an operation.
type bodyOut struct {
	ctype       string
	data        []byte
	unsupported string
}

var formTypes = []string{"multipart/form-data", "application/x-www-form-urlencoded"}

// body makes the valid body: JSON where the operation takes it (the
// media type's example first), else a form's fields as a JSON object.
func (b reqBuilder) body(op *openapi3.Operation) (*jsonBody, *bodyOut) {
	if op.RequestBody == nil || op.RequestBody.Value == nil || len(op.RequestBody.Value.Content) == 0 {
		return nil, nil
	}
	rb := op.RequestBody.Value
	ctype := jsonMediaType(rb.Content)
	if ctype != "" {
		mt := rb.Content[ctype]
		v := b.example(mt)
		if v == nil {
			v = mockfla.SampleRequestValue(b.doc, mt.Schema, b.now)
		}
		data, _ := jsonMarshal(v)
		out := &bodyOut{ctype: ctype, data: data}
		switch ctype {
		case "*/*":
			out.ctype = "application/json"
		case "application/json":
		default:
			out.unsupported = "its body is " + ctype + "; the adapter contract sends application/json"
		}
		return &jsonBody{schema: mt.Schema, value: v}, out
	}
	for _, ft := range formTypes {
		if mt := rb.Content[ft]; mt != nil {
			data, _ := jsonMarshal(mockfla.SampleRequestValue(b.doc, mt.Schema, b.now))
			return nil, &bodyOut{ctype: ft, data: data, unsupported: "its body is " + ft + "; the adapter contract sends JSON bodies"}
		}
	}
	if rb.Required {
		ct := slices.Sorted(maps.Keys(rb.Content))[0]
		return nil, &bodyOut{ctype: ct, unsupported: "its body is " + ct + "; the adapter contract sends JSON bodies"}
	}
	return nil, nil
}

// jsonMediaType picks the JSON media type of a body: application/json,
// else another JSON type, else */*; "" for none.
func jsonMediaType(content openapi3.Content) string {
	if content["application/json"] != nil {
		return "application/json"
	}
	for _, k := range slices.Sorted(maps.Keys(content)) {
		if strings.HasSuffix(strings.ToLower(strings.SplitN(k, ";", 2)[0]), "json") {
			return k
		}
	}
	if content["*/*"] != nil {
		return "*/*"
	}
	return ""
}

// example is the media type's example that its schema accepts, or nil.
func (b reqBuilder) example(mt *openapi3.MediaType) any {
	var cands []any
	if mt.Example != nil {
		cands = append(cands, mt.Example)
	}
	for _, k := range slices.Sorted(maps.Keys(mt.Examples)) {
		if ex := mt.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			cands = append(cands, ex.Value.Value)
		}
	}
	for _, c := range cands {
		if mockfla.CheckRequestValue(b.doc, mt.Schema, c) == nil {
			return c
		}
	}
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
