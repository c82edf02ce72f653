package main

import (
	"github.com/flamock/flamock/internal/timetext"

	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/beid"
)

const certUsage = `Usage: flamock cert <create | check | show> [flags]

  create   make a self-signed certificate the portal accepts, in every format
  check    check a certificate file against the portal's rules (exit 1 if it breaks one)
  show     print what a certificate file holds

Run 'flamock cert <subcommand> -h' for its flags.
`

func runCert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, certUsage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return runCertCreate(args[1:], stdout, stderr)
	case "check":
		return runCertCheck(args[1:], stdout, stderr)
	case "show":
		return runCertShow(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, certUsage)
		return nil
	}
	fmt.Fprint(stderr, certUsage)
	return usageErrorf("unknown subcommand %q", args[0])
}

const defaultP12Password = "changeit"

// certCreateFlags are the flags of `flamock cert create`.
type certCreateFlags struct {
	fs                                                      *flag.FlagSet
	keyName, digest, cn, org, ent, notBefore, out, password *string
	keyUsage                                                *string
	days                                                    *int
	legacy, nonCompliant, force, asJSON                     *bool
}

func newCertCreateFlags() certCreateFlags {
	fs := newFlagSet("flamock cert create",
		"flamock cert create --cn NAME --out PREFIX [flags]",
		`Make a self-signed client certificate that follows the portal's rules (seed manual §4.4.1)
and write PREFIX.cer (DER: the file to register on the portal), PREFIX.pem (PEM
certificate), PREFIX.key (PEM PKCS#8 private key, mode 0600) and PREFIX.p12 (PKCS#12).
It never replaces an existing file of these four unless --force is given: the key of a
certificate already registered on the portal would be lost.`)
	return certCreateFlags{
		fs:           fs,
		keyName:      fs.String("key", "rsa2048", "key type: rsa2048, rsa3072, rsa4096, p384 or p521"),
		digest:       fs.String("digest", "sha256", "signature digest: sha256, sha384 or sha512"),
		cn:           fs.String("cn", "", "subject common name (required)"),
		org:          fs.String("org", "", "subject organization"),
		ent:          fs.String("enterprise-number", "", "enterprise number (KBO/BCE) written as the subject serialNumber; check digits are verified"),
		days:         fs.Int("days", 365, "validity in days"),
		notBefore:    fs.String("not-before", "", "start of validity, YYYY-MM-DD or RFC 3339 (default: one minute ago)"),
		out:          fs.String("out", "", "prefix of the files to write (required), e.g. ./acme"),
		password:     fs.String("password", defaultP12Password, "password of the PKCS#12 file"),
		legacy:       fs.Bool("legacy", false, "PKCS#12 in the legacy encoding (3DES, SHA-1 MAC) for old Java, .NET or Windows"),
		keyUsage:     fs.String("key-usage", "digitalSignature", "key usage bits, comma-separated (digitalSignature, keyEncipherment, ...)"),
		nonCompliant: fs.Bool("non-compliant-for-negative-tests", false, "make the certificate even if the portal would refuse it (rsa1024, p256, sha1, no digitalSignature, expired): for negative tests only"),
		force:        fs.Bool("force", false, "replace existing PREFIX.cer, .pem, .key and .p12 files"),
		asJSON:       fs.Bool("json", false, "print the result as JSON"),
	}
}

// request checks the flags and builds the certificate request; every
// problem is named at once.
func (f certCreateFlags) request() (certgen.Request, error) {
	var problems []string
	add := func(prefix string, err error) {
		if err != nil {
			problems = append(problems, prefix+strings.TrimPrefix(err.Error(), "certgen: "))
		}
	}
	if *f.cn == "" {
		problems = append(problems, "--cn is required")
	}
	if *f.out == "" {
		problems = append(problems, "--out is required")
	}
	req := certgen.Request{CommonName: *f.cn, Organization: *f.org, Days: *f.days, AllowNonCompliant: *f.nonCompliant}
	var err error
	req.Key, err = certgen.ParseKeyType(*f.keyName)
	add("--key: ", err)
	req.Digest, err = certgen.ParseDigest(*f.digest)
	add("--digest: ", err)
	req.KeyUsage, err = parseKeyUsage(*f.keyUsage)
	add("--key-usage: ", err)
	if *f.notBefore != "" {
		req.NotBefore, err = timetext.ParseDate(*f.notBefore)
		add("--not-before: ", err)
	}
	if *f.days <= 0 {
		problems = append(problems, fmt.Sprintf("--days is %d; want a positive number", *f.days))
	}
	if *f.ent != "" {
		req.EnterpriseNumber, err = beid.NormalizeEnterpriseNumber(*f.ent)
		add("--enterprise-number: ", err)
	}
	if len(problems) > 0 {
		return req, usageErrorf("%s", strings.Join(problems, "\n  "))
	}
	return req, nil
}

