package mockfla

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// This file applies the two JSON patch formats a PATCH operation of the
// generic profile accepts, to decoded JSON values (map[string]any, []any,
// string, json.Number, bool, nil): JSON Merge Patch (RFC 7396), the
// default, and JSON Patch (RFC 6902) when the operation declares
// application/json-patch+json. Both leave their inputs unchanged.

// Media types of the two patch formats.
const (
	mediaMergePatch = "application/merge-patch+json"
	mediaJSONPatch  = "application/json-patch+json"
)

// mergePatch applies an RFC 7396 merge patch to target and returns the
// result: an object patch sets or (with null) removes members, recursively;
// any other patch replaces the target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return deepCopy(patch)
	}
	t, ok := target.(map[string]any)
	out := make(map[string]any, len(t)+len(p))
	if ok {
		for k, v := range t {
			out[k] = v // unchanged members are shared, never modified below
		}
	}
	for k, v := range p {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergePatch(out[k], v)
	}
	return out
}

// deepCopy copies the maps and slices of a decoded JSON value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// patchOp is one operation of an RFC 6902 JSON Patch document.
type patchOp struct {
	Op       string
	Path     string
	From     string
	Value    any
	hasValue bool
}

// patchError is why a JSON Patch document cannot be applied: Index is the
// operation (from 0; -1 for the document as a whole).
type patchError struct {
	Index  int
	Detail string
}

func (e *patchError) Error() string {
	if e.Index < 0 {
		return "json patch: " + e.Detail
	}
	return "json patch: operation " + strconv.Itoa(e.Index) + ": " + e.Detail
}

