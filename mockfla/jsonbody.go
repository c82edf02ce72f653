package mockfla

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/flamock/flamock/internal/jsonlimit"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeJSON decodes data, a whole JSON document, the way kin-openapi's JSON
// body decoder does (encoding/json with UseNumber), so the value the schema
// visitor sees is the one kin-openapi would give it. It reports ok=false for
// anything that is not exactly one JSON value; the caller then lets
// kin-openapi's own decoder produce the error a user reads.
func decodeJSON(data []byte) (v any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // text after the value
	}
	return v, true
}

// isJSONMedia says a Content-Type is JSON: application/json or a +json type.
func isJSONMedia(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(strings.ToLower(ct), ";")
		mt = strings.TrimSpace(mt)
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// strictJSON checks that a request body is exactly one JSON value, in
// UTF-8, with no key twice in an object, which encoding/json (and so
// kin-openapi) would let through: it replaces invalid UTF-8 by U+FFFD,
// keeps the last of duplicate keys, and its stream decoder stops after the
// first value. It returns the decoded value (numbers as json.Number), or
// the issue that says what is wrong: invalid UTF-8, several values,
// trailing data after the value, a duplicate key, nesting deeper than
// jsonlimit.MaxDepth, or a syntax error (then syntax is true).
//
// A body parseJSON accepts is answered in one pass; any other goes to
// strictJSONSlow, which finds what is wrong.
func strictJSON(data []byte, media string) (v any, issue *Issue, syntax bool) {
	if v, ok := parseJSON(data); ok {
		return v, nil, false
	}
	return strictJSONSlow(data, media)
}

// strictJSONSlow is strictJSON with encoding/json: the reference
// parseJSON is held to, and the words of every refusal.
func strictJSONSlow(data []byte, media string) (v any, issue *Issue, syntax bool) {
	bad := func(name, detail string) *Issue {
		return &Issue{Type: IssueSchemaViolation, Title: titleSchema, In: "body", Name: name, Detail: detail}
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, bad("", fmt.Sprintf("the body is not valid UTF-8: byte 0x%02x at offset %d", data[off], off)), false
	}
	var deep *jsonlimit.DepthError
	if errors.As(jsonlimit.Check(data), &deep) {
		return nil, bad("", fmt.Sprintf("the body nests objects and arrays deeper than %d levels (at offset %d)", deep.Max, deep.Offset)), false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, bad("", "the body is not valid "+mediaName(media)+": it ends before the JSON value does"), true
		}
		return nil, bad("", "the body is not valid "+mediaName(media)+": "+clip(err.Error())), true
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		at := len(data) - len(rest)
		second := json.NewDecoder(bytes.NewReader(rest))
		var x any
		if second.Decode(&x) == nil {
			return nil, bad("", fmt.Sprintf("the body holds several JSON values; one is expected (the second begins at offset %d)", at)), false
		}
		return nil, bad("", fmt.Sprintf("the body has data after its JSON value, at offset %d: %q", at, clipBytes(rest, 20))), false
	}
	if members(v) != colons(data) {
		if path, key, ok := duplicateKey(data); ok {
			return nil, bad(jsonPathName(append(path, key)), fmt.Sprintf("duplicate key: the object has %q more than once", key)), false
		}
	}
	return v, nil, false
}

func clipBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// members counts the object members of a decoded value, all levels.
func members(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := len(x)
		for _, e := range x {
			n += members(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += members(e)
		}
		return n
	}
	return 0
}

// colons counts the colons outside strings of valid JSON: one per object
// member as written, so more than members(v) means a key came twice.
func colons(data []byte) int {
	n := 0
	in, esc := false, false
	for _, ch := range data {
		switch {
		case esc:
			esc = false
		case in:
			if ch == '\\' {
				esc = true
			} else if ch == '"' {
				in = false
			}
		case ch == '"':
			in = true
		case ch == ':':
			n++
		}
	}
	return n
}

// duplicateKey finds the first key that an object of data (valid JSON)
// has twice, with the path of that object.
func duplicateKey(data []byte) (path []string, key string, found bool) {
	type frame struct {
		object bool
		keys   map[string]bool
		index  int
		name   string // this container's name in its parent
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a number too large for a float64 is no error here
	var stack []*frame
	pathOf := func() []string {
		var p []string
		for _, f := range stack[1:] {
			p = append(p, f.name)
		}
		return p
	}
	expectKey := false
	var pendingName string
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", false
		}
		top := func() *frame {
			if len(stack) == 0 {
				return nil
			}
			return stack[len(stack)-1]
		}
		// The name this value has in its container.
		name := ""
		if f := top(); f != nil {
			if f.object {
				name = pendingName
			} else {
				name = strconv.Itoa(f.index)
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if f := top(); f != nil && !f.object {
					f.index++
				}
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, name: name})
				expectKey = t == '{'
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if f := top(); f != nil && f.object && expectKey {
				if f.keys[t] {
					if len(stack) == 0 {
						return nil, t, true
					}
					return pathOf(), t, true
				}
				f.keys[t] = true
				pendingName = t
				expectKey = false
				continue
			}
			if f := top(); f != nil && !f.object {
				f.index++
			}
		default:
			if f := top(); f != nil && !f.object {
				f.index++
			}
		}
		if f := top(); f != nil && f.object {
			expectKey = true
		}
		if len(stack) == 0 {
			return nil, "", false
		}
	}
}
