// Package journal is the one ordered stream of events that the token
// endpoint and the API mock both write: token requests with the decoded
// assertion and the verdict, API calls with the verdict of each layer.
// Conformance checks read it back.
//
// A Journal keeps the most recent events in memory (bounded) and, when given
// a Writer, also appends every event to it as one JSON line, in order.
package journal

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Kinds of event.
const (
	KindToken = "token"
	KindAPI   = "api"
)

// Verdicts.
const (
	VerdictGranted  = "granted"  // token issued
	VerdictRefused  = "refused"  // token request refused by a rule
	VerdictInjected = "injected" // an error or fault planted by a test answered instead
	VerdictOK       = "ok"       // API call answered with a success status
	VerdictRejected = "rejected" // API call answered with a problem
)

// Event is one entry. Exactly one of Token and API is set, as Kind says.
type Event struct {
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"`
	Token *Token    `json:"token,omitempty"`
	API   *API      `json:"api,omitempty"`
}

// Token records one request to the token endpoint. It never holds the
// assertion's signature, a client secret or any private material.
type Token struct {
	RemoteAddr    string         `json:"remoteAddr,omitempty"`
	ClientID      string         `json:"clientId,omitempty"` // as claimed (iss, sub or client_id), not necessarily registered
	GrantType     string         `json:"grantType,omitempty"`
	AssertionType string         `json:"assertionType,omitempty"`
	RequestScope  string         `json:"requestScope,omitempty"` // the scope form field as sent
	Header        map[string]any `json:"header,omitempty"`       // decoded JWS header
	Claims        map[string]any `json:"claims,omitempty"`       // decoded JWT claims
	Verdict       string         `json:"verdict"`
	Status        int            `json:"status"`
	Error         string         `json:"error,omitempty"` // RFC 6749 §5.2 code
	Description   string         `json:"errorDescription,omitempty"`
	Scopes        []string       `json:"scopes,omitempty"`           // granted
	Fingerprint   string         `json:"tokenFingerprint,omitempty"` // of the issued access token
	ExpiresIn     int            `json:"expiresIn,omitempty"`
}

// API records one call to a mocked API. Authorization values are never kept.
type API struct {
	RemoteAddr string `json:"remoteAddr,omitempty"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Query      string `json:"query,omitempty"` // raw query, with any access_token value replaced by REDACTED
	// TokenInQuery says the request carried an access_token query
	// parameter (RFC 6750 §2.3), which the Social Security APIs do not take.
	TokenInQuery bool     `json:"tokenInQuery,omitempty"`
	Operation    string   `json:"operation,omitempty"` // operationId
	ClientID     string   `json:"clientId,omitempty"`
	Fingerprint  string   `json:"tokenFingerprint,omitempty"` // of the bearer token presented
	Layers       []Layer  `json:"layers,omitempty"`
	Verdict      string   `json:"verdict"`
	Status       int      `json:"status"`
	ProblemType  string   `json:"problemType,omitempty"`
	Issues       []string `json:"issues,omitempty"` // short text of each issue of a 400
	Fault        string   `json:"fault,omitempty"`  // injected fault, if any
	DurationMS   float64  `json:"durationMs"`
}

// Layer is the verdict of one step of request handling (route, auth, scope,
// tenant, schema, identifiers, business, store).
type Layer struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"` // "pass" or "fail"
	Detail  string `json:"detail,omitempty"`
}

// DefaultCapacity is the number of events kept in memory when Config.Capacity is
// zero: about 15 MB of recent history. The Writer, if any, gets every event.
const DefaultCapacity = 10_000

// Config configures a Journal. The zero value is ready to use.
type Config struct {
	// Capacity bounds the events kept in memory; older ones are dropped
	// from memory (never from Writer). Zero means DefaultCapacity.
	Capacity int
	// Writer, if set, receives every event as one JSON line, in order.
	Writer io.Writer
	// Now is the clock stamped on events without a time. Nil means time.Now.
	Now func() time.Time
}

// Journal is safe for concurrent use. The zero value is not usable; call New.
type Journal struct {
	cfg Config

	mu      sync.Mutex
	seq     uint64
	ring    []Event // ring buffer of the newest events
	start   int     // index of the oldest event in ring
	n       int     // number of events in ring
	dropped uint64  // events evicted from memory
	subs    map[chan Event]struct{}
	wErr    error // first error from Writer
}

// New returns an empty journal.
func New(cfg Config) *Journal {
	if cfg.Capacity <= 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Journal{cfg: cfg, subs: map[chan Event]struct{}{}}
}

// Append stamps e with the next sequence number (and the time, if zero),
// stores it, writes it to the Writer and hands it to subscribers. It returns
// the stored event. Append on a nil Journal does nothing.
func (j *Journal) Append(e Event) Event {
	if j == nil {
		return e
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if e.Time.IsZero() {
		e.Time = j.cfg.Now()
	}
	e.Time = e.Time.UTC()
	if j.ring == nil {
		j.ring = make([]Event, 0, min(j.cfg.Capacity, 1024))
	}
	if j.n < j.cfg.Capacity {
		if len(j.ring) < j.cfg.Capacity {
			j.ring = append(j.ring, e)
		} else {
			j.ring[(j.start+j.n)%j.cfg.Capacity] = e
		}
		j.n++
	} else {
		j.ring[j.start] = e
		j.start = (j.start + 1) % j.cfg.Capacity
		j.dropped++
	}
	if j.cfg.Writer != nil && j.wErr == nil {
		b, err := json.Marshal(e)
		if err == nil {
			b = append(b, '\n')
			_, err = j.cfg.Writer.Write(b)
		}
		j.wErr = err
	}
	for ch := range j.subs {
		select {
		case ch <- e:
		default: // a slow subscriber misses events rather than blocking the mocks
		}
	}
	return e
}

// Events returns the events in memory with a sequence number greater than
// since, oldest first.
func (j *Journal) Events(since uint64) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Event, 0, j.n)
	for i := 0; i < j.n; i++ {
		e := j.ring[(j.start+i)%len(j.ring)]
		if e.Seq > since {
			out = append(out, e)
		}
	}
	return out
}

// Dropped returns how many events were evicted from memory since the last Reset.
func (j *Journal) Dropped() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped
}

// Err returns the first error the Writer returned, if any. After such an
// error the journal stops writing to it but keeps events in memory.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.wErr
}

// Reset forgets the events in memory. Sequence numbers keep growing, so a
// reader that remembers the last number it saw is never confused.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring, j.start, j.n, j.dropped = nil, 0, 0, 0
}

// Subscribe returns a channel that receives every event appended from now
// on, and a function that ends the subscription and closes the channel.
// A subscriber that does not keep up misses events (buffer is the channel's
// capacity); it can fill the gap with Events(lastSeq).
func (j *Journal) Subscribe(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	j.mu.Lock()
	j.subs[ch] = struct{}{}
	j.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			j.mu.Lock()
			delete(j.subs, ch)
			j.mu.Unlock()
			close(ch)
		})
	}
}
