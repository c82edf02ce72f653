package mockfla

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/flamock/flamock/internal/jsonlimit"
)

// fastDepth is the deepest nesting parseJSON takes, flamock's one cap on
// JSON nesting; a deeper document goes to strictJSONSlow, which says so.
const fastDepth = jsonlimit.MaxDepth

// parseJSON is the one pass over a JSON body on the hot path: it parses
// data, checks that it is UTF-8, that no object has a key twice and that
// nothing but whitespace follows the value, and builds the value
// encoding/json would decode with UseNumber (map[string]any, []any,
// string, json.Number, bool, nil), nested at most jsonlimit.MaxDepth
// levels. It reports ok=false for anything it
// does not accept; the caller then asks strictJSON, which says what is
// wrong in the words users read. It never accepts what strictJSON refuses
// and then builds the same value (FuzzParseJSON).
//
// Strings without escapes share one copy of the body: one allocation for
// all of them.
func parseJSON(data []byte) (v any, ok bool) {
	return parseJSONText(string(data))
}

// parseJSONText is parseJSON of a body already in a string: its strings
// are slices of text.
func parseJSONText(text string) (v any, ok bool) {
	p := jsonParser{s: text}
	v, ok = p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.s)
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, bool) {
	p.space()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *jsonParser) literal(word string) bool {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return false
	}
	p.i += len(word)
	return true
}

func (p *jsonParser) object(depth int) (any, bool) {
	if depth > fastDepth {
		return nil, false
	}
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		key, ok := p.text()
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		m[key] = v
		if more, ok := p.next('}'); !ok || !more {
			return m, ok
		}
	}
}

// next takes the ',' or the closing byte after a member or an element:
// more is true after a ','.
func (p *jsonParser) next(closing byte) (more, ok bool) {
	p.space()
	if p.i >= len(p.s) {
		return false, false
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return true, true
	case closing:
		p.i++
		return false, true
	}
	return false, false
}

func (p *jsonParser) array(depth int) (any, bool) {
	if depth > fastDepth {
		return nil, false
	}
	p.i++ // [
	a := make([]any, 0)
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := p.next(']'); !ok || !more {
			return a, ok
		}
	}
}

// number takes a JSON number as it is written (json.Number).
func (p *jsonParser) number() (any, bool) {
	start := p.i
	if !p.numberEnd() {
		return nil, false
	}
	return json.Number(p.s[start:p.i]), true
}

// numberEnd moves p.i past the JSON number at p.i.
func (p *jsonParser) numberEnd() bool {
	s := p.s
	i := p.i
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	p.i = i
	return true
}

// str takes a string value at p.i (a '"'), as text does.
func (p *jsonParser) str() (any, bool) {
	t, ok := p.text()
	if !ok {
		return nil, false
	}
	return t, true
}

// text takes a string at p.i (a '"'): a slice of the body when it has no
// escape, else decoded as encoding/json does (a lone or broken surrogate
// becomes U+FFFD). A key is used as it is, never boxed in an any.
func (p *jsonParser) text() (string, bool) {
	t, _, ok := p.textRaw()
	return t, ok
}

// textRaw is text, and also reports whether the string as written is
// what json.Marshal writes for it (no escape, and no byte or rune it
// escapes: see jsonstr.Safe), so that it can be copied as it is.
func (p *jsonParser) textRaw() (t string, same, ok bool) {
	s := p.s
	start := p.i + 1
	i := start
	same = true
	for i < len(s) {
		for i < len(s) && strByte[s[i]]&strPlain != 0 {
			i++ // the common case: ASCII that needs no escape anywhere
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return s[start:i], same, true
		case c == '\\':
			t, ok := p.escaped(start, i)
			return t, false, ok
		case c < 0x20:
			return "", false, false
		case c < utf8.RuneSelf: // '<', '>', '&': valid, but escaped by json.Marshal
			same = false
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return "", false, false
			}
			if r == '\u2028' || r == '\u2029' {
				same = false
			}
			i += n
		}
	}
	return "", false, false
}

// strByte classifies the bytes of a JSON string: strPlain is printable
// ASCII that is neither a quote, a backslash nor one of json.Marshal's
// HTML escapes.
var strByte = func() (t [256]uint8) {
	for c := range utf8.RuneSelf {
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			t[c] |= strPlain
		}
	}
	return t
}()

const strPlain = 1

// escaped decodes the rest of a string that has an escape at esc.
func (p *jsonParser) escaped(start, esc int) (string, bool) {
	s := p.s
	b := make([]byte, 0, esc-start+16)
	b = append(b, s[start:esc]...)
	i := esc
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return string(b), true
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(s, i+2)
				if r < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2 := pairLow(s, i); r2 >= 0 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b = utf8.AppendRune(b, d)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return "", false
			}
			b = append(b, s[i:i+n]...)
			i += n
		}
	}
	return "", false
}

// pairLow is the \uXXXX at i, if there is one, else -1.
func pairLow(s string, i int) rune {
	if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
		return hex4(s, i+2)
	}
	return -1
}

// hex4 is the value of the four hex digits at i, or -1.
func hex4(s string, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
