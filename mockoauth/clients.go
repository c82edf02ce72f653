package mockoauth

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
)

// ClientsNamespace is the namespace of Config.State that holds the clients
// added, changed or removed at run time: one value per client id, the
// client as JSON (certificates in DER), or {"removed":true} for a client
// of the configuration removed at run time.
const ClientsNamespace = "oauth.clients"

// The registry has two layers. The configured clients (Config.Clients and
// RegisterClient) are this server's own, in s.clients; the run-time changes
// (AddClient, RemoveClient, AddCertificate, RemoveCertificate) are in
// Config.State and override them, so that replicas sharing a State share
// them. The token endpoint reads the run-time layer from a view cached
// while State.Version holds: no round trip per request, and never older
// than an acknowledged change (the State contract).

// storedClient is a run-time client as kept in the State.
type storedClient struct {
	ID               string   `json:"clientId,omitempty"`
	Quality          string   `json:"quality,omitempty"`
	EnterpriseNumber string   `json:"enterpriseNumber,omitempty"`
	Scopes           []string `json:"scopes"`
	Disabled         bool     `json:"disabled,omitempty"`
	Certificates     [][]byte `json:"certificates,omitempty"`
	Removed          bool     `json:"removed,omitempty"`
}

// clientView is the run-time layer as read: by id, the client, or nil for
// one removed (or one this server cannot build).
type clientView struct {
	raw     map[string][]byte
	clients map[string]*client
}

// current returns the run-time layer (s.layer: cached while the State's
// version holds).
func (s *Server) current(ctx context.Context) (*clientView, error) {
	return s.layer.Get(ctx)
}

// loadClients reads the run-time layer; the built clients of prev whose
// bytes did not change are kept, so certificates are parsed once per
// change.
func (s *Server) loadClients(ctx context.Context, prev *clientView) (*clientView, error) {
	raw, err := s.state.Load(ctx, ClientsNamespace)
	if err != nil {
		return nil, err
	}
	next := &clientView{raw: raw, clients: make(map[string]*client, len(raw))}
	for id, b := range raw {
		if prev != nil && bytes.Equal(prev.raw[id], b) {
			next.clients[id] = prev.clients[id]
			continue
		}
		c, err := s.decodeClient(b)
		if err != nil {
			s.cfg.Logger.Error("mockoauth: a client added at run time cannot be used here; it is refused", "client", id, "err", err)
		}
		next.clients[id] = c
	}
	return next, nil
}

func (s *Server) decodeClient(b []byte) (*client, error) {
	var sc storedClient
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, err
	}
	if sc.Removed {
		return nil, nil
	}
	c := Client{ID: sc.ID, Quality: sc.Quality, EnterpriseNumber: sc.EnterpriseNumber, Scopes: sc.Scopes, Disabled: sc.Disabled}
	for _, der := range sc.Certificates {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		c.Certificates = append(c.Certificates, cert)
	}
	return s.cfg.buildClient(c)
}

func encodeClient(c Client) []byte {
	sc := storedClient{ID: c.ID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Scopes: c.Scopes, Disabled: c.Disabled}
	for _, cert := range c.Certificates {
		sc.Certificates = append(sc.Certificates, cert.Raw)
	}
	b, _ := json.Marshal(sc) // nothing in it fails to encode
	return b
}

var removedClient = []byte(`{"removed":true}`)

