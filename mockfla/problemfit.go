package mockfla

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// fitProblem makes an injected fault's problem fit the schema the spec of
// the operation it answers gives that status, so that the members Belgif
// adds (href, issues, limit, retryAfter, …) never make a body the spec
// rejects: when the schema (or one of its allOf parts) forbids additional
// properties, the members it does not declare are left out, and issues
// lose the members their item schema does not declare; an issue that lacks
// a member the item schema requires is left out. A schema that allows any
// property keeps the problem whole. Every other refusal is errorModel's,
// which shapes it to whatever error model the operation declares (it
// leaves injected faults alone).
func (s *Server) fitProblem(c *call, resp *response) *response {
	p := resp.problem
	if p == nil || resp.fault == "" {
		return resp
	}
	op := s.operationOf(c.r) // a fault may answer before routing
	rr := declaredResponse(op, resp.status)
	if rr == nil {
		return resp
	}
	mt := rr.Content.Get(resp.ctype)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return resp
	}
	fitted, changed := fit(*p, mt.Schema.Value)
	if !changed {
		return resp
	}
	body, err := json.Marshal(fitted)
	if err != nil { // cannot happen: Problem holds only JSON values
		return resp
	}
	out := *resp
	out.body, out.problem = body, &fitted
	return &out
}

// operationOf finds the operation of a request without routing it (no
// journal layer, no refusal): nil if there is none.
func (s *Server) operationOf(r *http.Request) *openapi3.Operation {
	path := r.URL.Path
	for _, m := range s.mounts {
		if m.base != "" && path != m.base && !strings.HasPrefix(path, m.base+"/") {
			continue
		}
		if rt, _, ok := m.fast.match(r); ok {
			return rt.Operation
		}
		if rt, _, err := m.router.FindRoute(r); err == nil {
			return rt.Operation
		}
		return nil
	}
	return nil
}

// shape is what a schema says of an object's members.
type shape struct {
	props    map[string]*openapi3.Schema
	closed   bool // additionalProperties: false somewhere
	required map[string]bool
}

func shapeOf(sch *openapi3.Schema) shape {
	sh := shape{props: map[string]*openapi3.Schema{}, required: map[string]bool{}}
	var walk func(sch *openapi3.Schema, depth int)
	walk = func(sch *openapi3.Schema, depth int) {
		if sch == nil || depth > 8 {
			return
		}
		for name, ref := range sch.Properties {
			if ref != nil && ref.Value != nil && sh.props[name] == nil {
				sh.props[name] = ref.Value
			}
		}
		for _, r := range sch.Required {
			sh.required[r] = true
		}
		if ap := sch.AdditionalProperties.Has; ap != nil && !*ap {
			sh.closed = true
		}
		for _, ref := range sch.AllOf {
			if ref != nil {
				walk(ref.Value, depth+1)
			}
		}
	}
	walk(sch, 0)
	return sh
}

func (sh shape) allows(name string) bool { return !sh.closed || sh.props[name] != nil }

// fit returns p fitted to sch, and whether anything was left out.
func fit(p Problem, sch *openapi3.Schema) (Problem, bool) {
	sh := shapeOf(sch)
	changed := false
	drop := func(name string, present bool, clear func()) {
		if present && !sh.allows(name) {
			clear()
			changed = true
		}
	}
	drop("href", p.Href != "", func() { p.Href = "" })
	drop("detail", p.Detail != "", func() { p.Detail = "" })
	drop("instance", p.Instance != "", func() { p.Instance = "" })
	drop("issues", len(p.Issues) > 0, func() { p.Issues = nil })
	drop("requiredScopes", len(p.RequiredScopes) > 0, func() { p.RequiredScopes = nil })
	drop("limit", p.Limit != 0, func() { p.Limit = 0 })
	drop("retryAfter", p.RetryAfter != "", func() { p.RetryAfter = "" })
	drop("retryAfterSec", p.RetryAfterSec != 0, func() { p.RetryAfterSec = 0 })
	if len(p.Issues) == 0 {
		return p, changed
	}
	arr := sh.props["issues"]
	if arr == nil || arr.Items == nil || arr.Items.Value == nil {
		return p, changed
	}
	ish := shapeOf(arr.Items.Value)
	out := make([]Issue, 0, len(p.Issues))
	for _, is := range p.Issues {
		fields := []struct {
			name    string
			present bool
			clear   func()
		}{
			{"type", is.Type != "", func() { is.Type = "" }},
			{"href", is.Href != "", func() { is.Href = "" }},
			{"title", is.Title != "", func() { is.Title = "" }},
			{"detail", is.Detail != "", func() { is.Detail = "" }},
			{"in", is.In != "", func() { is.In = "" }},
			{"name", is.Name != "", func() { is.Name = "" }},
			{"value", is.Value != nil, func() { is.Value = nil }},
			{"inputs", len(is.Inputs) > 0, func() { is.Inputs = nil }},
		}
		for _, f := range fields {
			if f.present && !ish.allows(f.name) {
				f.clear()
				changed = true
			}
		}
		if lacksRequired(is, ish.required) {
			changed = true
			continue
		}
		out = append(out, is)
	}
	if len(out) == 0 {
		out = nil
	}
	p.Issues = out
	return p, changed
}

// lacksRequired reports whether an issue lacks a member the schema requires.
func lacksRequired(is Issue, required map[string]bool) bool {
	for name := range required {
		var present bool
		switch strings.TrimSpace(name) {
		case "type":
			present = is.Type != ""
		case "href":
			present = is.Href != ""
		case "title":
			present = is.Title != ""
		case "detail":
			present = true // always written
		case "in":
			present = is.In != ""
		case "name":
			present = is.Name != ""
		case "value":
			present = is.Value != nil
		case "inputs":
			present = len(is.Inputs) > 0
		default:
			present = false
		}
		if !present {
			return true
		}
	}
	return false
}
