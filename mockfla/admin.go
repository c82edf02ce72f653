package mockfla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// Fault is a planted failure for the next Count requests that match Method
// and Path. Queue it with Server.QueueFault or POST /__admin/faults.
type Fault struct {
	// Method matches the request method; "" or "*" match any.
	Method string `json:"method,omitempty"`
	// Path matches the request path; "*" matches any run of characters
	// (slashes included), "" matches any path. Admin paths never match.
	Path string `json:"path,omitempty"`
	// Count is the number of requests it applies to; zero means 1.
	Count int `json:"count,omitempty"`
	// Status, if set (400 to 599), is answered with the Belgif problem of
	// that status instead of handling the request.
	Status int `json:"status,omitempty"`
	// RetryAfter, in seconds, adds a Retry-After header; a 429 or 503 also
	// carries it as retryAfterSec and retryAfter (the moment, RFC 3339).
	// Zero means 1 for a 429 or 503, none for other statuses.
	RetryAfter int `json:"retryAfter,omitempty"`
	// Limit, if set, is the limit a 429 tooManyRequests names (its limit
	// member).
	Limit int64 `json:"limit,omitempty"`
	// DelayMS delays the answer (the injected one, or the normal one when
	// Status is zero and Drop is false).
	DelayMS int `json:"delayMs,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
	// Detail replaces the problem's detail.
	Detail string `json:"detail,omitempty"`
}

func (f Fault) check() error {
	var errs []error
	if f.Count < 0 {
		errs = append(errs, fmt.Errorf("count %d is negative", f.Count))
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d is not 400 to 599", f.Status))
	}
	if f.RetryAfter < 0 || f.DelayMS < 0 || f.Limit < 0 {
		errs = append(errs, errors.New("retryAfter, delayMs and limit must not be negative"))
	}
	if f.DelayMS > 600_000 {
		errs = append(errs, fmt.Errorf("delayMs %d is more than 10 minutes", f.DelayMS))
	}
	if f.Status == 0 && !f.Drop && f.DelayMS == 0 {
		errs = append(errs, errors.New("a fault needs a status, a delay or drop"))
	}
	if f.Drop && f.Status != 0 {
		errs = append(errs, errors.New("drop and status exclude each other"))
	}
	return errors.Join(errs...)
}

func (f Fault) String() string {
	var parts []string
	if f.DelayMS > 0 {
		parts = append(parts, fmt.Sprintf("delay %dms", f.DelayMS))
	}
	if f.Drop {
		parts = append(parts, "drop connection")
	}
	if f.Status != 0 {
		parts = append(parts, "status "+strconv.Itoa(f.Status))
	}
	if f.RetryAfter > 0 {
		parts = append(parts, "Retry-After "+strconv.Itoa(f.RetryAfter))
	}
	return strings.Join(parts, ", ")
}

type pendingFault struct {
	Fault
	Left int `json:"left"`
}

type faultQueue struct {
	mu sync.Mutex
	q  []*pendingFault
}

// QueueFault plants f for the next f.Count matching requests. Faults are
// tried in the order they were queued.
func (s *Server) QueueFault(f Fault) error {
	if err := f.check(); err != nil {
		return fmt.Errorf("mockfla: fault: %w", err)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults.mu.Lock()
	s.faults.q = append(s.faults.q, &pendingFault{Fault: f, Left: f.Count})
	s.faults.mu.Unlock()
	return nil
}

// ClearFaults forgets every queued fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.q = nil
	s.faults.mu.Unlock()
}

func (q *faultQueue) list() []pendingFault {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]pendingFault, 0, len(q.q))
	for _, p := range q.q {
		out = append(out, *p)
	}
	return out
}

func (q *faultQueue) take(method, path string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.q {
		if (p.Method == "" || p.Method == "*" || strings.EqualFold(p.Method, method)) && (p.Path == "" || wildcard(p.Path, path)) {
			p.Left--
			if p.Left <= 0 {
				q.q = append(q.q[:i:i], q.q[i+1:]...)
			}
			return p.Fault, true
		}
	}
	return Fault{}, false
}

// wildcard matches s against a pattern where "*" matches any run of characters.
func wildcard(pattern, s string) bool {
	for {
		star := strings.IndexByte(pattern, '*')
		if star < 0 {
			return pattern == s
		}
		if !strings.HasPrefix(s, pattern[:star]) {
			return false
		}
		s, pattern = s[star:], pattern[star+1:]
		if pattern == "" {
			return true
		}
		for i := 0; i <= len(s); i++ {
			if wildcard(pattern, s[i:]) {
				return true
			}
		}
		return false
	}
}

// preferFault reads a per-call fault from a Prefer header, like Prism:
// "Prefer: code=503", with optional "retry-after=5" and "delay=200" (ms).
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
			if err != nil {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "code":
				f.Status, found = n, true
			case "retry-after":
				f.RetryAfter = n
			case "delay":
				f.DelayMS, found = n, true
			}
		}
	}
	if !found || f.check() != nil {
		return Fault{}, false
	}
	return f, true
}

// applyFault plays the queued or preferred fault of a request, if any.
func (s *Server) applyFault(ctx context.Context, c *call) (*response, bool) {
	f, ok := s.faults.take(c.r.Method, c.r.URL.Path)
	if !ok {
		if f, ok = preferFault(c.r.Header); !ok {
			return nil, false
		}
	}
	c.ev.Fault = f.String()
	c.layer("fault", false, f.String())
	if f.DelayMS > 0 {
		t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
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
	var resp *response
	switch {
	case f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable:
		if f.Status == http.StatusTooManyRequests {
			p.Limit = f.Limit
		}
		resp = retryLater(p, max(f.RetryAfter, 1), s.cfg.Now())
	case f.RetryAfter > 0:
		resp = problemResponse(p).setHeader("Retry-After", strconv.Itoa(f.RetryAfter))
	default:
		resp = problemResponse(p)
	}
	if f.Status == http.StatusUnauthorized {
		resp.setHeader("WWW-Authenticate", `Bearer realm="`+s.cfg.Realm+`"`)
	}
	resp.fault = f.String()
	return resp, false
}

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
	mux.HandleFunc("GET /__admin/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.list()})
	})
	mux.HandleFunc("POST /__admin/faults", s.adminQueueFaults)
	mux.HandleFunc("DELETE /__admin/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
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
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, problemFor(http.StatusInternalServerError, err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

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
		"resources":      s.store.Len(),
		"stateFile":      s.cfg.StateFile,
		"strict":         s.cfg.Strict,
		"journalDropped": s.cfg.Journal.Dropped(),
	}
	var problems []string
	if st, ok := s.store.Status(); ok {
		body["state"] = st
		if st.DamagedRecords > 0 {
			problems = append(problems, fmt.Sprintf("state file: %d damaged records skipped at start; the original is kept as %s", st.DamagedRecords, st.DamagedCopy))
		}
		if st.WriteError != "" {
			problems = append(problems, "state file: the last write failed: "+st.WriteError)
		}
	}
	if err := s.cfg.Journal.Err(); err != nil {
		body["journalError"] = err.Error()
		problems = append(problems, "journal: "+err.Error())
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
	evs := s.cfg.Journal.Events(since)
	last := since
	if len(evs) > 0 {
		last = evs[len(evs)-1].Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs, "last": last, "dropped": s.cfg.Journal.Dropped()})
}

// adminStream follows the journal as server-sent events: one "data:" line
// of JSON per event, with the sequence number as the event id.
func (s *Server) adminStream(w http.ResponseWriter, r *http.Request) {
	since, ok := sinceParam(w, r)
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
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streamsDone():
			return
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

func (s *Server) adminQueueFaults(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		adminBadRequest(w, "", "", "cannot read the body: "+err.Error())
		return
	}
	var faults []Fault
	trimmed := strings.TrimSpace(string(b))
	if strings.HasPrefix(trimmed, "[") {
		err = json.Unmarshal(b, &faults)
	} else {
		var f Fault
		err = json.Unmarshal(b, &f)
		faults = []Fault{f}
	}
	if err != nil {
		adminBadRequest(w, "", "", "want a fault or a list of faults as JSON: "+err.Error())
		return
	}
	for i, f := range faults {
		if err := f.check(); err != nil {
			adminBadRequest(w, fmt.Sprintf("[%d]", i), "", err.Error())
			return
		}
	}
	for _, f := range faults {
		_ = s.QueueFault(f)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"faults": s.faults.list()})
}
