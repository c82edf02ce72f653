package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"slices"

	"github.com/flamock/flamock/internal/jsonstr"
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
	b = jsonstr.Append(b, r.Op)
	if r.Key != "" {
		b = append(b, `,"key":`...)
		b = jsonstr.Append(b, r.Key)
	}
	if len(r.Data) > 0 {
		b = append(b, `,"data":"`...)
		b = appendBase64(b, r.Data)
		b = append(b, '"')
	}
	b = append(b, '}')
	sum := crc(b[js:])
	hex.Encode(b[start:start+8], sum[:])
	return append(b, '\n')
}

// base64Pairs holds, for each 12 bits, their two standard base64
// characters, the first in the low byte.
var base64Pairs = func() (t [4096]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	return t
}()

// appendBase64 appends src in standard base64, as
// base64.StdEncoding.AppendEncode does, 6 bytes at a time (a body's
// base64 was half the instructions of a durable Put). The last bytes
// start on a 3-byte boundary, so the standard encoder finishes them.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	si, di := 0, 0
	for ; len(src)-si >= 8; si, di = si+6, di+8 { // 8 bytes read, the first 6 encoded
		v := binary.BigEndian.Uint64(src[si:])
		binary.LittleEndian.PutUint64(out[di:], uint64(base64Pairs[v>>52])|
			uint64(base64Pairs[v>>40&0xfff])<<16|
			uint64(base64Pairs[v>>28&0xfff])<<32|
			uint64(base64Pairs[v>>16&0xfff])<<48)
	}
	base64.StdEncoding.Encode(out[di:], src[si:])
	return dst[:len(dst)+n]
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
