package mockfla

import (
	"reflect"

	"github.com/getkin/kin-openapi/openapi3"
)

// kin-openapi checks the string format "date" with a regexp
// (openapi3.FormatOfStringDate) and then time.Parse(time.DateOnly): the
// most expensive check of an FLA PUT. A compiled schema whose "date" is
// still kin-openapi's own validator checks it with isDate instead, which
// accepts exactly the same strings (FuzzIsDate holds it to kin-openapi).
// A validator registered by anyone else (openapi3.DefineStringFormatValidator)
// is called as it is.

// kinDateCode identifies kin-openapi's date validators (a closure of
// its newDateFormatValidator, which "date-time" shares: kinDate tells them
// apart by what they accept).
var kinDateCode = validatorCode(openapi3.SchemaStringFormats["date"])

// validatorCode is the code pointer of a kin-openapi callback validator's
// function, 0 for any other kind of validator.
func validatorCode(v openapi3.StringFormatValidator) uintptr {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Struct || rv.NumField() != 1 || rv.Field(0).Kind() != reflect.Func {
		return 0
	}
	return rv.Field(0).Pointer()
}

// kinDate reports whether v is kin-openapi's own "date" validator.
func kinDate(v openapi3.StringFormatValidator) bool {
	return v != nil && kinDateCode != 0 && validatorCode(v) == kinDateCode &&
		v.Validate("2024-02-29") == nil && v.Validate("2023-02-29") != nil && v.Validate("2024-02-29T00:00:00Z") != nil
}

// isDate is kin-openapi's "date" check without the regexp and the parse:
// exactly ten bytes YYYY-MM-DD, a month 01 to 12 and a day 01 up to the
// days of that month (29 in February of a leap year, as time.Parse counts).
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := 31
	switch month {
	case 4, 6, 9, 11:
		days = 30
	case 2:
		days = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			days = 29
		}
	}
	return day <= days
}
