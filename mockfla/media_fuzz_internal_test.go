package mockfla

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestAcceptable(t *testing.T) {
	json := []string{"application/json"}
	cases := []struct {
		accept  string
		offered []string
		want    bool
	}{
		{"application/json", json, true},
		{"application/JSON; charset=utf-8", json, true},
		{"*/*", json, true},
		{"application/*", json, true},
		{"text/*", json, false},
		{"application/xml", json, false},
		{"application/xml, application/json;q=0.1", json, true},
		{"application/json;q=0", json, false},
		{"application/json;q=0.000", json, false},
		{"application/json;q=abc", json, false},
		{"application/json", []string{"application/hal+json"}, true},
		{"application/hal+json", json, false},
		{"text/html", []string{"text/html"}, true},
		{"image/png", []string{"*/*"}, true},
		{"image/png", []string{"image/*"}, true},
		{"garbage", json, true}, // nothing readable: ignored (RFC 9110)
		{",,", json, true},
		{"", json, true},
	}
	for _, c := range cases {
		if got := acceptable(c.accept, c.offered); got != c.want {
			t.Errorf("acceptable(%q, %v) = %v; want %v", c.accept, c.offered, got, c.want)
		}
	}
}

// FuzzAcceptable: any Accept header is read without a panic; what accepts
// one offered type accepts it among others; */* accepts anything offered
// unless its q is 0.
func FuzzAcceptable(f *testing.F) {
	for _, s := range []string{"application/json", "*/*;q=0.1, application/xml", "text/*;q=0", "a/b;q=\"1\"", "application/json;q=1;q=0", "\x00/\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		one := acceptable(accept, []string{"application/json"})
		more := acceptable(accept, []string{"text/html", "application/json"})
		if one && !more {
			t.Fatalf("%q accepts application/json alone, not among others", accept)
		}
		if !acceptable(accept+", */*", []string{"x/y"}) && !strings.Contains(accept, ";") && !strings.Contains(accept, "\"") {
			t.Fatalf("%q, */* refuses x/y", accept)
		}
	})
}

const formSchemas = `
    Form:
      type: object
      required: [messageToPublish]
      properties:
        messageToPublish: {type: string}
        meta: {type: object, required: [subject], properties: {subject: {type: string, maxLength: 5}}}
        count: {type: integer}
        flag: {type: boolean}
        tags: {type: array, items: {type: string}}
        file: {type: string, format: binary}
`

func multipartBody(t testing.TB, parts ...[3]string) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p[0]+`"`)
		if p[1] != "" {
			h.Set("Content-Type", p[1])
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write([]byte(p[2]))
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestDecodeMultipart(t *testing.T) {
	doc := loadSchemas(t, "3.0.3", formSchemas)
	sch := doc.Components.Schemas["Form"].Value
	enc := map[string]*openapi3.Encoding{"meta": {ContentType: "application/json"}}
	ct, body := multipartBody(t,
		[3]string{"messageToPublish", "application/json", `{"a":1}`},
		[3]string{"meta", "", `{"subject":"hello"}`},
		[3]string{"count", "", "12"}, [3]string{"flag", "text/plain", "true"},
		[3]string{"tags", "", "a"}, [3]string{"tags", "", "b"},
		[3]string{"file", "application/pdf", "%PDF"}, [3]string{"other", "", "x"})
	form, issues := decodeMultipart(body, ct, sch, enc)
	if len(issues) != 0 {
		t.Fatalf("issues %v", issues)
	}
	want := `map[count:12 file:%PDF flag:true messageToPublish:{"a":1} meta:map[subject:hello] tags:[a b]]`
	if got := fmt.Sprint(form); got != want {
		t.Errorf("form %s; want %s", got, want)
	}
	bad := []struct {
		ctype string
		body  []byte
		want  string
	}{
		{"multipart/form-data", body, "header Content-Type: a multipart/form-data body needs a boundary parameter in its Content-Type"},
		{ct, []byte("--" + strings.TrimPrefix(ct, "multipart/form-data; boundary=") + "\r\nno colon here\r\n\r\nx"), "body: the body is not valid multipart/form-data: malformed MIME header: missing colon: \"no colon here\""},
	}
	ct2, body2 := multipartBody(t, [3]string{"meta", "application/json", `{"subject":`}, [3]string{"messageToPublish", "text/xml", `<a/>`},
		[3]string{"meta", "application/xml", `<a/>`})
	bad = append(bad, struct {
		ctype string
		body  []byte
		want  string
	}{ct2, body2, "body meta: the part is not valid application/json: it ends before the JSON value does; body meta: the part is sent as application/xml; the operation takes it as application/json"})
	for _, b := range bad {
		_, issues := decodeMultipart(b.body, b.ctype, sch, enc)
		if got := issuesError(issues).Error(); got != b.want {
			t.Errorf("%q:\n got %s\nwant %s", b.body, got, b.want)
		}
	}
}

// FuzzDecodeMultipart: any body and Content-Type is read without a panic,
// into a form or issues that each name where they are.
func FuzzDecodeMultipart(f *testing.F) {
	doc := loadSchemas(f, "3.0.3", formSchemas)
	sch := doc.Components.Schemas["Form"].Value
	enc := map[string]*openapi3.Encoding{"meta": {ContentType: "application/json"}}
	ct, body := multipartBody(f, [3]string{"messageToPublish", "application/json", `{"a":1}`}, [3]string{"meta", "", `{"subject":"x"}`}, [3]string{"count", "", "1"})
	boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
	f.Add(boundary, body)
	f.Add(boundary, []byte("--"+boundary+"\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"subject\":1,\"subject\":2}\r\n--"+boundary+"--\r\n"))
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		form, issues := decodeMultipart(body, "multipart/form-data; boundary=\""+boundary+"\"", sch, enc)
		if form == nil && len(issues) == 0 {
			t.Fatal("no form and no issue")
		}
		for _, is := range issues {
			if is.Detail == "" || is.In == "" {
				t.Fatalf("issue without detail or place: %+v", is)
			}
		}
	})
}
