package mockoauth

import (
	"slices"

	"github.com/flamock/flamock/certgen"
	"strings"
	"testing"
)

// The tests' qualities and scopes: the FLA's (seed §6.1), written out here
// because mockoauth takes its qualities from configuration and knows no
// profile.
const (
	QualityEmployer         = "employer"
	QualityProvider         = "provider"
	QualityTrainingProvider = "trainingProvider"

	ScopeEmployer         = "scope:sigedis:gestion:careerpro-federal-learning-account:employer"
	ScopeProvider         = "scope:sigedis:gestion:careerpro-federal-learning-account:provider"
	ScopeTrainingProvider = "scope:sigedis:gestion:careerpro-federal-learning-account:trainingprovider"
)

// testQualityScopes is the tests' Config.QualityScopes.
func testQualityScopes() map[string][]string {
	return map[string][]string{
		QualityEmployer:         {ScopeEmployer},
		QualityProvider:         {ScopeProvider},
		QualityTrainingProvider: {ScopeTrainingProvider},
	}
}

// TestConfig_QualityScopes: qualities come from the configuration only; a
// client of a quality no one configured is refused with the error a user
// sees, and Client.Scopes needs no quality.
func TestConfig_QualityScopes(t *testing.T) {
	b := testBundles(t)
	_, err := New(Config{Clients: []Client{{ID: "a", Quality: "employer", Certificates: certsOf(b[certgen.RSA2048])}}})
	want := `mockoauth: add client: client "a": unknown quality "employer": Config.QualityScopes names no quality (set it from the profile, or set Client.Scopes)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v; want %q", err, want)
	}
	if _, err := New(Config{Clients: []Client{{ID: "a", Quality: "anything", Scopes: []string{"scope:x"}, Certificates: certsOf(b[certgen.RSA2048])}}}); err != nil {
		t.Fatalf("a client with its own scopes needs no known quality: %v", err)
	}
	qs := map[string][]string{"q": {"scope:q"}}
	srv, err := New(Config{QualityScopes: qs, Clients: []Client{{ID: "a", Quality: "q", Certificates: certsOf(b[certgen.RSA2048])}}})
	if err != nil {
		t.Fatal(err)
	}
	qs["q"][0] = "changed"
	if got := srv.Config().QualityScopes["q"]; !slices.Equal(got, []string{"scope:q"}) {
		t.Fatalf("QualityScopes not copied: %v", got)
	}
}
