package timetext_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/internal/timetext"
)

func TestDuration(t *testing.T) {
	var v struct {
		D timetext.Duration `json:"d" yaml:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":"1.5s"}`), &v); err != nil || v.D.D() != 1500*time.Millisecond {
		t.Errorf("JSON: got %v, %v; want 1.5s", v.D, err)
	}
	if err := yaml.Unmarshal([]byte("d: 10m"), &v); err != nil || v.D.D() != 10*time.Minute {
		t.Errorf("YAML: got %v, %v; want 10m", v.D, err)
	}
	if b, err := json.Marshal(v); err != nil || string(b) != `{"d":"10m0s"}` {
		t.Errorf("marshal: got %s, %v; want {\"d\":\"10m0s\"}", b, err)
	}
	for in, want := range map[string]string{
		`{"d":"soon"}`: `want a duration such as "1.5s" or "250ms", not "soon"`,
		`{"d":5}`:      `want a duration such as "1.5s" or "250ms", not 5`,
	} {
		err := json.Unmarshal([]byte(in), &v)
		var se *timetext.SyntaxError
		if err == nil || err.Error() != want || !errors.As(err, &se) || se.Want != "a duration" {
			t.Errorf("%s: got %v; want %s", in, err, want)
		}
	}
}

func TestDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-01-01":                time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		"2024-01-01T10:00:00+01:00": time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC),
	} {
		got, err := timetext.ParseDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	var d timetext.Date
	err := yaml.Unmarshal([]byte("tomorrow"), &d)
	var se *timetext.SyntaxError
	if err == nil || !errors.As(err, &se) || se.Error() != `"tomorrow" is neither YYYY-MM-DD nor RFC 3339` {
		t.Errorf("YAML date: got %v; want the date error", err)
	}
}
