package conformance_test

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockoauth"
)

// postmanBody is the urlencoded body of the first request of a Postman
// collection as Postman sends it: enabled entries in order, an empty value
// as "key=", {{variables}} replaced.
func postmanBody(file string, vars map[string]string) string {
	b, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	var col struct {
		Item []struct {
			Request struct {
				Body struct {
					Urlencoded []struct {
						Key, Value string
						Disabled   bool
					}
				}
			}
		}
	}
	Expect(json.Unmarshal(b, &col)).To(Succeed())
	Expect(col.Item).NotTo(BeEmpty())
	var parts []string
	for _, p := range col.Item[0].Request.Body.Urlencoded {
		if p.Disabled {
			continue
		}
		v := p.Value
		for k, x := range vars {
			v = strings.ReplaceAll(v, "{{"+k+"}}", x)
		}
		parts = append(parts, url.QueryEscape(p.Key)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

var _ = Describe("flamock verify: a scope sent empty", Label("verify", "rfc6749"), func() {
	const clientID = "self_service_chaman_424242_eboxstyle"
	const scope = "scope:ebox:enterprise:read"

	It("OAUTH-SCOPE-01 passes the traffic of a Postman collection that sends scope= empty (RFC 6749 §3.2)", func() {
		bundle, err := certgen.Create(certgen.Request{Key: certgen.RSA2048, CommonName: "e-Box style client"})
		Expect(err).NotTo(HaveOccurred())
		j := journal.New(journal.Config{})
		ts := mockoauth.NewTestServer(GinkgoT(), mockoauth.Config{
			Journal: j,
			Clients: []mockoauth.Client{{ID: clientID, Scopes: []string{scope}, Certificates: []*x509.Certificate{bundle.Cert}}},
		})
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": clientID, "sub": clientID, "aud": ts.TokenURL(), "exp": now.Add(5 * time.Minute).Unix(), "jti": rand.Text(),
		})
		assertion, err := tok.SignedString(bundle.Key)
		Expect(err).NotTo(HaveOccurred())
		body := postmanBody("../testdata/postman/ebox-style-token.postman_collection.json", map[string]string{"clientAssertion": assertion})
		Expect(body).To(HaveSuffix("&scope="))

		resp, err := http.Post(ts.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
		var out map[string]any
		Expect(json.NewDecoder(resp.Body).Decode(&out)).To(Succeed())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK), "%v", out)
		Expect(out["scope"]).To(Equal(scope))

		var lines bytes.Buffer
		for _, ev := range j.Events(0) {
			b, err := json.Marshal(ev)
			Expect(err).NotTo(HaveOccurred())
			lines.Write(append(b, '\n'))
		}
		events, bad, err := conformance.ReadJournal(&lines)
		Expect(err).NotTo(HaveOccurred())
		Expect(bad).To(BeEmpty())
		rep := conformance.Verify(events, conformance.VerifyConfig{ClientID: clientID, TokenURL: ts.TokenURL()})
		Expect(rep.Failed()).To(BeEmpty(), reportText(rep))
		o, ok := rep.Outcome(conformance.OAuthScope)
		Expect(ok).To(BeTrue())
		Expect(o.Status).To(Equal(conformance.Pass), reportText(rep))
	})

	It("OAUTH-SCOPE-01 does not blame the client for an older token endpoint's refusal of scope= empty", func() {
		// The journal line today's mockoauth wrote before issue 17.
		line := `{"seq":1,"time":"2026-03-02T09:30:00Z","kind":"token","token":{"method":"POST","contentType":"application/x-www-form-urlencoded","stage":"scope","clientId":"` + clientID +
			`","grantType":"client_credentials","assertionType":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","header":{"alg":"RS256"},"claims":{"iss":"` + clientID + `","sub":"` + clientID +
			`"},"verdict":"refused","status":400,"error":"invalid_scope","errorDescription":"scope is empty; omit it to get the client's default scopes (` + scope + `)"}}` + "\n"
		events, bad, err := conformance.ReadJournal(strings.NewReader(line))
		Expect(err).NotTo(HaveOccurred())
		Expect(bad).To(BeEmpty())
		rep := conformance.Verify(events, conformance.VerifyConfig{ClientID: clientID})
		o, ok := rep.Outcome(conformance.OAuthScope)
		Expect(ok).To(BeTrue())
		Expect(o.Status).To(Equal(conformance.Pass), reportText(rep))
	})
})
