// Package fault is the one fault vocabulary of flamock's two mocks: a Fault
// planted for the next requests that match a method and a path, the queue
// that holds them, and the JSON the admin APIs read and write.
//
// Both mocks serve the same admin semantics under their prefix (the API
// mock's /__admin/faults, the token endpoint's /__admin/oauth/faults):
//
//	GET    .../faults   200 {"faults":[{...,"left":N}]}: the queued faults, in order
//	POST   .../faults   one fault or a list: 201 {"faults":[...]}; 400 naming the key or field at fault
//	DELETE .../faults   204: forget them all
//
// Durations (delay, retryAfter) are written as Go durations, e.g. "1.5s" or
// "250ms". Matching costs time linear in the path and the pattern, and is
// done without holding the queue's lock.
package fault

import (
	"github.com/flamock/flamock/internal/strictjson"

	"github.com/flamock/flamock/internal/timetext"

	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxDelay bounds Fault.Delay.
const MaxDelay = 10 * time.Minute

// Fault is a planted failure for the next Count requests that match Method
// and Path. Some fields apply to one mock only (see Check).
type Fault struct {
	// Method matches the request method, case-insensitively; "" or "*"
	// match any.
	Method string
	// Path matches the request path: "*" matches any run of characters
	// (slashes included), every other character itself; "" matches any
	// path. Admin paths never reach the queue.
	Path string
	// Count is the number of requests it applies to; zero means 1.
	Count int
	// Status, if set (400 to 599), is answered instead of handling the
	// request: a Belgif problem of that status (API), an OAuth error
	// response (token endpoint; zero there means 400 with Error, else 500).
	Status int
	// Delay is waited before answering (the injected answer, or the normal
	// one when nothing else is set); it ends early if the client goes away.
	// At most MaxDelay.
	Delay time.Duration
	// RetryAfter adds a Retry-After header, in whole seconds rounded up
	// (and the problem's retryAfterSec for a 429 or 503 of the API).
	RetryAfter time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// Detail replaces the problem's detail (API) or is the
	// error_description (token endpoint).
	Detail string
	// Error is the OAuth error code of the token endpoint's answer, e.g.
	// "temporarily_unavailable" (token endpoint only).
	Error string
	// Malformed answers a JSON body cut in the middle (token endpoint only).
	Malformed bool
	// Limit is the limit member of a 429 problem (API only).
	Limit int64
	// Client, if set, scopes the fault to one client id: it fires only for
	// that client's requests, and is matched once the client is known
	// (the API: after the access token is verified; the token endpoint:
	// after the assertion's signature is verified, with the client id it
	// names). Empty: any request, matched before any check.
	Client string
}

// Target is the mock a fault is planted in.
type Target int

const (
	API   Target = iota // the API mock (mockfla)
	Token               // the token endpoint (mockoauth)
)

// Answers reports whether the fault replaces the answer (a status, an
// OAuth error, a malformed body or a dropped connection), rather than only
// delaying the normal one.
func (f Fault) Answers() bool { return f.Status != 0 || f.Error != "" || f.Malformed || f.Drop }

// Check reports every problem of f for the target mock, in the words of
// the JSON keys.
func (f Fault) Check(t Target) error {
	var errs []error
	if f.Count < 0 {
		errs = append(errs, fmt.Errorf("count %d is negative", f.Count))
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d is not 400 to 599", f.Status))
	}
	if f.Delay < 0 || f.RetryAfter < 0 {
		errs = append(errs, errors.New("delay and retryAfter must not be negative"))
	}
	if f.Delay > MaxDelay {
		errs = append(errs, fmt.Errorf("delay %s is more than %s", f.Delay, MaxDelay))
	}
	if f.Limit < 0 {
		errs = append(errs, fmt.Errorf("limit %d is negative", f.Limit))
	}
	if !f.Answers() && f.Delay == 0 {
		errs = append(errs, errors.New("a fault needs a status, a delay or drop"))
	}
	if f.Drop && (f.Status != 0 || f.Error != "" || f.Malformed) {
		errs = append(errs, errors.New("drop excludes status, error and malformed"))
	}
	switch t {
	case API:
		if f.Error != "" || f.Malformed {
			errs = append(errs, errors.New("error and malformed apply to the token endpoint only"))
		}
	case Token:
		if f.Limit != 0 {
			errs = append(errs, errors.New("limit applies to the API only"))
		}
	}
	return errors.Join(errs...)
}

// RetryAfterHeader is the Retry-After header value of d: whole seconds,
// rounded up.
func RetryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

// String describes f in one line for the journal, e.g. "delay 1.5s, status
// 503, Retry-After 5".
func (f Fault) String() string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	if f.Drop {
		parts = append(parts, "drop connection")
	}
	if f.Status != 0 {
		parts = append(parts, "status "+strconv.Itoa(f.Status))
	}
	if f.Error != "" {
		parts = append(parts, "error "+f.Error)
	}
	if f.Malformed {
		parts = append(parts, "malformed body")
	}
	if f.RetryAfter > 0 {
		parts = append(parts, "Retry-After "+RetryAfterHeader(f.RetryAfter))
	}
	if f.Client != "" {
		parts = append(parts, "for client "+f.Client)
	}
	return strings.Join(parts, ", ")
}

