package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/mockoauth"
)

const defaultTokenURL = "http://127.0.0.1:8080/REST/oauth/v5/token"

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock token", "flamock token --client-id ID --key FILE [flags]",
		`Get an access token as a real client would (seed manual §6.1 and §7.3.1): sign a client
assertion with the key of the registered certificate, post it to the token endpoint, and
print the access token alone on stdout, ready for curl or Postman:

  TOKEN=$(flamock token --client-id ID --key client.p12 --password changeit)
  curl -H "Authorization: Bearer $TOKEN" ...`)
	tokenURL := fs.String("token-url", defaultTokenURL, "token endpoint URL")
	audience := fs.String("audience", "", "aud of the assertion (default: the token URL, or the --environment's)")
	environment := fs.String("environment", "", "portal environment whose token URL is the aud: acc or prod (default: local, the token URL)")
	clientID := fs.String("client-id", "", "client id, e.g. self_service_chaman_123456_abcdefghij (required)")
	keyFile := fs.String("key", "", "private key: .p12/.pfx, or PEM (PKCS#8, PKCS#1 or SEC1) (required)")
	certFile := fs.String("cert", "", "certificate, to add its x5t thumbprint to the assertion header (optional; read from a .p12 automatically)")
	password := fs.String("password", "", "password of a PKCS#12 key file")
	scope := fs.String("scope", "", "scopes to ask for, space-separated (default: the client's scopes)")
	alg := fs.String("alg", "", "JWS algorithm (default: RS256 for RSA, ES384 for P-384, ES512 for P-521)")
	lifetime := fs.Duration("lifetime", ssoauth.DefaultLifetime, "assertion lifetime, exp − iat (the portal allows at most 10m)")
	assertionOnly := fs.Bool("assertion-only", false, "print the signed client assertion and stop (for Postman's client_assertion field)")
	caFile := fs.String("ca", "", "CA certificate to trust for an https token URL (the one flamock serve --tls prints)")
	asJSON := fs.Bool("json", false, "print the whole token response as JSON")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout of the token request")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *clientID == "" || *keyFile == "" {
		return usageErrorf("--client-id and --key are required")
	}
	key, err := certgen.LoadFile(*keyFile, *password)
	if err != nil {
		return err
	}
	if key.Key == nil {
		return fmt.Errorf("%s: %w (give the .key or .p12 file to --key)", *keyFile, certgen.ErrNoKey)
	}
	cert := key.Leaf()
	if *certFile != "" {
		b, err := certgen.LoadBundle(*certFile, *keyFile, *password)
		if err != nil {
			return err
		}
		cert = b.Cert
	}
	aud := *audience
	switch *environment {
	case "", mockoauth.EnvironmentLocal:
	case mockoauth.EnvironmentACC:
		aud = cmp.Or(aud, mockoauth.ACCAudience)
	case mockoauth.EnvironmentProd:
		aud = cmp.Or(aud, mockoauth.ProductionAudience)
	default:
		return usageErrorf("--environment %q; want local, acc or prod", *environment)
	}
	if aud == "" {
		aud = *tokenURL
	}
	assertion, err := ssoauth.Assertion{ClientID: *clientID, Audience: aud, Key: key.Key, Cert: cert, Alg: *alg, Lifetime: *lifetime}.Sign()
	if err != nil {
		return err
	}
	if *assertionOnly {
		fmt.Fprintln(stdout, assertion)
		return nil
	}
	client := &http.Client{Timeout: *timeout}
	if *caFile != "" {
		ca, err := certgen.LoadFile(*caFile, "")
		if err != nil {
			return err
		}
		if len(ca.Certs) == 0 {
			return fmt.Errorf("%s: %w", *caFile, certgen.ErrNoCertificate)
		}
		pool := x509.NewCertPool()
		for _, c := range ca.Certs {
			pool.AddCert(c)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	tok, err := ssoauth.RequestToken(ctx, client, *tokenURL, assertion, *scope)
	if err != nil {
		var oe *ssoauth.Error
		if errors.As(err, &oe) {
			fmt.Fprintln(stderr, "flamock token:", userText(err))
			return errFailed
		}
		return err
	}
	if *asJSON {
		return writeJSON(stdout, tok)
	}
	fmt.Fprintln(stdout, tok.AccessToken)
	fmt.Fprintf(stderr, "token_type %s, expires_in %d s, scope %q\n", tok.TokenType, tok.ExpiresIn, tok.Scope)
	return nil
}
