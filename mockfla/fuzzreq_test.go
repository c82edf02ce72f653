package mockfla_test

import (
	"io"
	"net/http"
	"strings"
)

// newFuzzRequest builds a server request like httptest.NewRequest, but
// returns an error instead of panicking on a path net/http cannot parse.
func newFuzzRequest(method, target, body string) (*http.Request, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://example.test"+target, rd)
	if err != nil {
		return nil, err
	}
	req.RequestURI = target
	req.RemoteAddr = "192.0.2.1:1234"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}
