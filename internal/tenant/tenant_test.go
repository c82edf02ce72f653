package tenant_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/flamock/flamock/internal/tenant"
)

func TestQuery(t *testing.T) {
	for _, c := range []struct {
		actsFor, query string // actsFor "": the operator
		id, named      string
		allowed        bool
		err            error
	}{
		{"", "", "", "", true, nil},
		{"", "?clientId=x", "x", "x", true, nil},
		{"", "?clientId=", "", "", false, tenant.ErrQueryNotOne},
		{"", "?clientId=x&clientId=y", "", "", false, tenant.ErrQueryNotOne},
		{"", "?clientId=x&clientId=x", "", "", false, tenant.ErrQueryNotOne},
		{"a", "", "a", "", true, nil},
		{"a", "?clientId=a", "a", "a", true, nil},
		{"a", "?clientId=b", "a", "b", false, nil},
		{"a", "?clientId=", "", "", false, tenant.ErrQueryNotOne},
		{"", "?client=b", "", "", false, tenant.ErrQueryRenamed}, // the old name: refused, never ignored
		{"a", "?client=b", "", "", false, tenant.ErrQueryRenamed},
		{"a", "?client=a", "", "", false, tenant.ErrQueryRenamed},
		{"", "?client=", "", "", false, tenant.ErrQueryRenamed},
		{"", "?clientId=x&client=x", "", "", false, tenant.ErrQueryRenamed},
		{"", "?clients=x", "", "", true, nil}, // another parameter: not read
	} {
		r := httptest.NewRequest("GET", "/__admin/faults"+c.query, nil)
		if c.actsFor != "" {
			r = r.WithContext(tenant.With(context.Background(), c.actsFor))
		}
		id, named, allowed, err := tenant.Query(r)
		if id != c.id || named != c.named || allowed != c.allowed || err != c.err {
			t.Errorf("acting for %q, %q: Query = %q, %q, %v, %v; want %q, %q, %v, %v",
				c.actsFor, c.query, id, named, allowed, err, c.id, c.named, c.allowed, c.err)
		}
	}
}

// The 400 for each of Query's errors names the parameter and the right one.
func TestQueryDetail(t *testing.T) {
	for _, c := range []struct {
		err           error
		param, detail string
	}{
		{tenant.ErrQueryNotOne, "clientId", "clientId must be one client id, e.g. ?clientId=my_client"},
		{tenant.ErrQueryRenamed, "client", "client is not a query parameter of the admin API: a client id is ?clientId=ID (e.g. ?clientId=my_client), on every admin route that takes one"},
	} {
		if param, detail := tenant.QueryDetail(c.err); param != c.param || detail != c.detail {
			t.Errorf("QueryDetail(%v) = %q, %q; want %q, %q", c.err, param, detail, c.param, c.detail)
		}
	}
}
