// Package beid checks Belgian identifiers: the SSIN (INSZ/NISS, including
// BIS numbers) and the enterprise number (KBO/BCE). The rules and test
// vectors are in shared/reference/domain.md §5.
package beid

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors returned by the checks; they wrap one of these sentinels so callers
// can tell a format problem from a check-digit problem.
var (
	ErrFormat     = errors.New("wrong format")
	ErrCheckDigit = errors.New("invalid check digit")
	ErrDomain     = errors.New("outside definition domain")
)

// Error describes why an identifier was refused.
type Error struct {
	Kind   string // "SSIN" or "enterprise number"
	Value  string
	Reason error // one of the sentinels
	Detail string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %q: %v: %s", e.Kind, e.Value, e.Reason, e.Detail)
}

func (e *Error) Unwrap() error { return e.Reason }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mod97Check returns 97 - (n mod 97).
func mod97Check(n uint64) uint64 { return 97 - n%97 }

// CheckSSIN verifies an 11-digit SSIN or BIS number: the check digits for a
// birth in the 1900s or in 2000 or later, and a month of 0–12 (SSIN), 20–32
// or 40–52 (BIS).
func CheckSSIN(s string) error {
	if len(s) != 11 || !allDigits(s) {
		return &Error{"SSIN", s, ErrFormat, "want 11 digits"}
	}
	month, _ := strconv.Atoi(s[2:4])
	if !(month <= 12 || (month >= 20 && month <= 32) || (month >= 40 && month <= 52)) {
		return &Error{"SSIN", s, ErrDomain, fmt.Sprintf("month %02d is not 00–12, 20–32 (BIS) or 40–52 (BIS)", month)}
	}
	body, _ := strconv.ParseUint(s[:9], 10, 64)
	check, _ := strconv.ParseUint(s[9:], 10, 64)
	if mod97Check(body) == check || mod97Check(2_000_000_000+body) == check {
		return nil
	}
	return &Error{"SSIN", s, ErrCheckDigit, fmt.Sprintf("check digits %02d match neither %02d (born before 2000) nor %02d (born 2000 or later)",
		check, mod97Check(body), mod97Check(2_000_000_000+body))}
}

// IsBIS reports whether a well-formed SSIN is a BIS number (month + 20 or + 40).
func IsBIS(s string) bool {
	if len(s) != 11 || !allDigits(s) {
		return false
	}
	m, _ := strconv.Atoi(s[2:4])
	return m >= 20
}

// NormalizeEnterpriseNumber accepts an enterprise number as 10 digits, as
// 9 digits without the leading zero (as the seed's example 880820673 and
// Dimona responses write it), or with dots or a "BE" prefix, and returns
// the 10-digit form after checking its check digits.
func NormalizeEnterpriseNumber(s string) (string, error) {
	orig := s
	b := make([]byte, 0, 10)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == '.' || c == ' ':
		case i == 0 && (c == 'B' || c == 'b') && len(s) > 1 && (s[1] == 'E' || s[1] == 'e'):
			i++
		default:
			return "", &Error{"enterprise number", orig, ErrFormat, "want 10 digits (or 9 without the leading 0)"}
		}
	}
	if len(b) == 9 {
		b = append([]byte{'0'}, b...)
	}
	n := string(b)
	if err := CheckEnterpriseNumber(n); err != nil {
		err.(*Error).Value = orig
		return "", err
	}
	return n, nil
}

// CheckEnterpriseNumber verifies a 10-digit enterprise number: first digit 0
// or 1, and last two digits = 97 − (first eight mod 97).
func CheckEnterpriseNumber(s string) error {
	if len(s) != 10 || !allDigits(s) {
		return &Error{"enterprise number", s, ErrFormat, "want 10 digits"}
	}
	if s[0] != '0' && s[0] != '1' {
		return &Error{"enterprise number", s, ErrDomain, "first digit must be 0 or 1 (2–8 are establishment units)"}
	}
	body, _ := strconv.ParseUint(s[:8], 10, 64)
	check, _ := strconv.ParseUint(s[8:], 10, 64)
	if want := mod97Check(body); want != check {
		return &Error{"enterprise number", s, ErrCheckDigit, fmt.Sprintf("check digits are %02d; want %02d", check, want)}
	}
	return nil
}

// EnterpriseNumberCheckDigits returns the 10-digit enterprise number whose
// first eight digits are prefix (handy for making test data).
func EnterpriseNumberCheckDigits(prefix string) (string, error) {
	if len(prefix) != 8 || !allDigits(prefix) {
		return "", &Error{"enterprise number", prefix, ErrFormat, "want the first 8 digits"}
	}
	body, _ := strconv.ParseUint(prefix, 10, 64)
	return fmt.Sprintf("%s%02d", prefix, mod97Check(body)), nil
}
