package jsonstr

import (
	"encoding/json"
	"testing"
)

// sameAsMarshal fails t unless Append writes s as json.Marshal does.
func sameAsMarshal(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := Append([]byte("x"), s); string(got) != "x"+string(want) {
		t.Errorf("Append(%q) = %s; json.Marshal writes %s", s, got[1:], want)
	}
}

func TestAppend_SameAsMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "<a href='x'>&</a>", "\b\f\n\r\t\x00\x1f\x7f",
		"é ü € 😀", "line\u2028sep\u2029para", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate"} {
		sameAsMarshal(t, s)
	}
}

// TestSafe is json.Marshal's choice for every ASCII byte.
func TestSafe(t *testing.T) {
	for c := range Safe {
		b, _ := json.Marshal(string(rune(c)))
		if asIs := string(b) == `"`+string(rune(c))+`"`; asIs != Safe[c] {
			t.Errorf("byte %#x: Safe %v; json.Marshal writes %s", c, Safe[c], b)
		}
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\u2028", "\xff", "\"\\\n"} {
		f.Add(s)
	}
	f.Fuzz(sameAsMarshal)
}
