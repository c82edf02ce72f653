package mockfla

import (
	"slices"
	"sync"

	"github.com/flamock/flamock/internal/jsonstr"
)

// spliceDefaults returns what marshalJSON writes for body once c's
// defaults are in it (json.Marshal of the decoded body after
// applyDefaults: the bytes the store keeps), without building or walking
// the decoded value: one pass over body that drops the whitespace, writes
// each string as json.Marshal does, puts each object's members in key
// order and writes a default where applyDefaults would set one (a
// property with a default that is missing or null). c must accept the
// body. ok is false for anything it does not expect (the caller then
// encodes the value); FuzzSpliceDefaults holds it to json.Marshal.
//
// Numbers, true, false and null are written as they are, as json.Marshal
// writes a json.Number; object keys are unique (parseJSON refuses
// duplicates).
func (c *cschema) spliceDefaults(body string) (out []byte, ok bool) {
	sp := splicerPool.Get().(*splicer)
	sp.p = jsonParser{s: body}
	sp.out, sp.mem = sp.out[:0], sp.mem[:0]
	ok = sp.value(c, 0)
	if ok {
		sp.p.space()
		ok = sp.p.i == len(sp.p.s)
	}
	if ok {
		out = append([]byte(nil), sp.out...)
	}
	sp.p = jsonParser{}
	clear(sp.mem[:cap(sp.mem)]) // no reference to the body stays behind
	if cap(sp.out) <= 64<<10 && cap(sp.tmp) <= 64<<10 && cap(sp.mem) <= 1024 {
		splicerPool.Put(sp)
	}
	return out, ok
}

var splicerPool = sync.Pool{New: func() any { return &splicer{out: make([]byte, 0, 2048), mem: make([]member, 0, 32)} }}

// splicer is spliceDefaults' state: the input, the output, and the
// members of the objects being written (a stack), by output span.
type splicer struct {
	p   jsonParser
	out []byte
	mem []member
	tmp []byte
}

// member is one object member written to out[start:end] ("key":value).
type member struct {
	key        string
	rank       int // the key's rank among the schema's properties, or -1
	start, end int
}

// less orders members as json.Marshal orders a map's keys; two keys both
// ranked by one schema compare by rank.
func (m *member) less(o *member) bool {
	if m.rank >= 0 && o.rank >= 0 {
		return m.rank < o.rank
	}
	return m.key < o.key
}

// value writes the value at p.i; c (nil: none) is its schema, for the
// defaults below it.
func (sp *splicer) value(c *cschema, depth int) bool {
	p := &sp.p
	p.space()
	if p.i >= len(p.s) {
		return false
	}
	if c != nil && !c.deep {
		c = nil
	}
	switch ch := p.s[p.i]; {
	case ch == '{':
		return depth < fastDepth && sp.object(c, depth+1)
	case ch == '[':
		return depth < fastDepth && sp.array(c, depth+1)
	case ch == '"':
		start := p.i
		t, same, ok := p.textRaw()
		if same {
			sp.out = append(sp.out, p.s[start:p.i]...)
		} else {
			sp.out = jsonstr.Append(sp.out, t)
		}
		return ok
	case ch == '-' || ch >= '0' && ch <= '9':
		start := p.i
		if !p.numberEnd() {
			return false
		}
		sp.out = append(sp.out, p.s[start:p.i]...)
		return true
	case ch == 't':
		sp.out = append(sp.out, "true"...)
		return p.literal("true")
	case ch == 'f':
		sp.out = append(sp.out, "false"...)
		return p.literal("false")
	case ch == 'n':
		sp.out = append(sp.out, "null"...)
		return p.literal("null")
	}
	return false
}

