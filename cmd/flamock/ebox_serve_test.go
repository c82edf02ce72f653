package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The real binary under --strict serves the two documents in the style of
// the public e-Box specs: it says at start what they leave unsaid (an OAuth
// scheme no operation requires, operations that declare no 400), answers
// text/html and octet-stream operations without drift, and every 400 in the
// documents' own error model says why. --require-token requires a token on
// the document that declares a scheme and requires it nowhere.
func TestServe_EboxStyleSpecsStrict(t *testing.T) {
	const (
		mailboxSpec    = "../../testdata/specs/mailbox-swagger2.yaml"
		federationSpec = "../../testdata/specs/federation-swagger2.yaml"
		mailbox        = "/mailbox/enterprise/v2"
	)
	client := &http.Client{Timeout: 10 * time.Second}
	p := startServe(t, "--demo-dir", t.TempDir(), "--strict",
		"--spec", mailboxSpec+"@"+mailbox, "--spec", federationSpec+"@/federation/v1")
	walkGeneric(t, client, p.base, "", []genericCall{
		{method: "GET", path: mailbox + "/api/doc", want: 200},
		{method: "GET", path: mailbox + "/messages?eboxType=enterprise&page=0", want: 400,
			check: bodyHas(`"code":"badRequest"`, `query page: number must be at least 1`)},
		{method: "GET", path: mailbox + "/messages/0000000a/attachments/a1/content?disposition=download", want: 400,
			check: bodyHas(`"code":"badRequest"`, `query disposition`)},
		{method: "GET", path: mailbox + "/messages/0000000a/attachments/a1/content", want: 200},
		{method: "PATCH", path: mailbox + "/messages/0000000a", body: `{"read":true}`, ctype: "application/merge-patch+json", want: 200, check: has("read", true)},
		{method: "POST", path: "/federation/v1/events", body: `[{"eventType":"opened","messageId":"0000000a"}]`, want: 400,
			check: bodyHas(`body [0].eventType: value is not one of the allowed values`)},
	})
	stderr := p.stderr.String()
	for _, want := range []string{
		`declares the security scheme mailboxOAuth but no operation requires it`,
		`pass --require-token`,
		`2 operation(s) declare no 400 response: GET /api/doc, GET /messages/{messageId}/attachments/{attachmentId}/content`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("serve's start lacks %s:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "DRIFT") {
		t.Errorf("strict mode found drift in the mock's own answers:\n%s", stderr)
	}

	guarded := startServe(t, "--demo-dir", t.TempDir(), "--strict", "--require-token", "--spec", mailboxSpec+"@"+mailbox)
	walkGeneric(t, client, guarded.base, "", []genericCall{
		{method: "GET", path: mailbox + "/messages?eboxType=enterprise", want: 401, check: has("code", "noAccessToken")},
	})

	// Mounted where its base path says, the placeholder is named.
	code, _, errOut := flamock(t, "serve", "--addr", "127.0.0.1:0", "--demo-dir", t.TempDir(), "--spec", mailboxSpec)
	if want := `the document's base path "/mailbox/$realm/v$" holds the placeholder $realm and cannot be used as it is; choose where to mount it: --spec ` + mailboxSpec + `@/your/base/path`; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("serve --spec %s: exit %d\n%s\nwant %s", mailboxSpec, code, errOut, want)
	}
}
