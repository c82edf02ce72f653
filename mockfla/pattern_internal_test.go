package mockfla

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// specPatterns are the patterns of the embedded and test documents, and
// shapes near them.
var specPatterns = []string{
	`^[0-9]{11}$`, `^\d{11}$`, `^[01]\d{9}$`, `^([01]\d{9}|[1-9]\d{8})$`, `^[01]?\d{9}$`, `^[0-9]{9,10}$`,
	`^D[0-9]{6}$`, `^[0-9a-f]{8}$`, `^[a-z0-9-]{1,36}$`, `^[A-Za-z0-9._-]{1,50}$`, `^[A-Z]{2}[0-9]{8}$`,
	`^[a-z][a-z0-9-]{2,30}$`, `^[0-9]{1,6}$`, `^[0-9]{4}-(0[1-9]|1[0-2])$`, `^[A-Z]{2}\d{2}$`, `^\x{00C9}+$`,
	`^$`, `^a{0,3}b?a$`, `^[ab]{0,4}[ab]?$`, `^a*b?c$`, `^.{2,3}$`, `^[^0-9]{1,4}x$`, `^(?:ab|a)(?:c|bc)$`, `\A\d+\z`, `^(|a)b$`,
}

// TestAnchoredPatterns: every pattern of the documents compiles to the
// matcher, and it agrees with regexp on strings made of their characters.
func TestAnchoredPatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 7))
	alphabet := []string{"0", "1", "2", "5", "9", "a", "b", "f", "x", "z", "A", "D", "Z", "-", ".", "_", "É", "\xff", "\n", "😀"}
	for _, p := range specPatterns {
		a := compileAnchored(p)
		if a == nil {
			t.Errorf("%s: not compiled", p)
			continue
		}
		re := regexp.MustCompile(p)
		matched := 0
		for i := range 4000 {
			var b strings.Builder
			n := rng.IntN(14)
			if i%4 == 0 {
				n = len(p) / 2
			}
			for range n {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			s := b.String()
			if i%2 == 0 { // a string the pattern matches, changed a little at times
				s = sample(rng, a, alphabet)
			}
			if i%3 == 0 { // mostly digits: near the identifiers
				s = strings.Map(func(r rune) rune {
					if rng.IntN(5) > 0 {
						return '0' + rune(rng.IntN(10))
					}
					return r
				}, s)
			}
			got, want := a.MatchString(s), re.MatchString(s)
			if got != want {
				t.Fatalf("%s on %q: anchored %v, regexp %v", p, s, got, want)
			}
			if got {
				matched++
			}
		}
		if matched == 0 && p != "^$" {
			t.Errorf("%s: no generated string matched", p)
		}
	}
}

// sample writes a string one of a's alternatives matches, and then, at
// random, changes, drops or adds a character.
func sample(rng *rand.Rand, a *anchored, alphabet []string) string {
	var b []rune
	for _, at := range a.alts[rng.IntN(len(a.alts))] {
		hi := at.max
		if hi < 0 || hi > at.min+3 {
			hi = at.min + 3
		}
		for range at.min + rng.IntN(hi-at.min+1) {
			k := rng.IntN(len(at.ranges)/2) * 2
			lo, hi := at.ranges[k], at.ranges[k+1]
			if hi-lo > 200 {
				hi = lo + 200
			}
			b = append(b, lo+rune(rng.IntN(int(hi-lo)+1)))
		}
	}
	if rng.IntN(3) == 0 {
		r := []rune(alphabet[rng.IntN(len(alphabet))])[0]
		switch i := rng.IntN(len(b) + 1); {
		case i == len(b):
			b = append(b, r)
		case rng.IntN(2) == 0:
			b[i] = r
		default:
			b = append(b[:i], b[i+1:]...)
		}
	}
	return string(b)
}

// TestAnchoredRefuses: shapes the matcher leaves to regexp.
func TestAnchoredRefuses(t *testing.T) {
	for _, p := range []string{
		`[0-9]{11}`, `^[0-9]{11}`, `[0-9]$`, `^a|b$`, `^(?i)abc$`, `^(ab)+$`, `^\bx$`, `^[a-z]*[a-z]*x$`,
		`(?m)^a$`, `^a(`, `^(ab|cd|ef|gh|ij)(ab|cd|ef|gh|ij)$`, `^a*b?a$`,
	} {
		if compileAnchored(p) != nil {
			t.Errorf("%s: compiled", p)
		}
	}
}

// FuzzAnchored holds the matcher to regexp's MatchString on patterns and
// strings the fuzzer writes.
func FuzzAnchored(f *testing.F) {
	for i, p := range specPatterns {
		f.Add(p, []string{"08808206730", "880820673", "D123456", "2023-13", "ab", "", "É\xff"}[i%7])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return
		}
		re, err := regexp.Compile(pattern)
		a := compileAnchored(pattern)
		if err != nil {
			if a != nil {
				t.Fatalf("%q: regexp refuses it (%v), anchored compiled it", pattern, err)
			}
			return
		}
		if a == nil {
			return
		}
		if got, want := a.MatchString(s), re.MatchString(s); got != want {
			t.Fatalf("%q on %q: anchored %v, regexp %v", pattern, s, got, want)
		}
	})
}
