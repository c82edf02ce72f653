package fault

import "strings"

// glob is a compiled path pattern where "*" matches any run of characters.
// It matches in time linear in the path and the pattern: the literal
// pieces between stars are found left to right, each at its leftmost
// occurrence, which is always a match when there is one (a star can absorb
// anything the leftmost choice leaves), so no choice is ever undone.
type glob struct {
	any    bool     // "" or "*": every path
	pieces []string // the pattern split on "*"; one piece: no star
}

func compileGlob(p string) glob {
	if p == "" || strings.Trim(p, "*") == "" {
		return glob{any: true}
	}
	return glob{pieces: strings.Split(p, "*")}
}

func (g glob) match(s string) bool {
	if g.any {
		return true
	}
	ps := g.pieces
	if len(ps) == 1 {
		return s == ps[0]
	}
	first, last := ps[0], ps[len(ps)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range ps[1 : len(ps)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}
