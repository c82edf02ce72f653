package mockfla

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

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
	for _, k := range s.store.children(c, key) {
		b, ok := s.store.get(c, k)
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