func (sp *splicer) array(c *cschema, depth int) bool {
	p := &sp.p
	p.i++ // [
	sp.out = append(sp.out, '[')
	var items *cschema
	if c != nil {
		items = c.items
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		sp.out = append(sp.out, ']')
		return true
	}
	for {
		if !sp.value(items, depth) {
			return false
		}
		more, ok := p.next(']')
		if !ok {
			return false
		}
		if !more {
			sp.out = append(sp.out, ']')
			return true
		}
		sp.out = append(sp.out, ',')
	}
}

func (sp *splicer) object(c *cschema, depth int) bool {
	p := &sp.p
	p.i++ // {
	open := len(sp.out)
	sp.out = append(sp.out, '{')
	base := len(sp.mem)
	sorted := true
	add := func(key string, rank, start int) {
		m := member{key: key, rank: rank, start: start, end: len(sp.out)}
		if n := len(sp.mem); n > base && !sp.mem[n-1].less(&m) {
			sorted = false
		}
		sp.mem = append(sp.mem, m)
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
	} else {
		for {
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return false
			}
			kstart := p.i
			key, same, ok := p.textRaw()
			if !ok {
				return false
			}
			kend := p.i
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return false
			}
			p.i++
			if len(sp.mem) > base {
				sp.out = append(sp.out, ',')
			}
			start := len(sp.out)
			if same {
				sp.out = append(sp.out, p.s[kstart:kend]...)
			} else {
				sp.out = jsonstr.Append(sp.out, key)
			}
			sp.out = append(sp.out, ':')
			var child *cschema
			var dflt []byte
			rank := -1
			if c != nil {
				if pr := c.props[key]; pr != nil {
					child, rank = pr.schema, pr.rank
					if pr.dflt != nil {
						if dflt = c.dfltEnc(key); dflt == nil {
							return false
						}
					}
				} else {
					child = c.addSchema
				}
			}
			if p.space(); dflt != nil && p.literal("null") {
				sp.out = append(sp.out, dflt...) // null: the default
			} else if !sp.value(child, depth) {
				return false
			}
			add(key, rank, start)
			more, ok := p.next('}')
			if !ok {
				return false
			}
			if !more {
				break
			}
		}
	}
	if c != nil {
		for _, d := range c.dflts {
			if sp.has(base, d.name) {
				continue
			}
			if d.enc == nil {
				return false
			}
			if len(sp.mem) > base {
				sp.out = append(sp.out, ',')
			}
			start := len(sp.out)
			sp.out = jsonstr.Append(sp.out, d.name)
			sp.out = append(sp.out, ':')
			sp.out = append(sp.out, d.enc...)
			add(d.name, c.props[d.name].rank, start)
		}
	}
	if !sorted {
		sp.reorder(open+1, base)
	}
	sp.mem = sp.mem[:base]
	sp.out = append(sp.out, '}')
	return true
}

// has reports whether the object whose members start at mem[base] has key.
func (sp *splicer) has(base int, key string) bool {
	for _, m := range sp.mem[base:] {
		if m.key == key {
			return true
		}
	}
	return false
}

// reorder rewrites the members written from out[from:] (those of
// mem[base:]) in key order, as json.Marshal sorts a map's keys.
func (sp *splicer) reorder(from, base int) {
	sp.tmp = append(sp.tmp[:0], sp.out[from:]...)
	ms := sp.mem[base:]
	if len(ms) <= 16 {
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && ms[j].less(&ms[j-1]); j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
	} else {
		slices.SortFunc(ms, func(a, b member) int {
			if a.less(&b) {
				return -1
			}
			return 1 // keys are unique
		})
	}
	sp.out = sp.out[:from]
	for i, m := range ms {
		if i > 0 {
			sp.out = append(sp.out, ',')
		}
		sp.out = append(sp.out, sp.tmp[m.start-from:m.end-from]...)
	}
}

// dfltEnc is the encoded default of the property name (nil: none, or one
// json.Marshal cannot write).
func (c *cschema) dfltEnc(name string) []byte {
	for _, d := range c.dflts {
		if d.name == name {
			return d.enc
		}
	}
	return nil
}
