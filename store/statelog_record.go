package store

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
)

// A record's line: the CRC-32 (IEEE) of the JSON in 8 lowercase hex
// digits, a space, the record as encoding/json writes it, LF.

// record is one line of the state file, after its checksum.
type record struct {
	Op   string `json:"op"` // put, delete or reset
	Key  string `json:"key,omitempty"`
	Data []byte `json:"data,omitempty"` // base64 in JSON
}

// recordSize is the length of the line of a put record of key and data,
// within a few bytes; it estimates the size of a compact log.
func recordSize(key string, data []byte) int64 {
	return int64(len(key) + base64.StdEncoding.EncodedLen(len(data)) + 40)
}

// encodeRecord returns r's line.
func encodeRecord(r record) []byte {
	return appendRecord(make([]byte, 0, recordSize(r.Key, r.Data)+int64(len(r.Op))), r)
}

// appendRecord appends r's line to b: the bytes appendLine writes for
// json.Marshal(r) (TestAppendRecord_SameAsMarshal and its fuzz target hold
// it to that), without reflection or a copy of the JSON.
func appendRecord(b []byte, r record) []byte {
	start := len(b)
	b = append(b, "00000000 {\"op\":"...)
	js := start + 9
	b = appendJSONString(b, r.Op)
	if r.Key != "" {
		b = append(b, `,"key":`...)
		b = appendJSONString(b, r.Key)
	}
	if len(r.Data) > 0 {
		b = append(b, `,"data":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Data)
		b = append(b, '"')
	}
	b = append(b, '}')
	sum := crc(b[js:])
	hex.Encode(b[start:start+8], sum[:])
	return append(b, '\n')
}

// appendJSONString appends s as encoding/json writes a string (HTML
// characters escaped, invalid UTF-8 replaced): plain printable ASCII is
// copied, anything else goes through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string: cannot fail
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func crc(b []byte) [4]byte {
	v := crc32.ChecksumIEEE(b)
	return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// decodeRecord decodes one line without its LF.
func decodeRecord(line []byte) (record, bool) {
	var r record
	if len(line) < 10 || line[8] != ' ' {
		return r, false
	}
	var sum [4]byte
	want := crc(line[9:])
	if _, err := hex.Decode(sum[:], line[:8]); err != nil || !bytes.Equal(sum[:], want[:]) {
		return r, false
	}
	if json.Unmarshal(line[9:], &r) != nil {
		return r, false
	}
	switch r.Op {
	case "put", "delete":
		return r, r.Key != ""
	case "reset":
		return r, true
	}
	return r, false
}
