package mockfla

import "testing"

// Every operation route can give a call has its resource semantics
// (prepareGeneric runs in New over every indexed operation, with or without
// a profile's rules, and route takes c.op from that index only), so no
// answer of an operation is fitted without them: fitProblem fits injected
// faults only, and errorModel shapes every refusal of an operation.
func TestEveryOperationHasResourceSemantics(t *testing.T) {
	cfg := flaConfig(t)
	cfg.Specs[0].Profile = "withrules"
	cfg.Rules = []*Rules{{Name: "withrules"}}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	for _, m := range s.mounts {
		for _, o := range m.ops {
			n++
			if o.generic == nil {
				t.Errorf("%s %s %s: no resource semantics", m.name, o.method, o.path)
			}
		}
	}
	if n < 16 {
		t.Errorf("%d operations; want the 16 of the FLA documents", n)
	}
}
