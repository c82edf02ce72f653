package mockoauth

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// tokenResponse is the RFC 6749 §5.1 success body, in the field order
// clients have been seen to depend on (access_token before scope).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// writeToken writes the success body without reflection; the token is
// base64url and scopes are RFC 6749 scope-tokens, so neither needs escaping.
func writeToken(w http.ResponseWriter, t *tokenResponse) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	h["Pragma"] = hdrNoCache
	b := make([]byte, 0, 96+len(t.AccessToken)+len(t.Scope))
	b = append(b, `{"access_token":"`...)
	b = append(b, t.AccessToken...)
	b = append(b, `","scope":"`...)
	b = append(b, t.Scope...)
	b = append(b, `","token_type":"Bearer","expires_in":`...)
	b = strconv.AppendInt(b, int64(t.ExpiresIn), 10)
	b = append(b, '}')
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

var (
	hdrJSON    = []string{"application/json;charset=UTF-8"}
	hdrNoStore = []string{"no-store"}
	hdrNoCache = []string{"no-cache"}
)

// writeError writes an RFC 6749 §5.2 error body with status and the extra
// headers.
func writeError(w http.ResponseWriter, status int, e *Error, extra http.Header) {
	body, _ := json.Marshal(e)
	writeErrorBody(w, status, body, extra)
}

// writeErrorBody writes an error body (JSON, not to be cached).
func writeErrorBody(w http.ResponseWriter, status int, body []byte, extra http.Header) {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeFault answers with a planted fault's OAuth error and returns the
// outcome to journal.
func writeFault(w http.ResponseWriter, f Fault) outcome {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if f.Error != "" {
			status = http.StatusBadRequest
		}
	}
	code := f.Error
	if code == "" {
		code = "server_error"
	}
	var hdr http.Header
	if f.RetryAfter > 0 {
		hdr = http.Header{"Retry-After": {retryAfter(f.RetryAfter)}}
	}
	out := outcome{verdict: journal.VerdictInjected, status: status, code: code, description: f.Detail, stage: journal.StageFault}
	body, _ := json.Marshal(&Error{Code: code, Description: f.Detail})
	if f.Malformed {
		body = body[:len(body)/2]
		out.description = "malformed body: " + string(body)
	}
	writeErrorBody(w, status, body, hdr)
	return out
}

// refusal is the HTTP status and extra headers of a refusal.
func (s *Server) refusal(oerr *Error) (int, http.Header) {
	status := oerr.Status
	var hdr http.Header
	switch {
	case status == 0:
		status = http.StatusBadRequest
	case oerr.Code == ErrInvalidClient.Code:
		status = s.cfg.InvalidClientStatus
		if status == http.StatusUnauthorized {
			hdr = http.Header{"Www-Authenticate": {`Bearer realm="` + s.cfg.TokenPath + `", error="invalid_client"`}}
		}
	case status == http.StatusMethodNotAllowed:
		hdr = http.Header{"Allow": {http.MethodPost}}
	}
	if oerr.retryAfter > 0 {
		hdr = http.Header{"Retry-After": {retryAfter(oerr.retryAfter)}}
	}
	return status, hdr
}

// retryAfter is a Retry-After value: whole seconds, rounded up.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