// wire is the JSON form of a Fault.
type wire struct {
	Method     string            `json:"method,omitempty"`
	Path       string            `json:"path,omitempty"`
	Count      int               `json:"count,omitempty"`
	Status     int               `json:"status,omitempty"`
	Delay      timetext.Duration `json:"delay,omitzero"`
	RetryAfter timetext.Duration `json:"retryAfter,omitzero"`
	Drop       bool              `json:"drop,omitempty"`
	Detail     string            `json:"detail,omitempty"`
	Error      string            `json:"error,omitempty"`
	Malformed  bool              `json:"malformed,omitempty"`
	Limit      int64             `json:"limit,omitempty"`
	Client     string            `json:"clientId,omitempty"`
}

// MarshalJSON writes f with its durations as strings ("1.5s").
func (f Fault) MarshalJSON() ([]byte, error) { return json.Marshal(f.wire()) }

func (f Fault) wire() wire {
	return wire{f.Method, f.Path, f.Count, f.Status, timetext.Duration(f.Delay), timetext.Duration(f.RetryAfter), f.Drop, f.Detail, f.Error, f.Malformed, f.Limit, f.Client}
}

// UnmarshalJSON reads f leniently (unknown keys are ignored); Decode is
// the strict reader of admin bodies.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = w.fault()
	return nil
}

func (w wire) fault() Fault {
	return Fault{w.Method, w.Path, w.Count, w.Status, time.Duration(w.Delay), time.Duration(w.RetryAfter), w.Drop, w.Detail, w.Error, w.Malformed, w.Limit, w.Client}
}

// KeyError is an unknown key in an admin body.
type KeyError struct {
	Index int    // the fault's index in a list; 0 for a single fault
	Key   string // the key, e.g. "retryAftr"
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("unknown key %q (known keys: method, path, count, status, delay, retryAfter, drop, detail, error, malformed, limit, clientId)", e.Key)
}

// Decode reads an admin body: one fault or a list of them, strictly. An
// unknown key is a *KeyError; malformed JSON, a value of the wrong type and
// trailing data are errors that say which. Each fault is then checked for
// the target (errors prefixed with its index, "[1]: ...").
func Decode(body []byte, t Target) ([]Fault, error) {
	trimmed := strings.TrimSpace(string(body))
	list := strings.HasPrefix(trimmed, "[")
	var raws []json.RawMessage
	if list {
		if err := strictjson.Decode([]byte(trimmed), &raws); err != nil {
			return nil, fmt.Errorf("want a fault or a list of faults as JSON: %w", err)
		}
	} else {
		raws = []json.RawMessage{json.RawMessage(trimmed)}
	}
	out := make([]Fault, 0, len(raws))
	var errs []error
	for i, raw := range raws {
		var w wire
		if err := strictjson.Decode(raw, &w); err != nil {
			if uk := (*strictjson.UnknownKeyError)(nil); errors.As(err, &uk) {
				return nil, &KeyError{Index: i, Key: uk.Key}
			}
			return nil, fmt.Errorf("want a fault or a list of faults as JSON: %w", err)
		}
		f := w.fault()
		if err := f.Check(t); err != nil {
			errs = append(errs, fmt.Errorf("[%d]: %w", i, err))
		}
		out = append(out, f)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
