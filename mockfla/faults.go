package mockfla

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/fault"
)

// Fault is a planted failure for the next Count requests that match Method
// and Path: the vocabulary both mocks share (see internal/fault). Queue it
// with Server.QueueFault or POST /__admin/faults. For the API mock, Status
// answers the Belgif problem of that status; RetryAfter adds Retry-After
// and, on a 429 or 503, retryAfterSec and retryAfter (zero means 1 s
// there); Limit is a 429's limit member; Error and Malformed are the token
// endpoint's only and refused here.
type Fault = fault.Fault

// QueueFault plants f for the next f.Count matching requests. Faults are
// tried in the order they were queued.
func (s *Server) QueueFault(f Fault) error {
	if err := f.Check(fault.API); err != nil {
		return errors.New("mockfla: fault: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	s.faults.Add(f)
	return nil
}

// ClearFaults forgets every queued fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// adminQueueFaults is POST /__admin/faults: one fault or a list, strictly.
func (s *Server) adminQueueFaults(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		adminBadRequest(w, "", "", "cannot read the body: "+err.Error())
		return
	}
	fs, err := fault.Decode(b, fault.API)
	var ke *fault.KeyError
	switch {
	case errors.As(err, &ke):
		adminBadRequest(w, ke.Key, "", ke.Error())
		return
	case err != nil:
		adminBadRequest(w, "", "", err.Error())
		return
	}
	s.faults.Add(fs...)
	writeJSON(w, http.StatusCreated, map[string]any{"faults": s.faults.List()})
}

// preferFault reads a per-call fault from a Prefer header, like Prism:
// "Prefer: code=503", with optional "retry-after=5" (seconds) and
// "delay=200" (milliseconds).
func preferFault(h http.Header) (Fault, bool) {
	vals := h.Values("Prefer")
	if len(vals) == 0 {
		return Fault{}, false
	}
	var f Fault
	found := false
	for _, v := range vals {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`))
			if err != nil || n < 0 || n > math.MaxInt32 {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "code":
				f.Status, found = n, true
			case "retry-after":
				f.RetryAfter = time.Duration(n) * time.Second
			case "delay":
				f.Delay, found = time.Duration(n)*time.Millisecond, true
			}
		}
	}
	if !found || f.Check(fault.API) != nil {
		return Fault{}, false
	}
	return f, true
}

// applyFault plays the queued or preferred fault of a request, if any.
func (s *Server) applyFault(ctx context.Context, c *call) (*response, bool) {
	f, ok := s.faults.Take(c.r.Method, c.r.URL.Path)
	if !ok {
		if f, ok = preferFault(c.r.Header); !ok {
			return nil, false
		}
	}
	c.ev.Fault = f.String()
	c.layer("fault", false, f.String())
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if f.Drop {
		return nil, true
	}
	if f.Status == 0 {
		return nil, false
	}
	detail := f.Detail
	if detail == "" {
		detail = "Fault injected by flamock (" + f.String() + ")"
	}
	p := problemFor(f.Status, detail)
	retrySec := int(math.Ceil(f.RetryAfter.Seconds()))
	var resp *response
	switch {
	case f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable:
		if f.Status == http.StatusTooManyRequests {
			p.Limit = f.Limit
		}
		resp = retryLater(p, max(retrySec, 1), s.cfg.Now())
	case f.RetryAfter > 0:
		resp = problemResponse(p).setHeader("Retry-After", fault.RetryAfterHeader(f.RetryAfter))
	default:
		resp = problemResponse(p)
	}
	if f.Status == http.StatusUnauthorized {
		resp.setHeader("WWW-Authenticate", `Bearer realm="`+s.cfg.Realm+`"`)
	}
	resp.fault = f.String()
	return resp, false
}