// lookup returns the client registered under id (nil: none), the run-time
// layer first.
func (s *Server) lookup(ctx context.Context, id string) (*client, error) {
	view, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	if c, ok := view.clients[id]; ok {
		return c, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clients[id], nil
}

// RegisterClient registers c as Config.Clients does: in this server only,
// beneath the run-time changes (a client of that id removed at run time
// through a shared State stays removed). It is for a caller that learns a
// configured client's scopes after New.
func (s *Server) RegisterClient(c Client) error {
	cl, err := s.cfg.buildClient(c)
	if err != nil {
		return fmt.Errorf("mockoauth: add client: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return fmt.Errorf("mockoauth: add client: client %q is already registered", c.ID)
	}
	s.clients[c.ID] = cl
	return nil
}

// AddClient registers c at run time, in Config.State (so every replica
// sharing it accepts c at once). It refuses a certificate that breaks the
// policy, naming the rule (e.g. CERT-KEY-EC for a P-256 key), and a client
// id that is already registered. When the State cannot be reached the
// error matches store.ErrUnavailable. Two replicas adding one id at the
// same instant both succeed; the last write wins.
func (s *Server) AddClient(c Client) error {
	ctx := context.Background()
	cl, err := s.cfg.buildClient(c)
	if err != nil {
		return fmt.Errorf("mockoauth: add client: %w", err)
	}
	old, err := s.lookup(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("mockoauth: add client %q: %w", c.ID, err)
	}
	if old != nil {
		return fmt.Errorf("mockoauth: add client: client %q is already registered", c.ID)
	}
	if err := s.state.Save(ctx, ClientsNamespace, c.ID, encodeClient(cl.Client)); err != nil {
		return fmt.Errorf("mockoauth: add client %q: %w", c.ID, err)
	}
	return nil
}

// RemoveClient unregisters a client, in Config.State like AddClient; its
// tokens stay valid until they expire. It reports whether the client was
// registered.
func (s *Server) RemoveClient(id string) (bool, error) {
	ctx := context.Background()
	old, err := s.lookup(ctx, id)
	if err != nil || old == nil {
		return false, wrapRemove(id, err)
	}
	s.mu.RLock()
	_, configured := s.clients[id]
	s.mu.RUnlock()
	if configured {
		err = s.state.Save(ctx, ClientsNamespace, id, removedClient)
	} else {
		_, err = s.state.Remove(ctx, ClientsNamespace, id)
	}
	return err == nil, wrapRemove(id, err)
}

func wrapRemove(id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("mockoauth: remove client %q: %w", id, err)
}

// AddCertificate registers one more certificate for a client (a rotation:
// both certificates then verify assertions).
func (s *Server) AddCertificate(id string, cert *x509.Certificate) error {
	return s.changeClient(id, func(c *Client) { c.Certificates = append(slices.Clone(c.Certificates), cert) })
}

// RemoveCertificate unregisters one certificate of a client (the end of a
// rotation). A client keeps at least one certificate.
func (s *Server) RemoveCertificate(id string, cert *x509.Certificate) error {
	return s.changeClient(id, func(c *Client) {
		c.Certificates = slices.DeleteFunc(slices.Clone(c.Certificates), func(x *x509.Certificate) bool { return x.Equal(cert) })
	})
}

// changeClient changes a registered client at run time, in Config.State.
func (s *Server) changeClient(id string, f func(*Client)) error {
	ctx := context.Background()
	old, err := s.lookup(ctx, id)
	if err != nil {
		return fmt.Errorf("mockoauth: change client %q: %w", id, err)
	}
	if old == nil {
		return fmt.Errorf("mockoauth: client %q is not registered", id)
	}
	c := old.Client
	f(&c)
	cl, err := s.cfg.buildClient(c)
	if err != nil {
		return fmt.Errorf("mockoauth: change client: %w", err)
	}
	if err := s.state.Save(ctx, ClientsNamespace, id, encodeClient(cl.Client)); err != nil {
		return fmt.Errorf("mockoauth: change client %q: %w", id, err)
	}
	return nil
}

// Clients returns the registered clients, sorted by id.
func (s *Server) Clients() ([]Client, error) {
	view, err := s.current(context.Background())
	if err != nil {
		return nil, fmt.Errorf("mockoauth: clients: %w", err)
	}
	all := map[string]*client{}
	s.mu.RLock()
	for id, c := range s.clients {
		all[id] = c
	}
	s.mu.RUnlock()
	for id, c := range view.clients {
		all[id] = c
	}
	out := make([]Client, 0, len(all))
	for _, id := range slices.Sorted(maps.Keys(all)) {
		if c := all[id]; c != nil {
			cc := c.Client
			cc.Certificates = slices.Clone(cc.Certificates)
			cc.Scopes = slices.Clone(cc.Scopes)
			out = append(out, cc)
		}
	}
	return out, nil
}

// adminUnavailable answers 503 temporarily_unavailable for an admin call
// whose store cannot be reached.
func (s *Server) adminUnavailable(w http.ResponseWriter, err error) {
	e := ErrTemporarilyUnavailable.Describe("the client registry cannot be reached: %v", err)
	e.retryAfter = storeRetry(err)
	status, hdr := s.refusal(e)
	writeError(w, status, e, hdr)
}
