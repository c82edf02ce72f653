package tenant_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/flamock/flamock/internal/tenant"
)

func TestQuery(t *testing.T) {
	for _, c := range []struct {
		actsFor, query     string // actsFor "": the operator
		id, named          string
		allowed, notOneErr bool
	}{
		{"", "", "", "", true, false},
		{"", "?clientId=x", "x", "x", true, false},
		{"", "?clientId=", "", "", false, true},
		{"", "?clientId=x&clientId=y", "", "", false, true},
		{"", "?clientId=x&clientId=x", "", "", false, true},
		{"a", "", "a", "", true, false},
		{"a", "?clientId=a", "a", "a", true, false},
		{"a", "?clientId=b", "a", "b", false, false},
		{"a", "?clientId=", "", "", false, true},
		{"a", "?client=b", "a", "", true, false}, // another parameter's name: not read
	} {
		r := httptest.NewRequest("GET", "/__admin/faults"+c.query, nil)
		if c.actsFor != "" {
			r = r.WithContext(tenant.With(context.Background(), c.actsFor))
		}
		id, named, allowed, err := tenant.Query(r, "clientId")
		if id != c.id || named != c.named || allowed != c.allowed || (err == tenant.ErrQueryNotOne) != c.notOneErr || (err != nil && err != tenant.ErrQueryNotOne) {
			t.Errorf("acting for %q, %q: Query = %q, %q, %v, %v; want %q, %q, %v, not one: %v",
				c.actsFor, c.query, id, named, allowed, err, c.id, c.named, c.allowed, c.notOneErr)
		}
	}
}
