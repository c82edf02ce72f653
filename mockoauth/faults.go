package mockoauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/internal/journal"
)

// Fault is an answer planted for the next token requests that match its
// Method and Path: the vocabulary both mocks share (see internal/fault).
// For the token endpoint, Status and Error make an OAuth error response
// (Status zero: 400 with Error, else 500; Error empty: server_error), with
// Detail as its error_description; Malformed cuts the JSON body in the
// middle; Drop closes the connection unanswered; a Fault with only Delay
// delays a normal answer. A request answered by a fault is not checked
// (its jti is not consumed). Limit is the API's only and refused here.
//
// A fault with a Client is taken only for that client's requests: once
// the assertion's signature has verified with a key registered to the
// client it names (sub, else iss), before its jti is recorded. An
// unscoped fault is taken before any check, as the request arrives.
type Fault = fault.Fault

// QueueFault plants f for the next f.Count (zero: 1) matching token
// requests. Faults are used in the order they were planted.
func (s *Server) QueueFault(f Fault) error {
	if err := f.Check(fault.Token); err != nil {
		return errors.New("mockoauth: fault: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return s.faults.Add(context.Background(), fault.Token, f)
}

// FailNext plants f for the next n token requests (QueueFault with Count n).
func (s *Server) FailNext(n int, f Fault) error {
	if n <= 0 {
		return nil
	}
	f.Count = n
	return s.QueueFault(f)
}

// ClearFaults forgets the planted faults.
func (s *Server) ClearFaults() { _ = s.faults.Clear(context.Background(), fault.Token) }

// Faults lists the planted faults with the requests they have left.
// It is empty when the fault store cannot be read.
func (s *Server) Faults() []fault.Listed {
	l, _ := s.faults.List(context.Background(), fault.Token)
	return l
}

// takeFault takes the fault of a token request for client ("": an
// unscoped fault, before any check). A fault store that cannot be read
// refuses the request with 503 temporarily_unavailable.
func (s *Server) takeFault(tr *tokenRequest, client string) (Fault, bool, *Error) {
	if !s.faults.Pending(fault.Token) {
		return Fault{}, false, nil
	}
	f, ok, err := s.faults.Take(tr.r.Context(), fault.Token, tr.r.Method, tr.r.URL.Path, client)
	if err != nil {
		e := ErrTemporarilyUnavailable.Describe("the planted faults cannot be read: %v", err)
		e.retryAfter = storeRetry(err)
		return Fault{}, false, e.at(journal.StageFault)
	}
	return f, ok, nil
}

// errFaulted stops the checks: a fault scoped to the client answers
// (tokenRequest.fault).
var errFaulted = &Error{Code: "faulted"}

// scopedFault is the check stage after the signature: a fault planted for
// the client the verified assertion names. A delay waits and the checks go
// on; any other fault answers instead (errFaulted).
func (s *Server) scopedFault(tr *tokenRequest) *Error {
	f, ok, e := s.takeFault(tr, tr.client.ID)
	if e != nil || !ok {
		return e
	}
	if !f.Answers() {
		sleep(tr.r, f.Delay) // a client gone meanwhile gets its answer written to nobody
		return nil
	}
	tr.fault = &f
	return errFaulted
}

// playFault plays a planted fault; it reports whether the request goes on
// to the normal checks (a delay only). A fault's answer is journaled by
// record, as a normal one is.
func (s *Server) playFault(w http.ResponseWriter, tr *tokenRequest, f Fault, start time.Time) bool {
	if !f.Answers() {
		return sleep(tr.r, f.Delay)
	}
	if tr.form == nil { // an unscoped fault, before any check: say what came
		s.describeRequest(tr)
	}
	if !sleep(tr.r, f.Delay) {
		return false
	}
	if f.Drop {
		s.record(start, tr, outcome{verdict: journal.VerdictInjected, stage: journal.StageFault, description: "connection dropped"})
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return false
			}
		}
		panic(http.ErrAbortHandler) // net/http closes the connection
	}
	s.record(start, tr, writeFault(w, f))
	return false
}

// sleep waits d or until the client goes away; it reports whether to go on.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// adminFaults serves GET, POST and DELETE /__admin/oauth/faults, with the
// semantics and status codes of the API mock's /__admin/faults.
func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.writeFaults(w, r, http.StatusOK)
	case http.MethodDelete:
		id, ok := queryClient(w, r)
		if !ok {
			return
		}
		var err error
		if id != "" {
			err = s.faults.ClearClient(r.Context(), fault.Token, id)
		} else {
			err = s.faults.Clear(r.Context(), fault.Token)
		}
		if err != nil {
			s.faultStoreFailed(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		if _, ok := queryClient(w, r); !ok { // the answer's list: checked before anything is queued
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			adminError(w, http.StatusBadRequest, "request body: %v", err)
			return
		}
		fs, err := fault.Decode(b, fault.Token)
		if err != nil {
			adminError(w, http.StatusBadRequest, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
			return
		}
		for i := range fs {
			if !scopeClient(w, r, &fs[i].Client) {
				return
			}
		}
		if err := s.faults.Add(r.Context(), fault.Token, fs...); err != nil {
			s.faultStoreFailed(w, err)
			return
		}
		s.writeFaults(w, r, http.StatusCreated)
	}
}

// writeFaults answers the planted faults (?clientId=ID, or a client's
// admin credential: that client's).
func (s *Server) writeFaults(w http.ResponseWriter, r *http.Request, status int) {
	id, ok := queryClient(w, r)
	if !ok {
		return
	}
	list, err := s.faults.List(r.Context(), fault.Token)
	if err != nil {
		s.faultStoreFailed(w, err)
		return
	}
	if id != "" {
		list = slices.DeleteFunc(list, func(l fault.Listed) bool { return l.Client != id })
	}
	writeJSON(w, status, map[string]any{"faults": list})
}

func (s *Server) faultStoreFailed(w http.ResponseWriter, err error) {
	e := ErrTemporarilyUnavailable.Describe("the planted faults cannot be reached: %v", err)
	e.retryAfter = storeRetry(err)
	status, hdr := s.refusal(e)
	writeError(w, status, e, hdr)
}
