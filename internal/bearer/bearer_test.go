package bearer

import (
	"errors"
	"fmt"
	"testing"
)

func TestScopeError(t *testing.T) {
	err := fmt.Errorf("verify: %w", &ScopeError{Required: []string{"a", "b"}, Granted: []string{"c"}})
	if !errors.Is(err, ErrInsufficientScope) || errors.Is(err, ErrExpired) {
		t.Errorf("errors.Is on %v is wrong", err)
	}
	if got, want := err.Error(), "verify: insufficient scope: requires a or b; token has c"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if got := (&ScopeError{Required: []string{"a"}}).Error(); got != "insufficient scope: requires a; token has no scope" {
		t.Errorf("Error() = %q", got)
	}
}

func TestCaller_HasScope(t *testing.T) {
	c := Caller{Scopes: []string{"x", "y"}}
	if !c.HasScope("y") || c.HasScope("z") || (Caller{}).HasScope("") {
		t.Error("HasScope wrong")
	}
}

func TestFingerprint(t *testing.T) {
	// SHA-256("abc") starts with ba7816bf8f01cfea.
	if got := Fingerprint("abc"); got != "ba7816bf8f01cfea" {
		t.Errorf("Fingerprint(abc) = %s", got)
	}
}
