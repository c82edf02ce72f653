package mockfla

import (
	"context"
	"net/http"
)

// clientParam reads the client query parameter of the journal views
// (?client=ID: only that client's events); it answers 400 for an empty
// one and reports false.
func clientParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	vals, ok := r.URL.Query()["client"]
	if !ok {
		return "", true
	}
	if len(vals) != 1 || vals[0] == "" {
		writeIssue(w, Issue{Type: IssueInvalidInput, Title: titleInvalid, In: "query", Name: "client",
			Detail: "client must be one client id, e.g. ?client=my_client"})
		return "", false
	}
	return vals[0], true
}

// nameFaultedClient fills the journal's client of a call that an unscoped
// fault answers before authentication, from its bearer token when the
// verifier accepts it, so the client's journal view shows the call.
func (s *Server) nameFaultedClient(ctx context.Context, c *call) {
	token, ok := bearerToken(c.r.Header.Get("Authorization"))
	if !ok || s.cfg.Verifier == nil {
		return
	}
	if caller, err := s.cfg.Verifier.VerifyAccessToken(ctx, token, nil); err == nil {
		c.ev.ClientID = caller.ClientID
	}
}
