package beid

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// testNow is the clock of the tests: 30 November 2026, noon UTC.
var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestCheckSSINValid(t *testing.T) {
	valid := []struct{ ssin, why string }{
		{"85073003328", "1900s"},
		{"93051822361", "1900s"},
		{"42012205181", "1900s"},
		{"00012556777", "2000s"},
		{"01490700185", "2000s, BIS month 49"},
		{"98472899765", "BIS month 47"},
		// The official validator's own vectors.
		{"23292805780", "BIS month 29"},
		{"81050003552", "day unknown (00)"},
		{"92200006963", "BIS month 20: month unknown"},
		{"10200100128", "BIS month 20 with a day"},
		{"24203200171", "BIS month 20 (unknown): the day is not checked"},
		{"92321506985", "BIS month 32"},
		{"92400006909", "BIS month 40: month unknown"},
		{"10400100171", "BIS month 40 with a day"},
		{"92521506931", "BIS month 52"},
		{"70252501507", "BIS month 25"},
		{"92471506993", "BIS month 47"},
		{"19282416134", "BIS, 2000s"},
		{"80240199943", "BIS with counter 999"},
		{"81000003517", "month and day unknown"},
		{"10000100182", "month unknown, day 01"},
		{"00003241778", "month unknown (00): the day is not checked"},
		{"81120103571", "month 12"},
		{"81050103522", "ordinary"},
		{"19082416188", "2000s"},
		// Leap years in both centuries, today, unknown parts this year.
		{"00022900145", "29 February 2000 (a leap year)"},
		{"04022900103", "29 February 1904"},
		{"04022900132", "29 February 2004"},
		{"26113000142", "born today (2026-11-30)"},
		{"26113000113", "30 November 1926"},
		{"26000000189", "2026, month and day unknown"},
		{"85200000082", "BIS with counter 000"},
		{"85400099996", "BIS month 40 with counter 999"},
		{"85253000189", "BIS month 25: 30 May"},
	}
	for _, c := range valid {
		if err := CheckSSIN(c.ssin, testNow); err != nil {
			t.Errorf("CheckSSIN(%q) (%s) = %v; want nil", c.ssin, c.why, err)
		}
	}
}

