package stack

import (
	"crypto/x509"
	"os"
	"path/filepath"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/mockoauth"
)

// DemoPassword is the PKCS#12 password of the demo clients' key files.
const DemoPassword = "changeit"

// DemoSet is a demo set up in a folder: the profile's Demo, each client's
// PKCS#12 key file and the first call's body file.
type DemoSet struct {
	*Demo
	Dir string
	// Temp is set when Dir was made by the stack (Config.DemoDir empty):
	// Stack.Close removes it.
	Temp bool
	// Keys maps a client id to its PKCS#12 file (password DemoPassword).
	Keys map[string]string
	// BodyPath is the first call's body file ("" if none).
	BodyPath string
	// Clients are the token endpoint's clients (Scopes nil: the quality's;
	// non-nil: every scope of the documents, set once they are loaded).
	OAuthClients []mockoauth.Client
}

func newDemoSet(d *Demo, dir string) (*DemoSet, error) {
	var err error
	temp := dir == ""
	if temp {
		if dir, err = os.MkdirTemp("", "flamock-demo-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil { // keys inside: the owner only
		return nil, err
	}
	ds := &DemoSet{Demo: d, Dir: dir, Temp: temp, Keys: map[string]string{}}
	for _, c := range d.Clients {
		b, err := certgen.Create(certgen.Request{Key: c.Key, Digest: c.Digest, CommonName: "flamock demo " + c.Name,
			Organization: "flamock demo", EnterpriseNumber: c.EnterpriseNumber})
		if err != nil {
			return nil, err
		}
		files, err := b.WriteFiles(filepath.Join(dir, c.Name), DemoPassword, certgen.Modern)
		if err != nil {
			return nil, err
		}
		ds.Keys[c.ID] = files.P12
		cl := mockoauth.Client{ID: c.ID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Certificates: []*x509.Certificate{b.Cert}}
		if c.AllScopes {
			cl.Scopes = []string{}
		}
		ds.OAuthClients = append(ds.OAuthClients, cl)
	}
	if d.BodyFile != "" {
		ds.BodyPath = filepath.Join(dir, d.BodyFile)
		if err := os.WriteFile(ds.BodyPath, d.Body, 0o644); err != nil {
			return nil, err
		}
	}
	return ds, nil
}
