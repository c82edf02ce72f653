package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/stack"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock verify", "flamock verify JOURNAL|--store URL [flags]",
		`Judge recorded traffic: the JSON-lines journal that 'flamock serve --journal FILE' wrote
during the vendor's own tests (JOURNAL "-" reads stdin), or the admin API's journal page
(GET /__admin/journal: in a shared sandbox, read with the client's own access token it holds
that client's events only). Every rule the journal can decide is judged; the others are SKIP
with the reason (run flamock conform for those).

The journal is read as the traffic of one client; --client-id judges only the events that
identify that client (token requests by their assertion, API calls by the access token they
carry) and lists the traffic it could tie to no client separately. --store reads the journal a
shared sandbox's replicas write together instead of a file, so calls that went to different
replicas are judged as one run. --profile and --spec name
the API the journal was recorded on, as for serve: a rule that API cannot exercise (a tenant
rule the profile does not have) is a SKIP that says why.
Exit status 1 when a MUST rule failed, 0 otherwise, 2 on a usage error.`)
	clientID := fs.String("client-id", "", "judge only this client's traffic; iss and sub must equal it")
	tokenURL := fs.String("token-url", "", "the exact aud the assertions must carry (default: what the token endpoint accepted)")
	scopes := fs.String("scopes", "", "the scopes the client may ask for, space-separated (default: those of the client's quality, as the token endpoint that recorded the journal registered it)")
	certFile := fs.String("cert", "", "the client's registered certificate: judges the certificate rules and the alg's key type")
	password := fs.String("password", "", "password of a PKCS#12 --cert")
	var specs specFlags
	fs.Var(&specs, "spec", "the OpenAPI document the journal was recorded on, FILE or FILE@BASEPATH (repeatable); default: the profile's own")
	profileName := fs.String("profile", "", "API profile the journal was recorded on: "+profileNames()+" (default "+profiles.Default+", or generic with --spec)")
	storeURL := fs.String("store", "", "read the shared journal of the replicas on this store (postgres://user@host/db) instead of a JOURNAL file")
	rf := addReportFlags(fs)
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	var problems []string
	switch {
	case *storeURL != "" && len(pos) > 0:
		problems = append(problems, "want a JOURNAL file or --store, not both")
	case *storeURL == "" && len(pos) != 1:
		problems = append(problems, "want exactly one JOURNAL file (or - for stdin), or --store URL")
	}
	opts, optProblems := rf.options()
	problems = append(problems, optProblems...)
	if len(problems) > 0 {
		return usageErrorf("%s", strings.Join(problems, "\n  "))
	}
	profile, docs, err := conformProfile(*profileName, specs)
	if err != nil {
		return err
	}
	api, err := profile.Model(docs, stack.Settings{})
	if err != nil {
		return err
	}
	cfg := conformance.VerifyConfig{ClientID: *clientID, TokenURL: *tokenURL, Options: opts, API: api}
	if s := strings.Fields(*scopes); len(s) > 0 {
		cfg.Scopes = s // else nil: the client's quality
	}
	if *certFile != "" {
		l, err := certgen.LoadFile(*certFile, *password)
		if err != nil {
			return err
		}
		if cfg.Cert = l.Leaf(); cfg.Cert == nil {
			return fmt.Errorf("%s: %w", *certFile, certgen.ErrNoCertificate)
		}
	}
	events, err := verifyEvents(ctx, *storeURL, pos, stderr)
	if err != nil {
		return err
	}
	rep := conformance.Verify(events, cfg)
	return rf.write(rep, stdout, rep.OK())
}

// verifyEvents reads the journal: the shared store's, or the file (or stdin).
func verifyEvents(ctx context.Context, storeURL string, pos []string, stderr io.Writer) ([]journal.Event, error) {
	if storeURL != "" {
		return readSharedJournal(ctx, storeURL)
	}
	var in io.Reader = os.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	return readJournal(in, pos[0], stderr)
}

// readJournal reads a journal file (JSON lines, as serve --journal writes
// it) or the admin API's journal page (GET /__admin/journal, one JSON
// object with the events).
func readJournal(in io.Reader, name string, stderr io.Writer) ([]journal.Event, error) {
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, err
	}
	var page struct {
		Events  []journal.Event `json:"events"`
		Dropped uint64          `json:"dropped"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) && json.Unmarshal(b, &page) == nil && page.Events != nil {
		if page.Dropped > 0 {
			fmt.Fprintf(stderr, "flamock verify: %s: the server's journal had forgotten %d older events (it keeps a bounded number): judging the rest\n", name, page.Dropped)
		}
		events, bad := page.Events[:0], 0
		for i, ev := range page.Events {
			if ev.Token == nil && ev.API == nil { // as conformance.ReadJournal skips such a line
				if bad++; bad <= 10 {
					fmt.Fprintf(stderr, "flamock verify: %s: event %d of the page is not a journal event (neither a token request nor an API call)\n", name, i+1)
				}
				continue
			}
			events = append(events, ev)
		}
		return events, nil
	}
	events, bad, err := conformance.ReadJournal(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	for _, line := range bad {
		fmt.Fprintf(stderr, "flamock verify: %s: %s\n", name, line)
	}
	return events, nil
}
