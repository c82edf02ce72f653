// Package beid checks Belgian identifiers by the rules the official Belgif
// validators apply:
//
//   - the SSIN (INSZ/NISS), including BIS numbers: CheckSSIN;
//   - the enterprise number (KBO/BCE/CBE): CheckEnterpriseNumber,
//     NormalizeEnterpriseNumber;
//   - the NSSO employer number (ONSS/RSZ; "EmployerId" in the Belgif
//     vocabulary): CheckEmployerID, ParseEmployerID.
//
// Every refusal is an *Error that wraps one of ErrFormat, ErrCheckDigit or
// ErrDomain and whose Detail names the rule that failed.
package beid

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Errors returned by the checks; they wrap one of these sentinels so callers
// can tell a format problem from a check-digit problem.
var (
	ErrFormat     = errors.New("wrong format")
	ErrCheckDigit = errors.New("invalid check digit")
	ErrDomain     = errors.New("outside definition domain")
)

// Kinds of identifier, as they appear in Error.Kind.
const (
	KindSSIN       = "SSIN"
	KindEnterprise = "enterprise number"
	KindEmployerID = "NSSO employer number"
)

// Error describes why an identifier was refused.
type Error struct {
	Kind   string // KindSSIN, KindEnterprise or KindEmployerID
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

// ssin2000 is the prefix of the check-digit computation for people born in
// 2000 or later: a 2 before the first nine digits.
const ssin2000 = 2_000_000_000

var monthNames = [13]string{"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// maxDay is the length of a month in a leap year (the day check before
// the century is known, as the official validator does it).
var maxDay = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// CheckSSIN verifies an SSIN or a BIS number, 11 digits: birth date YYMMDD,
// a counter of three digits and two check digits. It refuses, as the
// official Belgif validator does:
//
//   - anything but 11 digits (ErrFormat);
//   - a month above 52, or whose value mod 20 is above 12: an SSIN has a
//     month 00 to 12, a BIS number adds 20 (sex unknown) or 40 (sex known)
//     (ErrDomain);
//   - a day beyond the length of a known month (ErrDomain);
//   - a counter 000 or 999 in an SSIN whose month is 00 to 12 (ErrDomain;
//     BIS numbers may use them);
//   - check digits that are neither 97 − (first nine digits mod 97), for a
//     birth in the 1900s, nor 97 − ((2 followed by the first nine digits)
//     mod 97), for a birth in 2000 or later (ErrCheckDigit);
//   - a birth date that does not exist in the century the check digits name
//     (29 February of a year that is not a leap year) (ErrDomain);
//   - a birth date after today, the calendar date of now in its location
//     (ErrDomain).
//
// Month 00 and day 00 stand for an unknown month or day and are accepted;
// with an unknown month, the day is not checked.
func CheckSSIN(s string, now time.Time) error {
	if len(s) != 11 || !allDigits(s) {
		return &Error{KindSSIN, s, ErrFormat, "want 11 digits"}
	}
	yy, _ := strconv.Atoi(s[0:2])
	mm, _ := strconv.Atoi(s[2:4])
	dd, _ := strconv.Atoi(s[4:6])
	counter, _ := strconv.Atoi(s[6:9])
	month := mm % 20
	if mm > 52 || month > 12 {
		return &Error{KindSSIN, s, ErrDomain, fmt.Sprintf("month %02d is not 00–12 (SSIN), 20–32 or 40–52 (BIS)", mm)}
	}
	if dd != 0 && month != 0 && dd > maxDay[month] {
		return &Error{KindSSIN, s, ErrDomain, fmt.Sprintf("day %02d is beyond the %d days of %s", dd, maxDay[month], monthNames[month])}
	}
	if mm <= 12 && (counter == 0 || counter == 999) {
		return &Error{KindSSIN, s, ErrDomain, fmt.Sprintf("counter %03d is not allowed in an SSIN (001 to 998)", counter)}
	}
	body, _ := strconv.ParseUint(s[:9], 10, 64)
	check, _ := strconv.ParseUint(s[9:], 10, 64)
	year := 1900 + yy
	switch check {
	case mod97Check(body):
	case mod97Check(ssin2000 + body):
		year = 2000 + yy
	default:
		return &Error{KindSSIN, s, ErrCheckDigit, fmt.Sprintf("check digits %02d match neither %02d (born before 2000) nor %02d (born 2000 or later)",
			check, mod97Check(body), mod97Check(ssin2000+body))}
	}
	if dd != 0 && month != 0 {
		if t := time.Date(year, time.Month(month), dd, 0, 0, 0, 0, time.UTC); t.Day() != dd {
			return &Error{KindSSIN, s, ErrDomain, fmt.Sprintf("birth date %04d-%02d-%02d does not exist (%d is not a leap year)", year, month, dd, year)}
		}
	}
	ny, nm, nd := now.Date()
	if year*10000+month*100+dd > ny*10000+int(nm)*100+nd {
		return &Error{KindSSIN, s, ErrDomain, fmt.Sprintf("birth date %s is after today %04d-%02d-%02d", birthDate(year, month, dd), ny, nm, nd)}
	}
	return nil
}

// birthDate writes a birth date with its unknown parts as 00.
func birthDate(y, m, d int) string { return fmt.Sprintf("%04d-%02d-%02d", y, m, d) }

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
	switch {
	case len(s) == 10 && allDigits(s): // the canonical form: nothing to build
		if err := CheckEnterpriseNumber(s); err != nil {
			return "", err
		}
		return s, nil
	case len(s) == 9 && allDigits(s):
		n := "0" + s
		if err := CheckEnterpriseNumber(n); err != nil {
			err.(*Error).Value = s
			return "", err
		}
		return n, nil
	}
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
			return "", &Error{KindEnterprise, orig, ErrFormat, "want 10 digits (or 9 without the leading 0)"}
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
		return &Error{KindEnterprise, s, ErrFormat, "want 10 digits"}
	}
	if s[0] != '0' && s[0] != '1' {
		return &Error{KindEnterprise, s, ErrDomain, "first digit must be 0 or 1 (2–8 are establishment units)"}
	}
	body := uint64(0)
	for i := 0; i < 8; i++ {
		body = body*10 + uint64(s[i]-'0')
	}
	check := uint64(s[8]-'0')*10 + uint64(s[9]-'0')
	if want := mod97Check(body); want != check {
		return &Error{KindEnterprise, s, ErrCheckDigit, fmt.Sprintf("check digits are %02d; want %02d", check, want)}
	}
	return nil
}

