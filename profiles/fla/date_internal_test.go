package fla

import (
	"testing"
	"time"
)

var dateSeeds = []string{
	"2023-03-06", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0000-01-01", "9999-12-31", "2023-13-01",
	"2023-00-10", "2023-04-31", "2023-04-30", "2023-1-01", "2023-01-1", "+023-01-01", "2023-01-01 ", "2023/01/01",
	"2023-01-0a", "", "2023-01-01T00:00:00Z", "२०२३-01-01", "2023-01-00", "2023-12-32",
}

func TestParseDate(t *testing.T) {
	for _, s := range dateSeeds {
		checkDate(t, s)
	}
}

// FuzzParseDate holds parseDate to time.Parse(time.DateOnly, ...).
func FuzzParseDate(f *testing.F) {
	for _, s := range dateSeeds {
		f.Add(s)
	}
	f.Fuzz(checkDate)
}

func checkDate(t *testing.T, s string) {
	want, err := time.Parse(time.DateOnly, s)
	got, ok := parseDate(s)
	if ok != (err == nil) || ok && got != want {
		t.Fatalf("parseDate(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
	}
}