func TestCheckSSINInvalid(t *testing.T) {
	bad := []struct {
		in   string
		want error
		msg  string
	}{
		{"85073003329", ErrCheckDigit, `SSIN "85073003329": invalid check digit: check digits 29 match neither 28 (born before 2000) nor 57 (born 2000 or later)`},
		{"81050103521", ErrCheckDigit, `SSIN "81050103521": invalid check digit: check digits 21 match neither 22 (born before 2000) nor 51 (born 2000 or later)`},
		{"8507300332", ErrFormat, `SSIN "8507300332": wrong format: want 11 digits`},
		{"8507300332a", ErrFormat, `SSIN "8507300332a": wrong format: want 11 digits`},
		{"850730033280", ErrFormat, `SSIN "850730033280": wrong format: want 11 digits`},
		{"", ErrFormat, `SSIN "": wrong format: want 11 digits`},
		{"test", ErrFormat, `SSIN "test": wrong format: want 11 digits`},
		{"85130003397", ErrDomain, `SSIN "85130003397": outside definition domain: month 13 is not 00–12 (SSIN), 20–32 or 40–52 (BIS)`},
		{"85190000174", ErrDomain, `SSIN "85190000174": outside definition domain: month 19 is not 00–12 (SSIN), 20–32 or 40–52 (BIS)`},
		{"85330000175", ErrDomain, `SSIN "85330000175": outside definition domain: month 33 is not 00–12 (SSIN), 20–32 or 40–52 (BIS)`},
		{"85530000121", ErrDomain, `SSIN "85530000121": outside definition domain: month 53 is not 00–12 (SSIN), 20–32 or 40–52 (BIS)`},
		{"81023003504", ErrDomain, `SSIN "81023003504": outside definition domain: day 30 is beyond the 29 days of February`},
		{"85423000114", ErrDomain, `SSIN "85423000114": outside definition domain: day 30 is beyond the 29 days of February`},
		{"81043203555", ErrDomain, `SSIN "81043203555": outside definition domain: day 32 is beyond the 30 days of April`},
		{"85073200395", ErrDomain, `SSIN "85073200395": outside definition domain: day 32 is beyond the 31 days of July`},
		{"81043103522", ErrDomain, `SSIN "81043103522": outside definition domain: day 31 is beyond the 30 days of April`},
		{"81022903534", ErrDomain, `SSIN "81022903534": outside definition domain: birth date 1981-02-29 does not exist (1981 is not a leap year)`},
		{"00022900116", ErrDomain, `SSIN "00022900116": outside definition domain: birth date 1900-02-29 does not exist (1900 is not a leap year)`},
		{"85073000061", ErrDomain, `SSIN "85073000061": outside definition domain: counter 000 is not allowed in an SSIN (001 to 998)`},
		{"85073099932", ErrDomain, `SSIN "85073099932": outside definition domain: counter 999 is not allowed in an SSIN (001 to 998)`},
		{"47060200096", ErrDomain, `SSIN "47060200096": outside definition domain: counter 000 is not allowed in an SSIN (001 to 998)`},
		{"99020299964", ErrDomain, `SSIN "99020299964": outside definition domain: counter 999 is not allowed in an SSIN (001 to 998)`},
		{"26120100146", ErrDomain, `SSIN "26120100146": outside definition domain: birth date 2026-12-01 is after today 2026-11-30`},
		{"27010100187", ErrDomain, `SSIN "27010100187": outside definition domain: birth date 2027-01-01 is after today 2026-11-30`},
		{"27000000113", ErrDomain, `SSIN "27000000113": outside definition domain: birth date 2027-00-00 is after today 2026-11-30`},
	}
	for _, c := range bad {
		err := CheckSSIN(c.in, testNow)
		if !errors.Is(err, c.want) || err.Error() != c.msg {
			t.Errorf("CheckSSIN(%q) = %v; want %q", c.in, err, c.msg)
		}
	}
	// Today is the calendar date of now in now's location: 1 December 2026
	// at 00:30 in Brussels is still 30 November in UTC.
	brussels := time.FixedZone("CET", 3600)
	if err := CheckSSIN("26120100146", time.Date(2026, 12, 1, 0, 30, 0, 0, brussels)); err != nil {
		t.Errorf("born 1 December, checked on 1 December at 00:30 CET: %v", err)
	}
	if err := CheckSSIN("26120100146", time.Date(2026, 12, 1, 0, 30, 0, 0, brussels).UTC()); err == nil {
		t.Error("born 1 December, checked on 30 November (UTC): accepted")
	}
	if !IsBIS("98472899765") || IsBIS("85073003328") || IsBIS("x") {
		t.Error("IsBIS wrong")
	}
}

