package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/mockoauth"
)

const defaultTokenURL = "http://127.0.0.1:8080/REST/oauth/v5/token"

// tokenFlags are the flags of flamock token.
type tokenFlags struct {
	tokenURL, audience, environment, clientID, keyFile, certFile *string
	password, scope, alg, caFile                                 *string
	lifetime, timeout                                            *time.Duration
	assertionOnly, asJSON                                        *bool
}

func newTokenFlags() (*flag.FlagSet, tokenFlags) {
	fs := newFlagSet("flamock token", "flamock token --client-id ID --key FILE [flags]",
		`Get an access token as a real client would (seed manual §6.1 and §7.3.1): sign a client
assertion with the key of the registered certificate, post it to the token endpoint, and
print the access token alone on stdout, ready for curl or Postman:

  TOKEN=$(flamock token --client-id ID --key client.p12 --password changeit)
  curl -H "Authorization: Bearer $TOKEN" ...`)
	return fs, tokenFlags{
		tokenURL:      fs.String("token-url", defaultTokenURL, "token endpoint URL"),
		audience:      fs.String("audience", "", "aud of the assertion (default: the token URL, or the --environment's)"),
		environment:   fs.String("environment", "", "portal environment whose token URL is the aud: acc or prod (default: local, the token URL)"),
		clientID:      fs.String("client-id", "", "client id, e.g. self_service_chaman_123456_abcdefghij (required)"),
		keyFile:       fs.String("key", "", "private key: .p12/.pfx, or PEM (PKCS#8, PKCS#1 or SEC1) (required)"),
		certFile:      fs.String("cert", "", "certificate, to add its x5t thumbprint to the assertion header (optional; read from a .p12 automatically)"),
		password:      fs.String("password", "", "password of a PKCS#12 key file"),
		scope:         fs.String("scope", "", "scopes to ask for, space-separated (default: the client's scopes)"),
		alg:           fs.String("alg", "", "JWS algorithm (default: RS256 for RSA, ES384 for P-384, ES512 for P-521)"),
		lifetime:      fs.Duration("lifetime", ssoauth.DefaultLifetime, "assertion lifetime, exp − iat (the portal allows at most 10m)"),
		assertionOnly: fs.Bool("assertion-only", false, "print the signed client assertion and stop (for Postman's client_assertion field)"),
		caFile:        fs.String("ca", "", "CA certificate to trust for an https token URL (the one flamock serve --tls prints)"),
		asJSON:        fs.Bool("json", false, "print the whole token response as JSON"),
		timeout:       fs.Duration("timeout", 30*time.Second, "timeout of the token request"),
	}
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newTokenFlags()
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *f.clientID == "" || *f.keyFile == "" {
		return usageErrorf("--client-id and --key are required")
	}
	aud, err := f.assertionAudience()
	if err != nil {
		return err
	}
	key, cert, err := f.signingKey()
	if err != nil {
		return err
	}
	assertion, err := ssoauth.Assertion{ClientID: *f.clientID, Audience: aud, Key: key, Cert: cert, Alg: *f.alg, Lifetime: *f.lifetime}.Sign()
	if err != nil {
		return err
	}
	if *f.assertionOnly {
		fmt.Fprintln(stdout, assertion)
		return nil
	}
	client, err := f.httpClient()
	if err != nil {
		return err
	}
	tok, err := ssoauth.RequestToken(ctx, client, *f.tokenURL, assertion, *f.scope)
	if err != nil {
		var oe *ssoauth.Error
		if errors.As(err, &oe) {
			fmt.Fprintln(stderr, "flamock token:", userText(err))
			return errFailed
		}
		return err
	}
	if *f.asJSON {
		return writeJSON(stdout, tok)
	}
	fmt.Fprintln(stdout, tok.AccessToken)
	fmt.Fprintf(stderr, "token_type %s, expires_in %d s, scope %q\n", tok.TokenType, tok.ExpiresIn, tok.Scope)
	return nil
}

// assertionAudience is the aud of the assertion: --audience, else the
// --environment's token URL, else --token-url.
func (f tokenFlags) assertionAudience() (string, error) {
	aud := *f.audience
	switch *f.environment {
	case "", mockoauth.EnvironmentLocal:
	case mockoauth.EnvironmentACC:
		aud = cmp.Or(aud, mockoauth.ACCAudience)
	case mockoauth.EnvironmentProd:
		aud = cmp.Or(aud, mockoauth.ProductionAudience)
	default:
		return "", usageErrorf("--environment %q; want local, acc or prod", *f.environment)
	}
	return cmp.Or(aud, *f.tokenURL), nil
}

// signingKey loads the private key and the certificate whose thumbprint
// the assertion carries (--cert, else the key file's).
func (f tokenFlags) signingKey() (crypto.Signer, *x509.Certificate, error) {
	key, err := certgen.LoadFile(*f.keyFile, *f.password)
	if err != nil {
		return nil, nil, err
	}
	if key.Key == nil {
		return nil, nil, fmt.Errorf("%s: %w (give the .key or .p12 file to --key)", *f.keyFile, certgen.ErrNoKey)
	}
	cert := key.Leaf()
	if *f.certFile != "" {
		b, err := certgen.LoadBundle(*f.certFile, *f.keyFile, *f.password)
		if err != nil {
			return nil, nil, err
		}
		cert = b.Cert
	}
	return key.Key, cert, nil
}

// httpClient is the client of the token request, trusting --ca if given.
func (f tokenFlags) httpClient() (*http.Client, error) {
	client := &http.Client{Timeout: *f.timeout}
	if *f.caFile == "" {
		return client, nil
	}
	ca, err := certgen.LoadFile(*f.caFile, "")
	if err != nil {
		return nil, err
	}
	if len(ca.Certs) == 0 {
		return nil, fmt.Errorf("%s: %w", *f.caFile, certgen.ErrNoCertificate)
	}
	pool := x509.NewCertPool()
	for _, c := range ca.Certs {
		pool.AddCert(c)
	}
	client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return client, nil
}
