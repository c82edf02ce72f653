package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// marshalLine is the line as the state file has always been written:
// the checksum of json.Marshal(r), a space, that JSON, LF.
func marshalLine(r record) []byte {
	j, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	sum := crc(j)
	line := hex.AppendEncode(nil, sum[:])
	line = append(line, ' ')
	line = append(line, j...)
	return append(line, '\n')
}

func TestAppendRecord_SameAsMarshal(t *testing.T) {
	for _, r := range []record{
		{Op: "put", Key: "/REST/careerpro-fla/v1/employers/403019261/employees/65111899801/calendarYears/2023/trainings", Data: benchTrainings},
		{Op: "put", Key: "/a", Data: []byte("1")},
		{Op: "put", Key: "/a", Data: []byte{}},
		{Op: "delete", Key: "/a"},
		{Op: "reset"},
		{Op: "put", Key: "/é/<script>&\"\\\x00\x7f\u2028", Data: []byte{0, 0xff, 0xfe}},
		{Op: "put", Key: "/bad\xffutf8", Data: []byte("x")},
		{Op: "", Key: "", Data: nil},
	} {
		want := marshalLine(r)
		if got := appendRecord([]byte("prefix"), r); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("appendRecord(%q):\n got %q\nwant %q", r, got, want)
		}
		if got := encodeRecord(r); !bytes.Equal(got, want) {
			t.Errorf("encodeRecord(%q):\n got %q\nwant %q", r, got, want)
		}
	}
}

// FuzzAppendRecord holds the hand-written encoder to json.Marshal's bytes,
// and checks that decodeRecord reads back what it wrote.
func FuzzAppendRecord(f *testing.F) {
	f.Add("put", "/a/b", []byte(`{"x":1}`))
	f.Add("delete", "/a/<b>&c", []byte(nil))
	f.Add("reset", "", []byte{0xff})
	f.Add("put", "/\u2028\xff\"\\", []byte("é"))
	f.Fuzz(func(t *testing.T, op, key string, data []byte) {
		r := record{Op: op, Key: key, Data: data}
		got, want := appendRecord(nil, r), marshalLine(r)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendRecord(%q):\n got %q\nwant %q", r, got, want)
		}
		back, ok := decodeRecord(got[:len(got)-1])
		_, wantOK := decodeRecord(want[:len(want)-1])
		if ok != wantOK {
			t.Fatalf("decodeRecord ok = %v, of json.Marshal's line %v", ok, wantOK)
		}
		if ok && (back.Op != op || !bytes.Equal(back.Data, data)) {
			t.Fatalf("decodeRecord = %q, want op %q data %q", back, op, data)
		}
	})
}
