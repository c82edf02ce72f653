package postgres

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// fullAPIEvent has every field of an API event set.
func fullAPIEvent(s string, d float64) journal.Event {
	return journal.Event{Seq: 42, Time: time.Date(2026, 12, 2, 19, 3, 4, 5006007, time.UTC), Kind: journal.KindAPI, API: &journal.API{
		RemoteAddr: "127.0.0.1:" + s, Method: "PUT", Path: "/a/" + s, Query: s, TokenInQuery: true, Operation: s,
		ClientID: s, Fingerprint: s, Layers: []journal.Layer{{Name: "route", Verdict: "pass", Detail: s}, {Name: s, Verdict: "fail"}},
		Verdict: journal.VerdictRejected, Status: 400, ProblemType: s, Issues: []string{s, "", "x"}, Fault: s, DurationMS: d,
		RequestBody: `{"a":"` + s + `"}`, ResponseBody: s,
	}}
}

func checkSameAsMarshal(t *testing.T, e journal.Event) {
	t.Helper()
	want, err := json.Marshal(e)
	got, ok := appendEvent([]byte("prefix"), e)
	if err != nil {
		if ok || string(got) != "prefix" {
			t.Fatalf("appendEvent = %q, %v; want the prefix alone and false (json.Marshal: %v)", got, ok, err)
		}
		return
	}
	if !ok || !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("appendEvent = %v\n%s\nwant json.Marshal's\n%s", ok, got[min(len(got), 6):], want)
	}
}

// appendEvent writes what json.Marshal writes, byte for byte, for every
// shape of event: fields empty and set, strings needing every escape,
// floats in both notations; and fails where json.Marshal fails.
func TestAppendEventSameAsMarshal(t *testing.T) {
	strs := []string{"", "plain", `"quoted" \back\ <html>&amp;`, "\x00\x01\b\f\n\r\t\x1f\x7f", "é ü 日本 \u2028\u2029 😀", "bad \xff\xfe utf8 \xe2\x82"}
	floats := []float64{0, 1, 0.125, 370.531, 1e-7, 1.5e-6, 123456789, 1e20, 1e21, 3.4e38, -2.5, -1e-9}
	for _, s := range strs {
		for _, d := range floats {
			checkSameAsMarshal(t, fullAPIEvent(s, d))
		}
	}
	bare := journal.Event{Kind: journal.KindAPI, API: &journal.API{}}
	checkSameAsMarshal(t, bare)
	bare.API.Layers, bare.API.Issues = []journal.Layer{}, []string{}
	checkSameAsMarshal(t, bare)
	checkSameAsMarshal(t, journal.Event{Seq: 1, Kind: journal.KindToken, Token: &journal.Token{ClientID: "c", Claims: map[string]any{"jti": "x"}}})
	checkSameAsMarshal(t, journal.Event{})
	for _, bad := range []journal.Event{fullAPIEvent("x", math.NaN()), fullAPIEvent("x", math.Inf(-1))} {
		checkSameAsMarshal(t, bad)
	}
	late := fullAPIEvent("x", 1)
	late.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	checkSameAsMarshal(t, late)
}

// appendEvent names every field of journal.Event, API and Layer: a field
// added there must be added to appendEvent too (this fails until it is).
func TestAppendEventKnowsEveryField(t *testing.T) {
	known := map[reflect.Type][]string{
		reflect.TypeFor[journal.Event](): {"seq", "time", "kind", "token", "api"},
		reflect.TypeFor[journal.API](): {"remoteAddr", "method", "path", "query", "tokenInQuery", "operation", "clientId", "tokenFingerprint",
			"layers", "verdict", "status", "problemType", "issues", "fault", "durationMs", "requestBody", "responseBody"},
		reflect.TypeFor[journal.Layer](): {"name", "verdict", "detail"},
	}
	for typ, want := range known {
		var got []string
		for f := range typ.Fields() {
			if f.IsExported() {
				name, _, _ := bytes.Cut([]byte(f.Tag.Get("json")), []byte(","))
				got = append(got, string(name))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v has the JSON fields %v; appendEvent knows %v: teach it the new ones", typ, got, want)
		}
	}
}

func FuzzAppendEvent(f *testing.F) {
	f.Add("plain", "", 370.531, int64(1764702184000000000))
	f.Add(`"<&>"\`, "\xff\u2028", 1e-7, int64(0))
	f.Add("\x00\t\n", "日本", 1e21, int64(-62135596800000000))
	f.Fuzz(func(t *testing.T, s, s2 string, d float64, ns int64) {
		e := fullAPIEvent(s, d)
		e.API.ResponseBody = s2
		e.API.Layers[1].Detail = s2
		e.Time = time.Unix(0, ns).UTC()
		checkSameAsMarshal(t, e)
	})
}

// BenchmarkEncodeEvent is one API call's event (a PUT's, with its 500-byte
// bodies) encoded by json.Marshal and by appendEvent into a reused buffer.
func BenchmarkEncodeEvent(b *testing.B) {
	e := fullAPIEvent("self_service_chaman_403019_loademploy", 370.531)
	body := string(bytes.Repeat([]byte(`{"name":"Safety","startDate":"2023-03-01"},`), 12))
	e.API.RequestBody, e.API.ResponseBody = body, body
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(e)
		}
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = appendEvent(buf[:0], e)
		}
	})
}
