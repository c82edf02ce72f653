// Package strictjson is flamock's one strict reader of JSON admin bodies
// and its one writer of JSON answers. Decode takes exactly one JSON value
// and refuses a key that the Go type it decodes into does not have (an
// *UnknownKeyError, found by walking the value beside the type, never by
// reading encoding/json's error text) and trailing data (ErrTrailing).
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// MaxBody bounds an admin body read by ReadRequest.
const MaxBody = 1 << 20

// ErrTrailing is data after the one JSON value of a body.
var ErrTrailing = errors.New("trailing data after the JSON value")

// UnknownKeyError is a key the body's type does not have.
type UnknownKeyError struct {
	Path string // where the object is, e.g. "mandates[0]"; "" at the top
	Key  string // the key as sent
}

func (e *UnknownKeyError) Error() string {
	if e.Path == "" {
		return "unknown key " + strconv.Quote(e.Key)
	}
	return e.Path + ": unknown key " + strconv.Quote(e.Key)
}

// Decode reads data, one JSON value, into v (a pointer) strictly.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if dec.More() {
		return ErrTrailing
	}
	if t := reflect.TypeOf(v); t != nil && t.Kind() == reflect.Pointer {
		if err := walk(raw, t.Elem(), "", 0); err != nil {
			return err
		}
	}
	return json.Unmarshal(data, v)
}

// ReadRequest reads the request's body (at most MaxBody bytes) with Decode.
func ReadRequest(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return err
	}
	if len(data) > MaxBody {
		return fmt.Errorf("the body is larger than %d bytes", MaxBody)
	}
	return Decode(data, v)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walk checks the keys of the decoded value raw against type t.
func walk(raw any, t reflect.Type, path string, depth int) error {
	if depth > 64 {
		return nil // encoding/json refuses deeper values itself
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil // the type reads itself
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			return nil // a type error, which json.Unmarshal reports
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f, ok := fieldFor(fields, k)
			if !ok {
				return &UnknownKeyError{Path: path, Key: k}
			}
			if err := walk(m[k], f.Type, join(path, k), depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		list, _ := raw.([]any)
		for i, e := range list {
			if err := walk(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, _ := raw.(map[string]any)
		for k, e := range m {
			if err := walk(e, t.Elem(), join(path, k), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

type field struct {
	name string
	reflect.StructField
}

// jsonFields are the fields encoding/json decodes into, by JSON name,
// those of embedded structs included.
func jsonFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && !strings.HasPrefix(tag, "-,") {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name, f})
	}
	return out
}

// fieldFor finds the field of key as encoding/json does: the exact name,
// else one that differs only in case.
func fieldFor(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Write answers status with v as JSON (one line), not to be cached.
func Write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only a value no admin answer holds (a channel, NaN)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]any{"title": "Internal Server Error", "status": status, "detail": "cannot encode the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
