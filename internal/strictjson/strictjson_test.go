package strictjson_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/strictjson"
	"github.com/flamock/flamock/internal/timetext"
)

type inner struct {
	Provider string `json:"provider"`
	From     timetext.Date
}

type body struct {
	Mandates []inner           `json:"mandates"`
	Delay    timetext.Duration `json:"delay"`
	Labels   map[string]inner  `json:"labels"`
	Skip     string            `json:"-"`
}

func TestDecode(t *testing.T) {
	var b body
	if err := strictjson.Decode([]byte(`{"mandates":[{"provider":"x","from":"2024-01-01"}],"DELAY":"1s"}`), &b); err != nil ||
		b.Mandates[0].Provider != "x" || !b.Mandates[0].From.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || b.Delay.D() != time.Second {
		t.Errorf("got %+v, %v; want the values, keys matched case-insensitively", b, err)
	}
	for in, want := range map[string]string{
		`{"mandates":[{"provder":"x"}]}`: `mandates[0]: unknown key "provder"`,
		`{"labels":{"a":{"x":1}}}`:       `labels.a: unknown key "x"`,
		`{"Skip":"x"}`:                   `unknown key "Skip"`,
		`{"x":1}`:                        `unknown key "x"`,
	} {
		err := strictjson.Decode([]byte(in), &body{})
		var uk *strictjson.UnknownKeyError
		if !errors.As(err, &uk) || err.Error() != want {
			t.Errorf("%s: got %v; want %s", in, err, want)
		}
	}
	if err := strictjson.Decode([]byte(`{} {}`), &body{}); !errors.Is(err, strictjson.ErrTrailing) {
		t.Errorf("trailing: got %v; want ErrTrailing", err)
	}
	if err := strictjson.Decode([]byte(`{"delay":5}`), &body{}); err == nil || err.Error() != `want a duration such as "1.5s" or "250ms", not 5` {
		t.Errorf("bad duration: got %v", err)
	}
	if err := strictjson.Decode([]byte(`[`), &body{}); err == nil {
		t.Error("malformed JSON: no error")
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	strictjson.Write(rec, 201, map[string]int{"a": 1})
	if rec.Code != 201 || rec.Body.String() != "{\"a\":1}\n" || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("got %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	rec = httptest.NewRecorder()
	strictjson.Write(rec, 200, make(chan int))
	if rec.Code != 500 {
		t.Errorf("unencodable: got %d; want 500", rec.Code)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"mandates":[{"provider":"x"}],"delay":"1s"}`)
	f.Add(`{"labels":{"a":{"x":1}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var b body
		_ = strictjson.Decode([]byte(s), &b) // never panics
	})
}
