package mockoauth

import (
	"github.com/flamock/flamock/internal/strictjson"

	"github.com/flamock/flamock/internal/timetext"

	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/store"
)

// AdminPrefix is where AdminHandler expects to be mounted.
const AdminPrefix = "/__admin/oauth/"

// AdminHandler returns the admin API, to be mounted at AdminPrefix. It
// exposes the knobs of Server over HTTP for tests in other languages and
// CI. Bodies are JSON; errors are RFC 6749-style JSON. Routes:
//
//	GET    /__admin/oauth/faults          200 {"faults":[{...,"left":N}]} (Faults)
//	POST   /__admin/oauth/faults          {"count":1,"status":503,"error":"temporarily_unavailable","detail":"...","delay":"2s","retryAfter":"5s"}
//	                                      or a list: 201 {"faults":[...]} (QueueFault); unknown keys are a 400
//	DELETE /__admin/oauth/faults          204 (ClearFaults)
//	POST   /__admin/oauth/tokens          {"clientId":"...","scopes":["..."]} -> {"access_token":"..."} (IssueToken)
//	POST   /__admin/oauth/tokens/expire   {"token":"..."} one token, {} all -> {"count":n}
//	POST   /__admin/oauth/tokens/revoke   {"token":"..."} one token, {} all -> {"count":n}
//	GET    /__admin/oauth/clock           -> {"offset":"0s","now":"..."}
//	PUT    /__admin/oauth/clock           {"offset":"-90s"} (SetClockOffset)
//	GET    /__admin/oauth/clients         -> registered clients with certificate thumbprints
//	POST   /__admin/oauth/clients         {"clientId","quality","enterpriseNumber","scopes","disabled","certificates":["PEM or base64 DER", ...]} (AddClient)
//	DELETE /__admin/oauth/clients/{id}    RemoveClient
//	GET    /__admin/oauth/stats           -> Stats
//
// It has no authentication: serve it on loopback or a test network only.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	p := strings.TrimSuffix(AdminPrefix, "/")
	mux.HandleFunc("GET "+p+"/faults", s.adminFaults)
	mux.HandleFunc("POST "+p+"/faults", s.adminFaults)
	mux.HandleFunc("DELETE "+p+"/faults", s.adminFaults)
	mux.HandleFunc("POST "+p+"/tokens", s.adminIssue)
	mux.HandleFunc("POST "+p+"/tokens/expire", s.adminTokens(s.expireTokens))
	mux.HandleFunc("POST "+p+"/tokens/revoke", s.adminTokens(s.revokeTokens))
	mux.HandleFunc("GET "+p+"/clock", s.adminClock)
	mux.HandleFunc("PUT "+p+"/clock", s.adminClock)
	mux.HandleFunc("GET "+p+"/clients", s.adminClients)
	mux.HandleFunc("POST "+p+"/clients", s.adminAddClient)
	mux.HandleFunc("DELETE "+p+"/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch ok, err := s.RemoveClient(r.PathValue("id")); {
		case err != nil:
			s.adminUnavailable(w, err)
			return
		case !ok:
			adminError(w, http.StatusNotFound, "client %q is not registered", r.PathValue("id"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"removed": r.PathValue("id")})
	})
	mux.HandleFunc("GET "+p+"/stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Stats()) })
	return clientGuard(mux)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	err := strictjson.ReadRequest(r, v)
	if err == nil || errors.Is(err, io.EOF) { // no body: the defaults
		return true
	}
	if uk := (*strictjson.UnknownKeyError)(nil); errors.As(err, &uk) {
		adminError(w, http.StatusBadRequest, "request body: unknown key %q", uk.Key)
		return false
	}
	adminError(w, http.StatusBadRequest, "request body: %v", err)
	return false
}

func (s *Server) adminIssue(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID string   `json:"clientId"`
		Scopes   []string `json:"scopes"`
	}
	if !decodeBody(w, r, &in) || !scopeClient(w, r, &in.ClientID) {
		return
	}
	tok, err := s.IssueToken(in.ClientID, in.Scopes...)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.cfg.TokenTTL / time.Second)})
}

func (s *Server) adminTokens(change func(tok string) (int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Token string `json:"token"`
		}
		if !decodeBody(w, r, &in) || !s.ownTokenOnly(w, r, in.Token) {
			return
		}
		n, err := change(in.Token)
		if err != nil {
			e := ErrTemporarilyUnavailable.Describe("the revocation store cannot be reached: %v", err)
			e.retryAfter = storeRetry(err)
			status, hdr := s.refusal(e)
			writeError(w, status, e, hdr)
			return
		}
		if in.Token == "" {
			writeJSON(w, http.StatusOK, map[string]any{"count": n})
			return
		}
		if n != 1 {
			adminError(w, http.StatusNotFound, "token %s is not known", Fingerprint(in.Token))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"count": 1})
	}
}

func (s *Server) adminClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var in struct {
			Offset timetext.Duration `json:"offset"`
		}
		if !decodeBody(w, r, &in) {
			return
		}
		s.SetClockOffset(time.Duration(in.Offset))
	}
	writeJSON(w, http.StatusOK, map[string]any{"offset": s.ClockOffset().String(), "now": s.now().UTC().Format(time.RFC3339Nano)})
}

type adminClient struct {
	ClientID         string   `json:"clientId"`
	Quality          string   `json:"quality"`
	EnterpriseNumber string   `json:"enterpriseNumber,omitempty"`
	Scopes           []string `json:"scopes,omitempty"`
	Disabled         bool     `json:"disabled,omitempty"`
	Certificates     []string `json:"certificates"` // in: PEM or base64 DER; out: x5t thumbprints
}

func (s *Server) adminClients(w http.ResponseWriter, r *http.Request) {
	var out []adminClient
	cs, err := s.Clients()
	if err != nil {
		s.adminUnavailable(w, err)
		return
	}
	for _, c := range cs {
		ac := adminClient{ClientID: c.ID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Scopes: c.Scopes, Disabled: c.Disabled}
		for _, cert := range c.Certificates {
			ac.Certificates = append(ac.Certificates, certgen.ThumbprintsOf(cert).X5T)
		}
		out = append(out, ac)
	}
	slices.SortFunc(out, func(a, b adminClient) int { return strings.Compare(a.ClientID, b.ClientID) })
	writeJSON(w, http.StatusOK, map[string]any{"clients": ownClients(r, out)})
}

func (s *Server) adminAddClient(w http.ResponseWriter, r *http.Request) {
	var in adminClient
	if !decodeBody(w, r, &in) {
		return
	}
	c := Client{ID: in.ClientID, Quality: in.Quality, EnterpriseNumber: in.EnterpriseNumber, Scopes: in.Scopes, Disabled: in.Disabled}
	for i, text := range in.Certificates {
		l, err := certgen.Load([]byte(text), "")
		if err != nil || len(l.Certs) == 0 {
			adminError(w, http.StatusBadRequest, "certificates[%d]: not a certificate: %v", i, err)
			return
		}
		c.Certificates = append(c.Certificates, l.Leaf())
	}
	if err := s.AddClient(c); errors.Is(err, store.ErrUnavailable) {
		s.adminUnavailable(w, err)
		return
	} else if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"added": c.ID})
}

func adminError(w http.ResponseWriter, status int, format string, args ...any) {
	writeError(w, status, ErrInvalidRequest.Describe(format, args...), nil)
}

func writeJSON(w http.ResponseWriter, status int, v any) { strictjson.Write(w, status, v) }
