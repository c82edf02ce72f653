package mockfla

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/strictjson"
	"github.com/flamock/flamock/internal/tenant"
)

// dropConnection journals the call and closes the connection unanswered.
func (s *Server) dropConnection(w http.ResponseWriter, c *call) {
	c.ev.Verdict = journal.VerdictInjected
	c.ev.DurationMS = float64(time.Since(c.start).Microseconds()) / 1000
	ev := c.ev
	s.cfg.Journal.Append(journal.Event{Kind: journal.KindAPI, Time: s.cfg.Now(), API: &ev})
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http closes the connection
}

// adminMux serves the admin API; see the package documentation.
func (s *Server) adminMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__admin/health", s.adminHealth)
	mux.HandleFunc("GET /__admin/ready", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "UP"})
	})
	mux.HandleFunc("GET /__admin/journal", s.adminJournal)
	mux.HandleFunc("GET /__admin/journal/stream", s.adminStream)
	mux.HandleFunc("DELETE /__admin/journal", func(w http.ResponseWriter, r *http.Request) {
		s.cfg.Journal.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /__admin/faults", s.adminListFaults)
	mux.HandleFunc("POST /__admin/faults", s.adminQueueFaults)
	mux.HandleFunc("DELETE /__admin/faults", s.adminClearFaults)
	mux.HandleFunc("DELETE /__admin/state", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ResetState(); err != nil {
			writeResponse(w, retryLater(problemFor(http.StatusServiceUnavailable, err.Error()), storeRetrySec, s.cfg.Now()))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for _, r := range s.cfg.Rules {
		if r.Admin != nil {
			r.Admin(mux)
		}
	}
	mux.HandleFunc("/__admin/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, problemFor(http.StatusNotFound, "No admin endpoint "+r.Method+" "+r.URL.Path))
	})
	s.adminRoutes = mux
	return clientGuard(mux)
}

func writeJSON(w http.ResponseWriter, status int, v any) { strictjson.Write(w, status, v) }

func writeProblem(w http.ResponseWriter, p Problem) { writeResponse(w, problemResponse(p)) }

// writeResponse writes an admin API answer.
func writeResponse(w http.ResponseWriter, resp *response) {
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", resp.ctype)
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func adminBadRequest(w http.ResponseWriter, name, value, detail string) {
	writeIssue(w, Issue{Type: IssueInvalidInput, Title: titleInvalid, Detail: detail, In: "body", Name: name, Value: value})
}

// writeIssue answers an admin request with a 400 badRequest of one issue
// (about the since query parameter, or else the body).
func writeIssue(w http.ResponseWriter, is Issue) {
	p := problemFor(http.StatusBadRequest, "The input message is incorrect")
	if is.Name == "since" {
		is.In = "query"
	}
	if is.Value == "" {
		is.Value = nil
	}
	p.Issues = []Issue{is}
	writeProblem(w, p)
}

// adminHealth answers UP, or DEGRADED with the reasons in "problems":
// damaged records skipped when the state file was read, a state write
// that failed (until one succeeds), a journal file that cannot be written.
func (s *Server) adminHealth(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{
		"status":         "UP",
		"specs":          s.Mounts(),
		"stateFile":      s.cfg.StateFile,
		"strict":         s.cfg.Strict,
		"journalDropped": s.cfg.Journal.Dropped(),
	}
	var problems []string
	if n, err := s.storeLen(r.Context()); err != nil {
		problems = append(problems, "store: "+err.Error())
	} else {
		body["resources"] = n
	}
	st := s.store.r.Status()
	body["store"] = st.Backend
	if st.Detail != nil {
		body["state"] = st.Detail
	}
	problems = append(problems, st.Problems...)
	if n := s.cfg.Journal.Unwritten(); n > 0 {
		body["journalUnwritten"] = n
	}
	if err := s.cfg.Journal.Err(); err != nil {
		body["journalError"] = err.Error()
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		body["status"] = "DEGRADED"
		body["problems"] = problems
	}
	writeJSON(w, http.StatusOK, body)
}

// Mount describes one mounted document.
type Mount struct {
	Name       string `json:"name"`
	BasePath   string `json:"basePath"` // with a trailing slash
	Operations int    `json:"operations"`
	Profile    string `json:"profile"`
}

// Mounts lists the mounted documents, in the order of their base paths.
func (s *Server) Mounts() []Mount {
	out := make([]Mount, 0, len(s.mounts))
	for _, m := range s.mounts {
		out = append(out, Mount{m.name, m.base + "/", m.count, m.profile})
	}
	return out
}

func sinceParam(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	raw := r.URL.Query().Get("since")
	if raw == "" {
		return 0, true
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		adminBadRequest(w, "since", raw, "since must be a sequence number (a non-negative integer)")
		return 0, false
	}
	return n, true
}

func (s *Server) adminJournal(w http.ResponseWriter, r *http.Request) {
	since, ok := sinceParam(w, r)
	if !ok {
		return
	}
	client, ok := queryClient(w, r)
	if !ok {
		return
	}
	evs := s.cfg.Journal.Events(since)
	last := since
	if len(evs) > 0 {
		last = evs[len(evs)-1].Seq // the last event read, the client's or not: where to go on from
	}
	evs = journal.OfClient(evs, client)
	writeJSON(w, http.StatusOK, map[string]any{"events": evs, "last": last, "dropped": s.cfg.Journal.Dropped()})
}

// adminStream follows the journal as server-sent events: one "data:" line
// of JSON per event, with the sequence number as the event id. Opened with
// a client's access token, it ends once the token is no longer honoured
// (expired, revoked, or no longer checkable), with an "end" event saying
// why; the operator's runs until the client or the server goes.
func (s *Server) adminStream(w http.ResponseWriter, r *http.Request) {
	since, ok := sinceParam(w, r)
	if !ok {
		return
	}
	client, ok := queryClient(w, r)
	if !ok {
		return
	}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			since = n
		}
	}
	fl, _ := w.(http.Flusher)
	ch, stop := s.cfg.Journal.Subscribe(1024)
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	last := since
	send := func(e journal.Event) bool {
		if e.Seq <= last {
			return true
		}
		if client != "" && e.ClientID() != client {
			last = e.Seq
			return true
		}
		b, err := json.Marshal(e)
		if err != nil {
			return true
		}
		if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", e.Seq, b); err != nil {
			return false
		}
		last = e.Seq
		return true
	}
	for _, e := range s.cfg.Journal.Events(since) {
		if !send(e) {
			return
		}
	}
	if fl != nil {
		fl.Flush()
	}
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	check, recheck := credentialRecheck(r)
	defer recheck.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streamsDone():
			return
		case <-recheck.C:
			if err := check(r.Context()); err != nil {
				endStream(w, fl, r, err)
				return
			}
		case <-keepAlive.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case e, ok := <-ch:
			if !ok {
				return
			}
			if e.Seq > last+1 { // missed events (slow reader): fill the gap
				for _, old := range s.cfg.Journal.Events(last) {
					if old.Seq >= e.Seq || !send(old) {
						break
					}
				}
			}
			if !send(e) {
				return
			}
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// streamRecheck is how often a live event stream opened with a client's
// access token checks that the token is still honoured: the stream ends at
// most this long after the token expires or is revoked.
const streamRecheck = time.Second

// credentialRecheck returns the request's credential check (see
// tenant.WithCheck) and a ticker to run it by; for the operator's, whose
// credential does not expire, a stopped ticker that never fires.
func credentialRecheck(r *http.Request) (func(context.Context) error, *time.Ticker) {
	check := tenant.Check(r.Context())
	t := time.NewTicker(streamRecheck)
	if check == nil {
		t.Stop()
	}
	return check, t
}

// endStream ends a live event stream whose credential is no longer
// honoured: a last event of type "end" (an EventSource's onmessage does
// not see it) whose data is the reason, as JSON.
func endStream(w http.ResponseWriter, fl http.Flusher, r *http.Request, err error) {
	id, _ := tenant.Of(r.Context())
	b, _ := json.Marshal(map[string]string{"reason": "The admin credential of client " + id + " is no longer accepted (" + err.Error() + "): the stream ends; open it again with a valid one"})
	fmt.Fprintf(w, "event: end\ndata: %s\n\n", b)
	if fl != nil {
		fl.Flush()
	}
}
