package mockfla

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/flamock/flamock/internal/jsonstr"
)

// marshalJSON is json.Marshal(v), byte for byte, for the values a JSON
// body decodes to (map[string]any, []any, string, json.Number, bool, nil,
// and anything else through json.Marshal itself), without reflection: the
// hot path re-encodes a body only when the schema filled in a default.
// FuzzMarshalJSON holds it to json.Marshal.
// Like json.Marshal, the result is a slice of its own (the scratch buffer
// goes back to a pool).
func marshalJSON(v any) ([]byte, error) {
	bp := encPool.Get().(*[]byte)
	b, err := appendJSON((*bp)[:0], v)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), b...)
	if cap(b) <= 64<<10 {
		*bp = b
		encPool.Put(bp)
	}
	return out, nil
}

var encPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return jsonstr.Append(b, x), nil
	case json.Number:
		if x == "" {
			return append(b, '0'), nil
		}
		if !validNumber(string(x)) {
			return json.Marshal(v) // its error
		}
		return append(b, x...), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, strings.Compare)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	p := jsonParser{s: s}
	_, ok := p.number()
	return ok && p.i == len(s)
}