// parseJSONPatch reads a decoded RFC 6902 document: an array of operation
// objects, each with a known "op", a "path" (a JSON Pointer), a "from" for
// move and copy, a "value" (null allowed) for add, replace and test.
func parseJSONPatch(doc any) ([]patchOp, error) {
	list, ok := doc.([]any)
	if !ok {
		return nil, &patchError{Index: -1, Detail: "the document is not a JSON array of operations"}
	}
	ops := make([]patchOp, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, &patchError{Index: i, Detail: "not a JSON object"}
		}
		var op patchOp
		if op.Op, ok = m["op"].(string); !ok {
			return nil, &patchError{Index: i, Detail: `"op" is missing or not a string`}
		}
		if op.Path, ok = m["path"].(string); !ok {
			return nil, &patchError{Index: i, Detail: `"path" is missing or not a string`}
		}
		if _, err := splitPointer(op.Path); err != nil {
			return nil, &patchError{Index: i, Detail: "path: " + err.Error()}
		}
		op.Value, op.hasValue = m["value"]
		switch op.Op {
		case "add", "replace", "test":
			if !op.hasValue {
				return nil, &patchError{Index: i, Detail: `"value" is missing (` + op.Op + ")"}
			}
		case "move", "copy":
			if op.From, ok = m["from"].(string); !ok {
				return nil, &patchError{Index: i, Detail: `"from" is missing or not a string (` + op.Op + ")"}
			}
			if _, err := splitPointer(op.From); err != nil {
				return nil, &patchError{Index: i, Detail: "from: " + err.Error()}
			}
		case "remove":
		default:
			return nil, &patchError{Index: i, Detail: fmt.Sprintf("unknown op %q (want add, remove, replace, move, copy or test)", op.Op)}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// applyJSONPatch applies the operations in order to a copy of target; the
// first that fails stops it all (RFC 6902 §5) and target is unchanged.
func applyJSONPatch(target any, ops []patchOp) (any, error) {
	doc := deepCopy(target)
	for i, op := range ops {
		var err error
		switch op.Op {
		case "add":
			doc, err = pointerAdd(doc, op.Path, deepCopy(op.Value))
		case "remove":
			doc, _, err = pointerRemove(doc, op.Path)
		case "replace":
			if _, err = pointerGet(doc, op.Path); err == nil {
				doc, _, err = pointerRemove(doc, op.Path)
			}
			if err == nil {
				doc, err = pointerAdd(doc, op.Path, deepCopy(op.Value))
			}
		case "move":
			if op.From != op.Path && strings.HasPrefix(op.Path, op.From+"/") {
				err = fmt.Errorf("cannot move %q into its own child %q", op.From, op.Path)
				break
			}
			var v any
			if doc, v, err = pointerRemove(doc, op.From); err == nil {
				doc, err = pointerAdd(doc, op.Path, v)
			}
		case "copy":
			var v any
			if v, err = pointerGet(doc, op.From); err == nil {
				doc, err = pointerAdd(doc, op.Path, deepCopy(v))
			}
		case "test":
			var v any
			if v, err = pointerGet(doc, op.Path); err == nil && !jsonEqual(v, op.Value) {
				err = fmt.Errorf("test failed: the value at %q is not the expected one", op.Path)
			}
		default:
			err = fmt.Errorf("unknown op %q", op.Op)
		}
		if err != nil {
			return target, &patchError{Index: i, Detail: op.Op + " " + strconv.Quote(op.Path) + ": " + err.Error()}
		}
	}
	return doc, nil
}

// splitPointer splits an RFC 6901 JSON Pointer into its unescaped tokens.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("%q is not a JSON Pointer (it must be empty or start with /)", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if !strings.Contains(s, "~") {
			continue
		}
		for j := 0; j < len(s); j++ {
			if s[j] == '~' && (j+1 == len(s) || (s[j+1] != '0' && s[j+1] != '1')) {
				return nil, fmt.Errorf("%q has a ~ not followed by 0 or 1", p)
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// arrayIndex reads an array index token: "0" or digits without a leading
// zero, below n (or equal to n when end is allowed); "-" is n when end is.
func arrayIndex(tok string, n int, end bool) (int, error) {
	if tok == "-" && end {
		return n, nil
	}
	if tok == "" || len(tok) > 9 || (len(tok) > 1 && tok[0] == '0') || strings.Trim(tok, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	i, _ := strconv.Atoi(tok)
	if i > n || (i == n && !end) {
		return 0, fmt.Errorf("index %d is out of range (the array has %d elements)", i, n)
	}
	return i, nil
}

func pointerGet(doc any, p string) (any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("member %q does not exist", t)
			}
			cur = v
		case []any:
			i, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%q is below a value that is neither an object nor an array", t)
		}
	}
	return cur, nil
}

// pointerAdd adds v at p (RFC 6902 §4.1) and returns the new document; the
// maps and slices on the way are the caller's own copy.
func pointerAdd(doc any, p string, v any) (any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return doc, err
	}
	if len(toks) == 0 {
		return v, nil
	}
	return setIn(doc, toks, v)
}

func setIn(cur any, toks []string, v any) (any, error) {
	t := toks[0]
	last := len(toks) == 1
	switch c := cur.(type) {
	case map[string]any:
		if last {
			c[t] = v
			return c, nil
		}
		child, ok := c[t]
		if !ok {
			return cur, fmt.Errorf("member %q does not exist", t)
		}
		nv, err := setIn(child, toks[1:], v)
		if err == nil {
			c[t] = nv
		}
		return c, err
	case []any:
		i, err := arrayIndex(t, len(c), last)
		if err != nil {
			return cur, err
		}
		if last {
			return slices.Insert(c, i, v), nil
		}
		nv, err := setIn(c[i], toks[1:], v)
		if err == nil {
			c[i] = nv
		}
		return c, err
	}
	return cur, fmt.Errorf("%q is below a value that is neither an object nor an array", t)
}

// pointerRemove removes the value at p and returns the new document and
// the removed value.
func pointerRemove(doc any, p string) (any, any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return doc, nil, err
	}
	if len(toks) == 0 {
		return nil, doc, nil
	}
	return removeIn(doc, toks)
}