func TestEnterpriseNumber(t *testing.T) {
	for _, s := range []string{"0566988259", "0314595348", "0403019261", "1009237290"} {
		if err := CheckEnterpriseNumber(s); err != nil {
			t.Errorf("CheckEnterpriseNumber(%q) = %v", s, err)
		}
	}
	norm := map[string]string{
		"880820673":      "0880820673",
		"0880820673":     "0880820673",
		"BE0403.019.261": "0403019261",
		"be 0403019261":  "0403019261",
	}
	for in, want := range norm {
		got, err := NormalizeEnterpriseNumber(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEnterpriseNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"0566988258": `enterprise number "0566988258": invalid check digit: check digits are 58; want 59`,
		"2566988259": `enterprise number "2566988259": outside definition domain: first digit must be 0 or 1 (2–8 are establishment units)`,
		"05669882":   `enterprise number "05669882": wrong format: want 10 digits`,
	}
	for in, msg := range bad {
		if err := CheckEnterpriseNumber(in); err == nil || err.Error() != msg {
			t.Errorf("CheckEnterpriseNumber(%q) = %v; want %q", in, err, msg)
		}
	}
	if _, err := NormalizeEnterpriseNumber("88082067x"); err == nil || err.Error() != `enterprise number "88082067x": wrong format: want 10 digits (or 9 without the leading 0)` {
		t.Errorf("NormalizeEnterpriseNumber(bad) = %v", err)
	}
	if _, err := NormalizeEnterpriseNumber("880820674"); !errors.Is(err, ErrCheckDigit) || err.Error() != `enterprise number "880820674": invalid check digit: check digits are 74; want 73` {
		t.Errorf("NormalizeEnterpriseNumber(880820674) = %v", err)
	}
	got, err := EnterpriseNumberCheckDigits("05669882")
	if err != nil || got != "0566988259" {
		t.Errorf("EnterpriseNumberCheckDigits = %q, %v", got, err)
	}
	if _, err := EnterpriseNumberCheckDigits("0566988"); err == nil || err.Error() != `enterprise number "0566988": wrong format: want the first 8 digits` {
		t.Errorf("EnterpriseNumberCheckDigits(7 digits) = %v", err)
	}
}

func TestEmployerID(t *testing.T) {
	valid := []struct {
		n   int64
		why string
	}{
		{935467, "0009354-67, the Belgian State in the ONSS Dimona instructions"},
		{51357716, "0513577-16"},
		// The official validator's own vectors.
		{100006, "NSSO"}, {212345609, "NSSO"}, {312345625, "NSSO"}, {200000031, "NSSO"},
		{499999982, "NSSO"}, {187995796, "NSSO"}, {168676597, "NSSO, check 97"},
		{5134794036, "provisional"}, {5000000120, "provisional"}, {5999999989, "provisional"}, {5678901277, "provisional"},
		{43220065, "old range, radix mod 97"}, {2130057, "old range"}, {22300094, "old range"},
		{5170096, "old range"}, {55290097, "old range, check 97"},
	}
	for _, c := range valid {
		if err := CheckEmployerID(c.n); err != nil {
			t.Errorf("CheckEmployerID(%d) (%s) = %v; want nil", c.n, c.why, err)
		}
	}
	bad := []struct {
		n    int64
		want error
		msg  string
	}{
		{196, ErrDomain, `NSSO employer number "196": outside definition domain: want 197 to 5999999999`},
		{6999999999, ErrDomain, `NSSO employer number "6999999999": outside definition domain: want 197 to 5999999999`},
		{-1, ErrDomain, `NSSO employer number "-1": outside definition domain: want 197 to 5999999999`},
		{4000000100, ErrCheckDigit, `NSSO employer number "4000000100": invalid check digit: check digits are 00; want 54 (96 − radix×100 mod 97)`},
		{5678901279, ErrCheckDigit, `NSSO employer number "5678901279": invalid check digit: check digits are 79; want 77 (96 − radix×100 mod 97)`},
		{1000000047, ErrCheckDigit, `NSSO employer number "1000000047": invalid check digit: check digits are 47; want 62 (96 − radix×100 mod 97)`},
		{5000000121, ErrCheckDigit, `NSSO employer number "5000000121": invalid check digit: check digits are 21; want 20 (96 − radix×100 mod 97)`},
		{935468, ErrCheckDigit, `NSSO employer number "935468": invalid check digit: check digits 68 match neither 67 (96 − radix×100 mod 97) nor 42 (radix mod 97, old range up to 99999926)`},
	}
	for _, c := range bad {
		err := CheckEmployerID(c.n)
		if !errors.Is(err, c.want) || err.Error() != c.msg {
			t.Errorf("CheckEmployerID(%d) = %v; want %q", c.n, err, c.msg)
		}
	}
	if n, err := ParseEmployerID("000935467"); err != nil || n != 935467 {
		t.Errorf("ParseEmployerID(000935467) = %d, %v", n, err)
	}
	for in, msg := range map[string]string{
		"0009354-67":          `NSSO employer number "0009354-67": wrong format: want an integer in decimal digits`,
		"":                    `NSSO employer number "": wrong format: want an integer in decimal digits`,
		"1234567890123456789": `NSSO employer number "1234567890123456789": wrong format: want an integer in decimal digits`,
		"000935468":           `NSSO employer number "000935468": invalid check digit: check digits 68 match neither 67 (96 − radix×100 mod 97) nor 42 (radix mod 97, old range up to 99999926)`,
		"00196":               `NSSO employer number "00196": outside definition domain: want 197 to 5999999999`,
	} {
		if _, err := ParseEmployerID(in); err == nil || err.Error() != msg {
			t.Errorf("ParseEmployerID(%q) = %v; want %q", in, err, msg)
		}
	}
}

// slowMod97 is the remainder of a decimal number by 97 computed with
// math/big, the reference the fast uint64 arithmetic is held against.
func slowMod97(digits string) uint64 {
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		panic("slowMod97: not digits: " + digits)
	}
	return new(big.Int).Mod(n, big.NewInt(97)).Uint64()
}

// slowSSINCheck reports whether the last two digits of an 11-digit string
// are a valid check for either century, by the math/big reference.
func slowSSINCheck(s string) bool {
	check, _ := strconv.Atoi(s[9:])
	return uint64(check) == 97-slowMod97(s[:9]) || uint64(check) == 97-slowMod97("2"+s[:9])
}

