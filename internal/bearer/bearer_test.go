package bearer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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

// TestFingerprint_Remembered: a token seen again, or after the cache was
// emptied, has the same fingerprint; many tokens never grow the cache
// past its bound.
func TestFingerprint_Remembered(t *testing.T) {
	for i := range 3 * fingerprintCache {
		tok := fmt.Sprintf("token-%d", i)
		sum := sha256.Sum256([]byte(tok))
		want := hex.EncodeToString(sum[:8])
		if got, again := Fingerprint(tok), Fingerprint(tok); got != want || again != want {
			t.Fatalf("Fingerprint(%s) = %s then %s, want %s", tok, got, again, want)
		}
	}
	n := 0
	fingerprints.m.Range(func(any, any) bool { n++; return true })
	if n > fingerprintCache {
		t.Errorf("%d fingerprints remembered; bound %d", n, fingerprintCache)
	}
}

func BenchmarkFingerprint(b *testing.B) {
	tok := strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 40)
	b.ReportAllocs()
	for b.Loop() {
		Fingerprint(tok)
	}
}