// refuseOverwrite names the files of prefix that exist already.
func refuseOverwrite(prefix string) error {
	var found []string
	for _, ext := range []string{".cer", ".pem", ".key", ".p12"} {
		if _, err := os.Lstat(prefix + ext); err == nil {
			found = append(found, prefix+ext)
		}
	}
	if len(found) == 0 {
		return nil
	}
	verb := "exists"
	if len(found) > 1 {
		verb = "exist"
	}
	return fmt.Errorf("%s already %s; cert create does not replace a key, which may belong to a certificate registered on the portal (choose another --out, or --force to replace them)",
		strings.Join(found, ", "), verb)
}

func runCertCreate(args []string, stdout, stderr io.Writer) error {
	f := newCertCreateFlags()
	if err := parseNoArgs(f.fs, args, stdout, stderr); err != nil {
		return err
	}
	req, err := f.request()
	if err != nil {
		return err
	}
	if !*f.force {
		if err := refuseOverwrite(*f.out); err != nil {
			return err
		}
	}
	b, err := certgen.Create(req)
	if err != nil {
		var pe *certgen.PolicyError
		if !*f.nonCompliant && errors.As(err, &pe) {
			return fmt.Errorf("%w\n(to make such a certificate for a negative test on purpose, add --non-compliant-for-negative-tests)", err)
		}
		return err
	}
	enc := certgen.Modern
	if *f.legacy {
		enc = certgen.Legacy
	}
	files, err := b.WriteFiles(*f.out, *f.password, enc)
	if err != nil {
		return err
	}
	violations := certgen.DefaultPolicy().Check(b.Cert, time.Now())
	if *f.asJSON {
		return writeJSON(stdout, struct {
			Files       certgen.Files       `json:"files"`
			PKCS12      string              `json:"pkcs12Encoding"`
			Certificate certInfo            `json:"certificate"`
			Violations  []certgen.Violation `json:"violations"`
		}{files, enc.String(), describeCert(b.Cert, certgen.FormatDER, true), nonNil(violations)})
	}
	printCreated(stdout, stderr, f, b, files, enc, violations)
	return nil
}

// printCreated tells what cert create wrote and what to do next.
func printCreated(stdout, stderr io.Writer, f certCreateFlags, b *certgen.Bundle, files certgen.Files, enc certgen.Encoding, violations []certgen.Violation) {
	pwNote := fmt.Sprintf("password %q", *f.password)
	if *f.password == defaultP12Password && !flagSet(f.fs, "password") {
		pwNote += " (the default; set another with --password)"
	}
	fmt.Fprintf(stdout, "wrote %s  DER certificate: the file to register on the portal\n", files.CER)
	fmt.Fprintf(stdout, "wrote %s  PEM certificate\n", files.PEM)
	fmt.Fprintf(stdout, "wrote %s  PEM PKCS#8 private key (mode 0600)\n", files.Key)
	fmt.Fprintf(stdout, "wrote %s  PKCS#12, %s, %s (mode 0600)\n", files.P12, enc, pwNote)
	fmt.Fprintln(stdout)
	printCert(stdout, describeCert(b.Cert, "", true))
	if len(violations) > 0 {
		fmt.Fprintln(stderr, "WARNING: this certificate breaks the portal's rules, as asked with --non-compliant-for-negative-tests:")
		for _, v := range violations {
			fmt.Fprintf(stderr, "  %s: %s is %s; allowed %s\n", v.Rule, v.Title, v.Found, v.Allowed)
		}
		return
	}
	fmt.Fprintf(stdout, "\nRegister %s on the portal (Chaman: manage your technical channels) and sign client\nassertions with %s or %s.\n", files.CER, files.Key, files.P12)
}

func runCertCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock cert check", "flamock cert check FILE [--password PW] [--json]",
		`Check a certificate (.cer, .crt, .pem, or .p12/.pfx) against the portal's rules: key RSA
2048/3072/4096 or EC P-384/P-521, digest SHA-256/384/512, key usage Digital Signature, and
valid now. Prints one line per rule. Exit status 0 when compliant, 1 when not.`)
	password := fs.String("password", "", "password of a PKCS#12 file")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	file, l, leaf, err := loadCertArg(fs, password, args, stdout, stderr)
	if err != nil {
		return err
	}
	results := certgen.DefaultPolicy().Evaluate(leaf, time.Now())
	compliant := true
	for _, r := range results {
		compliant = compliant && r.Pass
	}
	if *asJSON {
		if err := writeJSON(stdout, struct {
			File      string           `json:"file"`
			Format    string           `json:"format"`
			Subject   string           `json:"subject"`
			Compliant bool             `json:"compliant"`
			Results   []certgen.Result `json:"results"`
		}{file, l.Format, leaf.Subject.String(), compliant, results}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s (%s): %s\n", file, l.Format, leaf.Subject)
		for _, r := range results {
			fmt.Fprintln(stdout, r)
		}
		if compliant {
			fmt.Fprintln(stdout, "compliant: the portal's rules are all met")
		} else {
			fmt.Fprintln(stdout, "NOT COMPLIANT: the portal would refuse this certificate")
		}
	}
	if !compliant {
		return errFailed
	}
	return nil
}

func runCertShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock cert show", "flamock cert show FILE [--password PW] [--json]",
		"Print the subject, issuer, key, digest, key usage, validity and thumbprints of a certificate file.")
	password := fs.String("password", "", "password of a PKCS#12 file")
	asJSON := fs.Bool("json", false, "print as JSON")
	_, l, leaf, err := loadCertArg(fs, password, args, stdout, stderr)
	if err != nil {
		return err
	}
	info := describeCert(leaf, l.Format, l.Key != nil)
	if l.Repaired {
		info.Note = "the PEM text had lost its line breaks and was repaired to be read"
	}
	if *asJSON {
		return writeJSON(stdout, info)
	}
	printCert(stdout, info)
	return nil
}

// loadCertArg parses the flags and the one FILE argument of `cert check` and
// `cert show`, and loads the certificate. password points at the flag's
// value, read after parsing.
func loadCertArg(fs *flag.FlagSet, password *string, args []string, stdout, stderr io.Writer) (string, *certgen.Loaded, *x509.Certificate, error) {
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return "", nil, nil, err
	}
	if len(pos) != 1 {
		return "", nil, nil, usageErrorf("want exactly one FILE; got %d arguments", len(pos))
	}
	l, err := certgen.LoadFile(pos[0], *password)
	if err != nil {
		return "", nil, nil, err
	}
	leaf := l.Leaf()
	if leaf == nil {
		return "", nil, nil, fmt.Errorf("%s: the file holds a private key (%s) but no certificate", pos[0], certgen.DescribeKey(l.Key.Public()))
	}
	return pos[0], l, leaf, nil
}

// certInfo is what `cert show` prints.
type certInfo struct {
	Format      string              `json:"format"`
	Subject     string              `json:"subject"`
	Issuer      string              `json:"issuer"`
	SelfSigned  bool                `json:"selfSigned"`
	Serial      string              `json:"serialNumber"`
	Key         string              `json:"key"`
	Signature   string              `json:"signature"`
	Digest      string              `json:"digest"`
	KeyUsage    string              `json:"keyUsage"`
	ExtKeyUsage string              `json:"extKeyUsage"`
	NotBefore   time.Time           `json:"notBefore"`
	NotAfter    time.Time           `json:"notAfter"`
	HasKey      bool                `json:"hasPrivateKey"`
	Thumbprints certgen.Thumbprints `json:"thumbprints"`
	Note        string              `json:"note,omitempty"`
}

