package mockfla

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Headers a response declares required are sent, so that Strict finds
// nothing missing: ETag a tag of the body, Location the path, any other a
// sample of its schema; on refusals too.
func TestGeneric_RequiredHeaders(t *testing.T) {
	const doc = `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {n: {type: integer}}}}}}
      responses:
        '201':
          description: created
          headers:
            X-Request-Id: {required: true, schema: {type: string, format: uuid}}
            X-Rate-Limit: {required: true, schema: {type: integer, minimum: 5}}
            X-Tags: {required: true, schema: {type: array, minItems: 2, items: {type: string, enum: [a]}}}
            X-Optional: {schema: {type: string}}
          content: {application/json: {schema: {type: object}}}
        '400':
          description: refused
          headers:
            X-Error-Code: {required: true, schema: {type: string, enum: [E1]}}
          content: {application/json: {schema: {type: object, required: [message], properties: {message: {type: string}}}}}
  /things/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200':
          description: ok
          headers:
            ETag: {required: true, schema: {type: string}}
            Content-Location: {required: true, schema: {type: string}}
          content: {application/json: {schema: {type: object, required: [id], properties: {id: {type: string}}}}}
`
	s, err := New(Config{Specs: []Spec{{Name: "x", Data: []byte(doc)}}, Strict: true, Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		method, path, body string
		status             int
		headers            map[string]string
	}{
		{"POST", "/things", `{"n":1}`, 201, map[string]string{"X-Request-Id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "X-Rate-Limit": "5", "X-Tags": "a,a", "X-Optional": "", "Location": "/things/1"}},
		{"POST", "/things", `{"n":"x"}`, 400, map[string]string{"X-Error-Code": "E1", "X-Request-Id": ""}},
		{"GET", "/things/7", "", 200, map[string]string{"ETag": `"f295b441"` /* CRC-32 of {"id":"7"} */, "Content-Location": "/things/7"}},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s %s = %d %s", c.method, c.path, rec.Code, rec.Body)
			continue
		}
		for k, want := range c.headers {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%s %s: %s = %q; want %q", c.method, c.path, k, got, want)
			}
		}
	}
}

// A client that names the id of what it creates gets it, once: a second
// POST with the same id is a 409 (POST creates, PUT replaces). A GET of a
// collection where something was stored at the collection's own path (a
// PUT of the whole collection) answers that.
func TestGeneric_CreateWithClientID(t *testing.T) {
	const doc = `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    put:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
    get:
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, required: [items], properties: {items: {type: array, items: {type: object}}}}}}}}
    post:
      requestBody: {content: {application/json: {schema: {type: object, required: [code], properties: {code: {type: string}, name: {type: string}}}}}}
      responses:
        '201': {description: created, content: {application/json: {schema: {type: object}}}}
        '409': {description: taken, content: {application/problem+json: {schema: {type: object}}}}
  /things/{code}:
    get:
      parameters: [{name: code, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {code: {type: string}, name: {type: string}}}}}}}
`
	s, err := New(Config{Specs: []Spec{{Name: "x", Data: []byte(doc)}}, Strict: true, Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, c := range []struct {
		method, path, body string
		status             int
		has, location      string
	}{
		{"POST", "/things", `{"code":"a-1","name":"first"}`, 201, `"code":"a-1"`, "/things/a-1"},
		{"GET", "/things/a-1", "", 200, `"name":"first"`, ""},
		{"POST", "/things", `{"code":"a-1","name":"again"}`, 409, `"detail":"code \"a-1\" already exists at /things/a-1; POST creates, PUT replaces"`, ""},
		{"GET", "/things", "", 200, `{"items":[{"code":"a-1","name":"first"}]}`, ""},
		{"PUT", "/things", `{"items":[],"note":"replaced as a whole"}`, 200, `"note"`, ""},
		{"GET", "/things", "", 200, `{"items":[],"note":"replaced as a whole"}`, ""},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.has) || rec.Header().Get("Location") != c.location {
			t.Errorf("step %d: %s %s = %d %s (Location %q)", i, c.method, c.path, rec.Code, rec.Body, rec.Header().Get("Location"))
		}
	}
}

// canonGet answers what http.Header.Get does for the canonical names the
// hot path reads.
func TestCanonGetIsGet(t *testing.T) {
	h := http.Header{}
	h.Add("content-type", "application/json")
	h.Add("Content-Type", "text/plain")
	h["Authorization"] = []string{}
	h.Set(HeaderTraceID, "t1")
	for _, key := range []string{"Content-Type", "Authorization", keyTraceID, keyRelatedTraceID} {
		if got, want := canonGet(h, key), h.Get(key); got != want {
			t.Errorf("canonGet(%q) = %q; want %q", key, got, want)
		}
	}
	if keyTraceID != "Belgov-Trace-Id" || keyRelatedTraceID != "Belgov-Related-Trace-Id" {
		t.Errorf("keys %q, %q", keyTraceID, keyRelatedTraceID)
	}
}
