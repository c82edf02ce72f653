package conformance

import "testing"

// Every rule but the certificate ones holds its judge, and a judge's rule
// lives in the file of its area.
func TestEveryRuleHoldsItsJudge(t *testing.T) {
	for _, r := range catalogue {
		if (r.judge == nil) != (r.Area == AreaCertificate) {
			t.Errorf("%s (%s): judge set = %v", r.ID, r.Area, r.judge != nil)
		}
	}
	for area, rules := range map[string][]Rule{
		AreaToken: tokenRequestRules, AreaTokenUse: tokenUseRules, AreaAPI: apiRules, AreaTLS: tlsRules, AreaContract: contractRules,
	} {
		for _, r := range rules {
			if r.Area != area {
				t.Errorf("%s is in the %s rules but its area is %s", r.ID, area, r.Area)
			}
		}
	}
}
