package mockfla

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/store"
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
// tried in the order they were queued. A fault with a Client fires only
// for that client's requests, matched once the access token is verified.
func (s *Server) QueueFault(f Fault) error {
	if err := f.Check(fault.API); err != nil {
		return errors.New("mockfla: fault: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return s.faults.Add(context.Background(), fault.API, f)
}

// ClearFaults forgets every queued fault.
func (s *Server) ClearFaults() error { return s.faults.Clear(context.Background(), fault.API) }

// adminListFaults is GET /__admin/faults; ?clientId=ID lists only the
// faults scoped to that client.
func (s *Server) adminListFaults(w http.ResponseWriter, r *http.Request) {
	s.writeFaults(w, r, http.StatusOK)
}

func (s *Server) writeFaults(w http.ResponseWriter, r *http.Request, status int) {
	id, ok := queryClient(w, r)
	if !ok {
		return
	}
	list, err := s.faults.List(r.Context(), fault.API)
	if err != nil {
		writeResponse(w, s.faultStoreFailed(err))
		return
	}
	if id != "" {
		list = slices.DeleteFunc(list, func(l fault.Listed) bool { return l.Client != id })
	}
	writeJSON(w, status, map[string]any{"faults": list})
}

// adminClearFaults is DELETE /__admin/faults: every fault, or with
// ?clientId=ID (or a client's admin credential) only the faults scoped to
// that client (one CI job cleans up its own faults without touching
// another's).
func (s *Server) adminClearFaults(w http.ResponseWriter, r *http.Request) {
	id, ok := queryClient(w, r)
	if !ok {
		return
	}
	var err error
	if id != "" {
		err = s.faults.ClearClient(r.Context(), fault.API, id)
	} else {
		err = s.ClearFaults()
	}
	if err != nil {
		writeResponse(w, s.faultStoreFailed(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// faultStoreFailed answers 503 with Retry-After for a fault store that
// cannot be reached.
func (s *Server) faultStoreFailed(err error) *response {
	s.log.Error("mockfla: fault store failed", "err", err)
	sec := storeRetrySec
	if d, ok := store.RetryAfter(err); ok {
		sec = max(1, int(math.Ceil(d.Seconds())))
	}
	return retryLater(problemFor(http.StatusServiceUnavailable, "The mock could not reach its planted faults: "+err.Error()), sec, s.cfg.Now())
}

// adminQueueFaults is POST /__admin/faults: one fault or a list, strictly.
func (s *Server) adminQueueFaults(w http.ResponseWriter, r *http.Request) {
	if _, ok := queryClient(w, r); !ok { // the answer's list: checked before anything is queued
		return
	}
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
	if !scopeFaults(w, r, fs) {
		return
	}
	if err := s.faults.Add(r.Context(), fault.API, fs...); err != nil {
		writeResponse(w, s.faultStoreFailed(err))
		return
	}
	s.writeFaults(w, r, http.StatusCreated)
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

// applyFault plays the fault of a request, if any. With client "" (the
// fault layer, before authentication): a queued fault scoped to no client,
// else a Prefer header's. With the client id (right after the access
// token is verified): a queued fault scoped to that client.
func (s *Server) applyFault(ctx context.Context, c *call, client string) (*response, bool) {
	var f Fault
	var ok bool
	if s.faults.Pending(fault.API) {
		var err error
		if f, ok, err = s.faults.Take(ctx, fault.API, c.r.Method, c.r.URL.Path, client); err != nil {
			c.layer("fault", false, "planted faults unreadable: "+err.Error())
			return s.faultStoreFailed(err), false
		}
	}
	if !ok && client == "" {
		f, ok = preferFault(c.r.Header)
	}
	if !ok {
		return nil, false
	}
	c.ev.Fault = f.String()
	c.layer("fault", false, f.String())
	if client == "" {
		s.nameFaultedClient(ctx, c)
	}
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
