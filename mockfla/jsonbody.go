package mockfla

import (
	"bytes"
	"encoding/json"
	"io"
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