func removeIn(cur any, toks []string) (any, any, error) {
	t := toks[0]
	last := len(toks) == 1
	switch c := cur.(type) {
	case map[string]any:
		child, ok := c[t]
		if !ok {
			return cur, nil, fmt.Errorf("member %q does not exist", t)
		}
		if last {
			delete(c, t)
			return c, child, nil
		}
		nv, removed, err := removeIn(child, toks[1:])
		if err == nil {
			c[t] = nv
		}
		return c, removed, err
	case []any:
		i, err := arrayIndex(t, len(c), false)
		if err != nil {
			return cur, nil, err
		}
		if last {
			removed := c[i]
			return slices.Delete(c, i, i+1), removed, nil
		}
		nv, removed, err := removeIn(c[i], toks[1:])
		if err == nil {
			c[i] = nv
		}
		return c, removed, err
	}
	return cur, nil, fmt.Errorf("%q is below a value that is neither an object nor an array", t)
}

// jsonEqual compares two decoded JSON values (RFC 6902 §4.6): numbers by
// value, objects by members whatever their order, arrays element by element.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case string, bool, nil:
		return a == b
	}
	fa, oka := bigNumber(a)
	fb, okb := bigNumber(b)
	if !oka || !okb {
		na, _ := a.(json.Number)
		nb, _ := b.(json.Number)
		return na != "" && na == nb
	}
	return fa.Cmp(fb) == 0
}

func bigNumber(v any) (*big.Float, bool) {
	switch n := v.(type) {
	case json.Number:
		// big.ParseFloat of 1e999999999 takes long: such exponents compare
		// as text (the test op then needs the same spelling).
		if _, exp, ok := strings.Cut(strings.ToLower(string(n)), "e"); ok && len(strings.TrimLeft(exp, "+-0")) > 4 {
			return nil, false
		}
		f, _, err := big.ParseFloat(string(n), 10, 256, big.ToNearestEven)
		return f, err == nil
	case float64:
		return big.NewFloat(n), true
	case int:
		return new(big.Float).SetInt64(int64(n)), true
	case int64:
		return new(big.Float).SetInt64(n), true
	}
	return nil, false
}

// validateMergePatch validates an RFC 7396 merge patch against the body
// schema as a partial document: the schema's required properties do not
// apply to it, and a null (which removes a member) need not be allowed;
// those errors are left out. The rest (a wrong type, a value outside an
// enum or a pattern...) is refused here; the generic profile then checks
// the patched resource as a whole. No default is filled in: it would
// overwrite what is stored.
func (s *Server) validateMergePatch(c *call, in *openapi3filter.RequestValidationInput, rb *openapi3.RequestBody, ct *openapi3.MediaType) error {
	value, ok := c.decoded, c.decoded != nil
	if !ok {
		v, err := openapi3filter.JSONBodyDecoder(bytes.NewReader(c.body), c.r.Header, ct.Schema, nil)
		if err != nil {
			return &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: "failed to decode request body", Err: err}
		}
		value = v
	}
	opts := requestOptions(c)
	if err := partialErrors(ct.Schema.Value.VisitJSON(value, opts...), opts); err != nil {
		return &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: "doesn't match schema" + schemaIdentifier(ct.Schema), Err: err}
	}
	c.value = value
	if c.decoded != nil {
		c.form = bodyValid
	}
	return nil
}

// partialErrors leaves out of a schema error what a partial document may
// lack: a required property that is missing, a null; an allOf, anyOf or
// oneOf error is left out when all its leaf errors are. Nil when nothing
// is left.
func partialErrors(err error, opts []openapi3.SchemaValidationOption) error {
	var keep openapi3.MultiError
	for _, e := range flattenErrors(normalize2020(err)) {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			if missingProp.MatchString(se.Reason) || se.Value == nil {
				continue
			}
			if leaves := leafErrors(se, opts); len(leaves) > 0 && partialErrors(openapi3.MultiError(leaves), opts) == nil {
				continue
			}
		}
		keep = append(keep, e)
	}
	if len(keep) == 0 {
		return nil
	}
	return keep
}