func describeCert(c *x509.Certificate, format string, hasKey bool) certInfo {
	return certInfo{
		Format:      format,
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		SelfSigned:  c.Subject.String() == c.Issuer.String() && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil,
		Serial:      fmt.Sprintf("%x", c.SerialNumber),
		Key:         certgen.DescribeKey(c.PublicKey),
		Signature:   c.SignatureAlgorithm.String(),
		Digest:      certgen.SignatureDigest(c.SignatureAlgorithm),
		KeyUsage:    certgen.DescribeKeyUsage(c.KeyUsage),
		ExtKeyUsage: describeExtKeyUsage(c.ExtKeyUsage),
		NotBefore:   c.NotBefore.UTC(),
		NotAfter:    c.NotAfter.UTC(),
		HasKey:      hasKey,
		Thumbprints: certgen.ThumbprintsOf(c),
	}
}

func printCert(w io.Writer, i certInfo) {
	if i.Format != "" {
		fmt.Fprintf(w, "format:        %s\n", i.Format)
	}
	fmt.Fprintf(w, "subject:       %s\n", i.Subject)
	fmt.Fprintf(w, "issuer:        %s", i.Issuer)
	if i.SelfSigned {
		fmt.Fprint(w, " (self-signed)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "serial:        %s\n", i.Serial)
	fmt.Fprintf(w, "key:           %s\n", i.Key)
	fmt.Fprintf(w, "signature:     %s (digest %s)\n", i.Signature, i.Digest)
	fmt.Fprintf(w, "key usage:     %s\n", i.KeyUsage)
	fmt.Fprintf(w, "ext key usage: %s\n", i.ExtKeyUsage)
	fmt.Fprintf(w, "valid:         %s to %s\n", i.NotBefore.Format(time.RFC3339), i.NotAfter.Format(time.RFC3339))
	if i.Format != "" {
		fmt.Fprintf(w, "private key:   %s\n", map[bool]string{true: "in the file", false: "not in the file"}[i.HasKey])
	}
	fmt.Fprintf(w, "SHA-1:         %s\n", i.Thumbprints.SHA1)
	fmt.Fprintf(w, "SHA-256:       %s\n", i.Thumbprints.SHA256)
	fmt.Fprintf(w, "x5t:           %s\n", i.Thumbprints.X5T)
	fmt.Fprintf(w, "x5t#S256:      %s\n", i.Thumbprints.X5TSHA256)
	if i.Note != "" {
		fmt.Fprintf(w, "note:          %s\n", i.Note)
	}
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "server auth", x509.ExtKeyUsageClientAuth: "client auth",
	x509.ExtKeyUsageCodeSigning: "code signing", x509.ExtKeyUsageEmailProtection: "email protection",
	x509.ExtKeyUsageTimeStamping: "time stamping", x509.ExtKeyUsageOCSPSigning: "OCSP signing",
}

func describeExtKeyUsage(eku []x509.ExtKeyUsage) string {
	if len(eku) == 0 {
		return "none"
	}
	names := make([]string, len(eku))
	for i, u := range eku {
		if n, ok := extKeyUsageNames[u]; ok {
			names[i] = n
		} else {
			names[i] = fmt.Sprintf("other (%d)", u)
		}
	}
	return strings.Join(names, ", ")
}

var keyUsageFlags = map[string]x509.KeyUsage{
	"digitalsignature": x509.KeyUsageDigitalSignature, "nonrepudiation": x509.KeyUsageContentCommitment,
	"contentcommitment": x509.KeyUsageContentCommitment, "keyencipherment": x509.KeyUsageKeyEncipherment,
	"dataencipherment": x509.KeyUsageDataEncipherment, "keyagreement": x509.KeyUsageKeyAgreement,
	"keycertsign": x509.KeyUsageCertSign, "crlsign": x509.KeyUsageCRLSign,
}

func parseKeyUsage(s string) (x509.KeyUsage, error) {
	var ku x509.KeyUsage
	for _, part := range strings.Split(s, ",") {
		p := strings.ToLower(strings.TrimSpace(part))
		bit, ok := keyUsageFlags[p]
		if !ok {
			return 0, fmt.Errorf("unknown key usage %q; want digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign or cRLSign", part)
		}
		ku |= bit
	}
	return ku, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
