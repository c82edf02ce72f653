package mockoauth

import (
	"errors"
	"io"
	"net/http"
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
type Fault = fault.Fault

// QueueFault plants f for the next f.Count (zero: 1) matching token
// requests. Faults are used in the order they were planted.
func (s *Server) QueueFault(f Fault) error {
	if err := f.Check(fault.Token); err != nil {
		return errors.New("mockoauth: fault: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	s.faults.Add(f)
	return nil
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
func (s *Server) ClearFaults() { s.faults.Clear() }

// Faults lists the planted faults with the requests they have left.
func (s *Server) Faults() []fault.Listed { return s.faults.List() }

// playFault plays a planted fault; it reports whether the request goes on
// to the normal checks (a delay only). A fault's answer is journaled by
// record, as a normal one is.
func (s *Server) playFault(w http.ResponseWriter, tr *tokenRequest, f Fault, start time.Time) bool {
	if !f.Answers() {
		return sleep(tr.r, f.Delay)
	}
	s.describeRequest(tr)
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
		writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.List()})
	case http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
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
		s.faults.Add(fs...)
		writeJSON(w, http.StatusCreated, map[string]any{"faults": s.faults.List()})
	}
}