func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"85073003328", "0880820673", "880820673", "BE0403.019.261", "", "b", "BE",
		"81023003504", "26120100146", "92200006963", "00022900116", "85073000061", "000935467", "5999999989"} {
		f.Add(s, int64(0))
	}
	f.Add("5134794036", int64(5134794036))
	f.Add("x", int64(-9223372036854775808))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		err := CheckSSIN(s, testNow)
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) && !errors.Is(err, ErrDomain) {
			t.Fatalf("CheckSSIN(%q): unexpected error kind %v", s, err)
		}
		if len(s) == 11 && allDigits(s) {
			// The fast check digits agree with the math/big reference: a
			// check-digit error if and only if the reference refuses.
			if (err == nil && !slowSSINCheck(s)) || (errors.Is(err, ErrCheckDigit) && slowSSINCheck(s)) {
				t.Fatalf("CheckSSIN(%q) = %v, but the reference says check digits valid=%v", s, err, slowSSINCheck(s))
			}
			if err == nil {
				mm, _ := strconv.Atoi(s[2:4])
				if mm > 52 || mm%20 > 12 {
					t.Fatalf("CheckSSIN(%q) accepted month %02d", s, mm)
				}
			}
		}
		norm, err := NormalizeEnterpriseNumber(s)
		if err == nil {
			if CheckEnterpriseNumber(norm) != nil {
				t.Fatalf("normalized %q to %q which does not check", s, norm)
			}
			if want := 97 - slowMod97(norm[:8]); strconv.Itoa(int(want)) != trimZero(norm[8:]) {
				t.Fatalf("enterprise number %q accepted; the reference wants check %02d", norm, want)
			}
		}
		if err := CheckEmployerID(n); err == nil {
			// Hold the accepted number against the reference.
			if n < EmployerIDMin || n > EmployerIDMax {
				t.Fatalf("CheckEmployerID(%d) accepted a number out of range", n)
			}
			radix := strconv.FormatInt(n/100, 10)
			check := uint64(n % 100)
			nsso := 96 - slowMod97(radix+"00")
			if nsso == 0 {
				nsso = 97
			}
			old := slowMod97(radix)
			if old == 0 {
				old = 97
			}
			if check != nsso && !(n <= employerIDOldMax && check == old) {
				t.Fatalf("CheckEmployerID(%d) accepted check %02d; the reference wants %02d (or %02d in the old range)", n, check, nsso, old)
			}
		}
		if m, err := ParseEmployerID(s); err == nil && CheckEmployerID(m) != nil {
			t.Fatalf("ParseEmployerID(%q) = %d which does not check", s, m)
		}
	})
}

func trimZero(s string) string {
	if len(s) == 2 && s[0] == '0' {
		return s[1:]
	}
	return s
}

// normalizeEnterpriseRef is NormalizeEnterpriseNumber as it was before its
// fast paths (one byte loop, strconv for the check digits): the reference
// FuzzNormalizeEnterpriseNumber holds it to.
func normalizeEnterpriseRef(s string) (string, error) {
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
	if len(n) != 10 || !allDigits(n) {
		return "", &Error{KindEnterprise, orig, ErrFormat, "want 10 digits"}
	}
	if n[0] != '0' && n[0] != '1' {
		return "", &Error{KindEnterprise, orig, ErrDomain, "first digit must be 0 or 1 (2–8 are establishment units)"}
	}
	body, _ := strconv.ParseUint(n[:8], 10, 64)
	check, _ := strconv.ParseUint(n[8:], 10, 64)
	if want := mod97Check(body); want != check {
		return "", &Error{KindEnterprise, orig, ErrCheckDigit, fmt.Sprintf("check digits are %02d; want %02d", check, want)}
	}
	return n, nil
}

// FuzzNormalizeEnterpriseNumber: the same number or the same error (kind,
// value, reason and detail) as the reference, on any input.
func FuzzNormalizeEnterpriseNumber(f *testing.F) {
	for _, s := range []string{"0880820673", "880820673", "BE0403.019.261", "be 0403 019 261", "0880820674", "2880820673",
		"88082067", "08808206730", "", "B", "BE", "0403.019.261x", "1000000096", "999999999", "０880820673"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEnterpriseNumber(s)
		want, werr := normalizeEnterpriseRef(s)
		if got != want || (err == nil) != (werr == nil) || err != nil && !reflect.DeepEqual(err, werr) {
			t.Fatalf("NormalizeEnterpriseNumber(%q) = %q, %v; reference %q, %v", s, got, err, want, werr)
		}
	})
}
