// Package timetext is the one written form of durations and dates in
// flamock's configuration file, admin bodies and flags: a Duration is Go's
// duration syntax ("1.5s", "10m"), a Date is a day (YYYY-MM-DD) or an
// RFC 3339 instant. Both are text in JSON and YAML (encoding.TextMarshaler
// and TextUnmarshaler), and their errors say what was expected in the
// user's terms.
package timetext

import (
	"encoding/json"
	"strconv"
	"time"
)

// Duration is a time.Duration written as "1.5s" or "10m".
type Duration time.Duration

// SyntaxError is a value that is not a duration (Want "a duration") or
// not a date (Want "a date").
type SyntaxError struct {
	Value string // as written, quoted; a JSON value other than a string as its JSON
	Want  string // "a duration" or "a date"
}

func (e *SyntaxError) Error() string {
	if e.Want == wantDate {
		return e.Value + " is neither YYYY-MM-DD nor RFC 3339"
	}
	return `want a duration such as "1.5s" or "250ms", not ` + e.Value
}

const (
	wantDuration = "a duration"
	wantDate     = "a date"
)

// ParseDuration reads s as a Duration.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, &SyntaxError{Value: strconv.Quote(s), Want: wantDuration}
	}
	return Duration(d), nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String is Go's form of d, e.g. "1.5s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as "1.5s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "1.5s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON reads a JSON string such as "1.5s"; any other JSON value
// is an error that says so (a bare number has no unit).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &SyntaxError{Value: string(b), Want: wantDuration}
	}
	return d.UnmarshalText([]byte(s))
}

// Date is an instant written as a day (YYYY-MM-DD, midnight UTC) or in
// RFC 3339.
type Date struct{ time.Time }

// ParseDate reads a day (YYYY-MM-DD, midnight UTC) or an RFC 3339 instant.
// It is flamock's one date parser.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, &SyntaxError{Value: strconv.Quote(s), Want: wantDate}
}

// MarshalText writes d in RFC 3339.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.Format(time.RFC3339)), nil }

// UnmarshalText reads YYYY-MM-DD or RFC 3339.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// UnmarshalJSON reads a JSON string YYYY-MM-DD or RFC 3339 (not only
// RFC 3339, as the embedded time.Time would).
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &SyntaxError{Value: string(b), Want: wantDate}
	}
	return d.UnmarshalText([]byte(s))
}
