package mockfla

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// The request path decodes every JSON body into an any and, when the spec
// fills in defaults, encodes it again. encoding/json does both through
// reflection, which was a quarter of the CPU time of a PUT. decodeJSON and
// appendJSON are the same two conversions for the plain JSON subset that
// bodies are made of, with results byte-for-byte equal to encoding/json's
// (Decoder.UseNumber, as kin-openapi decodes; Marshal, as it encodes).
// Whatever they are not sure about they leave to encoding/json: decodeJSON
// reports ok=false and the caller decodes with kin-openapi's own decoder
// (so errors read exactly as before), and appendJSON hands odd leaves to
// json.Marshal.

// maxFastDepth bounds decodeJSON's recursion; deeper documents go to
// encoding/json, which has its own limit and error.
const maxFastDepth = 512

// decodeJSON decodes data, a whole JSON document, into the values
// encoding/json's Decoder with UseNumber gives an any: map[string]any, []any,
// json.Number, string, bool and nil. It reports ok=false for anything it does
// not handle itself: a syntax error, text after the value, a duplicate
// object name, invalid UTF-8, deep nesting. compact says data had no
// whitespace outside strings.
func decodeJSON(data []byte) (v any, compact, ok bool) {
	// One string for the whole document: names, strings and numbers are
	// slices of it, not an allocation each.
	d := jsonDecoder{data: string(data), compact: true}
	d.skipSpace()
	v, ok = d.value(0)
	if !ok {
		return nil, false, false
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, false, false
	}
	return v, d.compact, true
}

type jsonDecoder struct {
	data    string
	pos     int
	compact bool
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
			d.compact = false
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, bool) {
	if d.pos >= len(d.data) || depth > maxFastDepth {
		return nil, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, ok := d.str()
		return s, ok
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, false
}

func (d *jsonDecoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || d.data[d.pos:d.pos+len(lit)] != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

func (d *jsonDecoder) object(depth int) (any, bool) {
	d.pos++ // {
	m := map[string]any{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, true
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		if _, dup := m[k]; dup { // encoding/json v1 keeps the last, v2 refuses: leave it to them
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, bool) {
	d.pos++ // [
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, true
	}
	var buf [8]any // most arrays are short: one allocation of the right size
	a := buf[:0]
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			return append([]any(nil), a...), true
		default:
			return nil, false
		}
	}
}

// str reads a string at d.pos (its opening quote). Strings of printable
// ASCII and valid UTF-8 are taken as they are; a string with an escape is
// unquoted by encoding/json itself.
func (d *jsonDecoder) str() (string, bool) {
	start := d.pos
	i := start + 1
	escaped, ascii := false, true
	for ; i < len(d.data); i++ {
		c := d.data[i]
		switch {
		case c == '"':
			raw := d.data[start+1 : i]
			d.pos = i + 1
			if escaped {
				if !ascii {
					return "", false
				}
				var s string
				if json.Unmarshal([]byte(d.data[start:i+1]), &s) != nil {
					return "", false
				}
				return s, true
			}
			if !ascii && !utf8.ValidString(raw) {
				return "", false // encoding/json would replace the bad bytes
			}
			return raw, true
		case c == '\\':
			escaped = true
			i++ // skip the escaped byte; Unmarshal checks the escape
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// number reads a number with JSON's grammar and keeps its text, as
// Decoder.UseNumber does.
func (d *jsonDecoder) number() (any, bool) {
	start := d.pos
	n := validNumberPrefix(d.data[start:])
	if n == 0 {
		return nil, false
	}
	d.pos += n
	return json.Number(d.data[start:d.pos]), true
}

// validNumberPrefix returns the length of the JSON number at the start of b,
// 0 if there is none: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumberPrefix[T []byte | string](b T) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	return i
}

// marshalJSON returns what json.Marshal(v) returns, faster for the values
// decodeJSON makes.
func marshalJSON(v any) ([]byte, error) {
	return appendJSON(make([]byte, 0, 512), v)
}

// appendJSON appends json.Marshal(v) to dst: map[string]any, []any,
// json.Number, string, bool and nil are written here, with json.Marshal's
// rules (sorted names, HTML-safe escaping); any other value by json.Marshal.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if t {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendJSONString(dst, t), nil
	case json.Number:
		s := string(t)
		if s == "" {
			s = "0"
		}
		if validNumberPrefix(s) != len(s) {
			break // json.Marshal reports the error
		}
		return append(dst, s...), nil
	case map[string]any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		var buf [16]string
		keys := buf[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		var err error
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = appendJSON(dst, t[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		var err error
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSON(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendJSONString is encoding/json's string encoding with HTML escaping,
// as json.Marshal does it.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
