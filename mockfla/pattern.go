package mockfla

import (
	"regexp/syntax"
	"unicode/utf8"
)

// anchored matches a string as regexp's MatchString does for the
// anchored patterns identifiers and parameters use ("^[0-9]{11}$",
// "^([01]\d{9}|[1-9]\d{8})$", "^D[0-9]{6}$", "^[0-9]{4}-(0[1-9]|1[0-2])$"),
// without the regexp machine: every alternative is a sequence of
// character classes, each repeated between min and max times, held
// between ^ and $. compileAnchored takes only patterns of that shape whose
// matching needs little or no backtracking; any other stays with regexp.
// FuzzAnchored holds it to regexp.
type anchored struct {
	alts [][]patAtom
}

// patAtom is a character class repeated min to max times (max -1: no
// limit). greedy: taking as many as possible is the only choice that can
// lead to a match (no character of the class can start what follows).
type patAtom struct {
	ascii    [2]uint64 // the class's ASCII runes
	ranges   []rune    // the class's runes, as syntax.Regexp.Rune pairs
	min, max int
	greedy   bool
}

const (
	maxPatAlts   = 16  // alternatives after distributing inner alternations
	maxPatBranch = 256 // choices a non-greedy atom sequence may try
)

// compileAnchored compiles pattern (as regexp.Compile parses it) or
// returns nil when it does not have the shape anchored takes.
func compileAnchored(pattern string) *anchored {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	seqs, ok := expandPat(re)
	if !ok || len(seqs) == 0 {
		return nil
	}
	a := &anchored{}
	for _, seq := range seqs {
		if len(seq) < 2 || seq[0].op != syntax.OpBeginText || seq[len(seq)-1].op != syntax.OpEndText {
			return nil
		}
		atoms := make([]patAtom, 0, len(seq)-2)
		for _, n := range seq[1 : len(seq)-1] {
			if n.op != syntax.OpCharClass {
				return nil // an anchor inside
			}
			atoms = append(atoms, n.atom)
		}
		if !markGreedy(atoms) {
			return nil
		}
		a.alts = append(a.alts, atoms)
	}
	return a
}

// patNode is an element of an expanded sequence: an anchor, or an atom
// (op OpCharClass).
type patNode struct {
	op   syntax.Op
	atom patAtom
}

// expandPat writes re as alternatives of node sequences, distributing
// inner alternations; ok is false for anything else.
func expandPat(re *syntax.Regexp) (seqs [][]patNode, ok bool) {
	switch re.Op {
	case syntax.OpCapture:
		return expandPat(re.Sub[0])
	case syntax.OpEmptyMatch:
		return [][]patNode{{}}, true
	case syntax.OpBeginText, syntax.OpEndText:
		return [][]patNode{{{op: re.Op}}}, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		seq := make([]patNode, 0, len(re.Rune))
		for _, r := range re.Rune {
			seq = append(seq, patNode{op: syntax.OpCharClass, atom: newAtom([]rune{r, r}, 1, 1)})
		}
		return [][]patNode{seq}, true
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		rs, ok := classOf(re)
		if !ok {
			return nil, false
		}
		return [][]patNode{{{op: syntax.OpCharClass, atom: newAtom(rs, 1, 1)}}}, true
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		rs, ok := classOf(re.Sub[0])
		if !ok {
			return nil, false
		}
		lo, hi := 0, -1
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
		}
		return [][]patNode{{{op: syntax.OpCharClass, atom: newAtom(rs, lo, hi)}}}, true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			s, ok := expandPat(sub)
			if !ok {
				return nil, false
			}
			seqs = append(seqs, s...)
			if len(seqs) > maxPatAlts {
				return nil, false
			}
		}
		return seqs, true
	case syntax.OpConcat:
		seqs = [][]patNode{{}}
		for _, sub := range re.Sub {
			s, ok := expandPat(sub)
			if !ok || len(seqs)*len(s) > maxPatAlts {
				return nil, false
			}
			next := make([][]patNode, 0, len(seqs)*len(s))
			for _, a := range seqs {
				for _, b := range s {
					next = append(next, append(append([]patNode(nil), a...), b...))
				}
			}
			seqs = next
		}
		return seqs, true
	}
	return nil, false
}

// classOf is the rune ranges of a one-character expression.
func classOf(re *syntax.Regexp) ([]rune, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) != 1 || re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []rune{re.Rune[0], re.Rune[0]}, true
	case syntax.OpCharClass:
		return re.Rune, true
	case syntax.OpAnyChar:
		return []rune{0, utf8.MaxRune}, true
	case syntax.OpAnyCharNotNL:
		return []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}, true
	}
	return nil, false
}

func newAtom(ranges []rune, min, max int) patAtom {
	a := patAtom{ranges: ranges, min: min, max: max}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < utf8.RuneSelf; r++ {
			a.ascii[r/64] |= 1 << (r % 64)
		}
	}
	return a
}

func (a *patAtom) has(r rune) bool {
	if r < utf8.RuneSelf {
		return a.ascii[r/64]&(1<<(r%64)) != 0
	}
	for i := 0; i+1 < len(a.ranges); i += 2 {
		if r < a.ranges[i] {
			return false
		}
		if r <= a.ranges[i+1] {
			return true
		}
	}
	return false
}

// markGreedy sets greedy on the atoms where taking the longest run is
// exact: a fixed count, or a class that shares no rune with any atom that
// may come next (up to the first that cannot be skipped). It reports
// false when the other atoms would need too many choices.
func markGreedy(atoms []patAtom) bool {
	branch := 1
	for i := range atoms {
		a := &atoms[i]
		a.greedy = a.min == a.max
		if !a.greedy {
			a.greedy = true
			for j := i + 1; j < len(atoms); j++ {
				if overlaps(a.ranges, atoms[j].ranges) {
					a.greedy = false
					break
				}
				if atoms[j].min > 0 {
					break
				}
			}
		}
		if !a.greedy {
			if a.max < 0 {
				return false
			}
			branch *= a.max - a.min + 1
			if branch > maxPatBranch {
				return false
			}
		}
	}
	return true
}

// overlaps reports whether two sorted range lists share a rune.
func overlaps(x, y []rune) bool {
	for i := 0; i+1 < len(x); i += 2 {
		for j := 0; j+1 < len(y); j += 2 {
			if x[i] <= y[j+1] && y[j] <= x[i+1] {
				return true
			}
		}
	}
	return false
}

// MatchString reports whether s matches the pattern, as regexp does
// (an invalid UTF-8 byte reads as U+FFFD).
func (a *anchored) MatchString(s string) bool {
	for _, atoms := range a.alts {
		if matchAtoms(atoms, s, 0) {
			return true
		}
	}
	return false
}

func matchAtoms(atoms []patAtom, s string, pos int) bool {
	for i := range atoms {
		a := &atoms[i]
		n, end := 0, pos
		for end < len(s) && (a.max < 0 || n < a.max) {
			r, size := rune(s[end]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[end:])
			}
			if !a.has(r) {
				break
			}
			n++
			end += size
		}
		if n < a.min {
			return false
		}
		if !a.greedy {
			for k := n; k >= a.min; k-- {
				if matchAtoms(atoms[i+1:], s, advance(s, pos, k)) {
					return true
				}
			}
			return false
		}
		pos = end
	}
	return pos == len(s)
}

// advance is the position k runes after pos.
func advance(s string, pos, k int) int {
	for ; k > 0; k-- {
		if s[pos] < utf8.RuneSelf {
			pos++
		} else {
			_, size := utf8.DecodeRuneInString(s[pos:])
			pos += size
		}
	}
	return pos
}
