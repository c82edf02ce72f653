package beid

import (
	"errors"
	"testing"
)

func TestCheckSSIN(t *testing.T) {
	valid := []string{"85073003328", "93051822361", "42012205181", "00012556777", "01490700185", "98472899765"}
	for _, s := range valid {
		if err := CheckSSIN(s); err != nil {
			t.Errorf("CheckSSIN(%q) = %v; want nil", s, err)
		}
	}
	bad := []struct {
		in   string
		want error
		msg  string
	}{
		{"85073003329", ErrCheckDigit, `SSIN "85073003329": invalid check digit: check digits 29 match neither 28 (born before 2000) nor 57 (born 2000 or later)`},
		{"8507300332", ErrFormat, `SSIN "8507300332": wrong format: want 11 digits`},
		{"8507300332a", ErrFormat, `SSIN "8507300332a": wrong format: want 11 digits`},
		{"", ErrFormat, `SSIN "": wrong format: want 11 digits`},
		{"85133003328", ErrDomain, `SSIN "85133003328": outside definition domain: month 13 is not 00–12, 20–32 (BIS) or 40–52 (BIS)`},
	}
	for _, c := range bad {
		err := CheckSSIN(c.in)
		if !errors.Is(err, c.want) || err.Error() != c.msg {
			t.Errorf("CheckSSIN(%q) = %v; want %q", c.in, err, c.msg)
		}
	}
	if !IsBIS("98472899765") || IsBIS("85073003328") {
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
}

func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"85073003328", "0880820673", "880820673", "BE0403.019.261", "", "b", "BE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := CheckSSIN(s); err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) && !errors.Is(err, ErrDomain) {
			t.Fatalf("CheckSSIN(%q): unexpected error kind %v", s, err)
		}
		n, err := NormalizeEnterpriseNumber(s)
		if err == nil {
			if CheckEnterpriseNumber(n) != nil {
				t.Fatalf("normalized %q to %q which does not check", s, n)
			}
		}
	})
}
