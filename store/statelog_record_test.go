package store

import (
	"bytes"
	"encoding/base64"
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

func TestAppendBase64_SameAsStd(t *testing.T) {
	src := make([]byte, 200)
	for i := range src {
		src[i] = byte(i*37 + i*i*11) // every byte value is not needed: every 6-bit group is
	}
	for n := 0; n <= len(src); n++ {
		want := base64.StdEncoding.AppendEncode([]byte("x"), src[:n])
		if got := appendBase64([]byte("x"), src[:n]); !bytes.Equal(got, want) {
			t.Fatalf("appendBase64 of %d bytes:\n got %s\nwant %s", n, got, want)
		}
	}
	all := make([]byte, 256*3)
	for i := range all {
		all[i] = byte(i)
	}
	if got, want := appendBase64(nil, all), base64.StdEncoding.AppendEncode(nil, all); !bytes.Equal(got, want) {
		t.Fatalf("appendBase64 of every byte value:\n got %s\nwant %s", got, want)
	}
}
