package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
)

func TestRetryAfter(t *testing.T) {
	cause := errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	for _, tc := range []struct {
		name string
		err  error
		want time.Duration
		ok   bool
	}{
		{"nil", nil, 0, false},
		{"other error", errors.New("disk full"), 0, false},
		{"replayed", store.ErrReplayed, 0, false},
		{"sentinel", store.ErrUnavailable, store.DefaultRetryAfter, true},
		{"typed without hint", &store.UnavailableError{Backend: "postgres", Err: cause}, store.DefaultRetryAfter, true},
		{"typed with hint, wrapped", fmt.Errorf("put /a: %w", &store.UnavailableError{Backend: "postgres", RetryAfter: 3 * time.Second}), 3 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := store.RetryAfter(tc.err)
			if got != tc.want || ok != tc.ok {
				t.Errorf("RetryAfter(%v) = %v, %v; want %v, %v", tc.err, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestUnavailableError(t *testing.T) {
	cause := errors.New("connection refused")
	err := error(&store.UnavailableError{Backend: "postgres", Err: cause})
	if got, want := err.Error(), "the postgres state store is unavailable: connection refused"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, ErrUnavailable / cause) = %v / %v; want true / true", err, errors.Is(err, store.ErrUnavailable), errors.Is(err, cause))
	}
	if got, want := (&store.UnavailableError{Backend: "postgres"}).Error(), "the postgres state store is unavailable"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestCapacityError(t *testing.T) {
	err := error(&store.CapacityError{RetryAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if got, want := err.Error(), "the replay cache is full until 2026-01-02T03:04:05Z"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if !errors.Is(err, store.ErrCapacity) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("CapacityError matches ErrCapacity %v, ErrUnavailable %v; want true, false", errors.Is(err, store.ErrCapacity), errors.Is(err, store.ErrUnavailable))
	}
}

type nopDriver struct{ dsn *string }

func (d nopDriver) Open(_ context.Context, dsn string, _ store.Options) (store.Backend, error) {
	*d.dsn = dsn
	return nil, errors.New("opened")
}

func TestOpen(t *testing.T) {
	var got string
	store.Register("storetest-nop", nopDriver{&got})
	if _, err := store.Open(t.Context(), "storetest-nop://u:secret@h/db", store.Options{}); err == nil || err.Error() != "opened" || got != "storetest-nop://u:secret@h/db" {
		t.Errorf("Open via a registered driver: err %v, dsn %q; want the driver's error and the dsn as given", err, got)
	}
	for _, tc := range []struct{ dsn, want string }{
		{"nosuch://u:secret@h/db", fmt.Sprintf(`store: no backend for "nosuch" URLs (known: %v)`, store.Schemes())},
		{"just-a-word", `store: "just-a-word" is not a store URL (want e.g. postgres://host/db)`},
		{"x://u:secret@h/%zz", `store: "(unparsable URL)" is not a store URL (want e.g. postgres://host/db)`},
	} {
		_, err := store.Open(t.Context(), tc.dsn, store.Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("Open(%q) = %v; want %s", tc.dsn, err, tc.want)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	var s string
	store.Register("storetest-twice", nopDriver{&s})
	defer func() {
		if v := recover(); v != "store: Register called twice for scheme storetest-twice" {
			t.Errorf("second Register: recovered %v; want the panic naming the scheme", v)
		}
	}()
	store.Register("storetest-twice", nopDriver{&s})
}