// EnterpriseNumberCheckDigits returns the 10-digit enterprise number whose
// first eight digits are prefix (handy for making test data).
func EnterpriseNumberCheckDigits(prefix string) (string, error) {
	if len(prefix) != 8 || !allDigits(prefix) {
		return "", &Error{KindEnterprise, prefix, ErrFormat, "want the first 8 digits"}
	}
	body, _ := strconv.ParseUint(prefix, 10, 64)
	return fmt.Sprintf("%s%02d", prefix, mod97Check(body)), nil
}

// Limits of the NSSO employer number (Belgif EmployerId).
const (
	EmployerIDMin = 197
	EmployerIDMax = 5_999_999_999
	// employerIDOldMax ends the old range, whose numbers may also carry the
	// older check digits (radix mod 97).
	employerIDOldMax = 99_999_926
)

// employerIDCheck is the check of an NSSO employer number's radix (the number
// without its last two digits): 96 − (radix × 100 mod 97), 0 becoming 97.
func employerIDCheck(radix int64) int64 {
	c := 96 - (radix*100)%97
	if c == 0 {
		return 97
	}
	return c
}

// employerIDOldCheck is the other check accepted in the old range:
// radix mod 97, 0 becoming 97.
func employerIDOldCheck(radix int64) int64 {
	c := radix % 97
	if c == 0 {
		return 97
	}
	return c
}

// CheckEmployerID verifies an NSSO employer number as the Belgif EmployerId
// type has it: an integer from 197 to 5999999999 (provisional numbers start
// with 5, in ten digits) whose last two digits are 96 − (radix × 100 mod 97),
// 0 becoming 97, the radix being the number without its last two digits; in
// the old range 197 to 99999926, radix mod 97 (0 becoming 97) is accepted too.
func CheckEmployerID(n int64) error {
	v := strconv.FormatInt(n, 10)
	if n < EmployerIDMin || n > EmployerIDMax {
		return &Error{KindEmployerID, v, ErrDomain, fmt.Sprintf("want %d to %d", EmployerIDMin, EmployerIDMax)}
	}
	radix, check := n/100, n%100
	want := employerIDCheck(radix)
	if check == want {
		return nil
	}
	if n <= employerIDOldMax {
		old := employerIDOldCheck(radix)
		if check == old {
			return nil
		}
		return &Error{KindEmployerID, v, ErrCheckDigit, fmt.Sprintf("check digits %02d match neither %02d (96 − radix×100 mod 97) nor %02d (radix mod 97, old range up to %d)",
			check, want, old, employerIDOldMax)}
	}
	return &Error{KindEmployerID, v, ErrCheckDigit, fmt.Sprintf("check digits are %02d; want %02d (96 − radix×100 mod 97)", check, want)}
}

// ParseEmployerID reads an NSSO employer number written in decimal digits
// (as a path or query parameter carries it; leading zeros are allowed, as
// in "000935467") and checks it with CheckEmployerID.
func ParseEmployerID(s string) (int64, error) {
	if !allDigits(s) || len(s) > 18 {
		return 0, &Error{KindEmployerID, s, ErrFormat, "want an integer in decimal digits"}
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	if err := CheckEmployerID(n); err != nil {
		err.(*Error).Value = s
		return 0, err
	}
	return n, nil
}
