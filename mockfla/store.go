package mockfla

import (
	"bytes"
	"encoding/json"
	stdmaps "maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// store keeps resources keyed by their canonical path. With a state file,
// every change is appended to it and synced before it is applied and
// acknowledged (see statelog.go and the package documentation).
type store struct {
	mu       sync.RWMutex
	m        map[string][]byte   // values are never changed in place
	children map[string][]string // parent path -> child keys (a slice: most parents have one child)
	live     int64               // estimated size of a compact log of m
	closed   bool                // in memory only; the log has its own

	log *stateLog // nil: in memory
}

func openStore(cfg logConfig) (*store, error) {
	s := &store{m: map[string][]byte{}, children: map[string][]string{}}
	if cfg.path == "" {
		return s, nil
	}
	l, err := openLog(cfg, s)
	if err != nil {
		return nil, err
	}
	s.log = l
	cfg.log.Info("mockfla: state loaded", "file", cfg.path, "records", l.status.Records, "resources", len(s.m))
	return s, nil
}

func parentOf(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return ""
}

// applyRecord changes memory; the caller holds mu (or is opening the store).
func (s *store) applyRecord(r record) (existed bool) {
	switch r.Op {
	case "put":
		var old []byte
		old, existed = s.m[r.Key]
		s.m[r.Key] = r.Data
		s.live += recordSize(r.Key, r.Data)
		if existed {
			s.live -= recordSize(r.Key, old)
		} else {
			p := parentOf(r.Key)
			s.children[p] = append(s.children[p], r.Key)
		}
	case "delete":
		var old []byte
		old, existed = s.m[r.Key]
		if !existed {
			return false
		}
		s.live -= recordSize(r.Key, old)
		delete(s.m, r.Key)
		p := parentOf(r.Key)
		if kids := slices.DeleteFunc(s.children[p], func(k string) bool { return k == r.Key }); len(kids) > 0 {
			s.children[p] = kids
		} else {
			delete(s.children, p)
		}
	case "reset":
		s.m = map[string][]byte{}
		s.children = map[string][]string{}
		s.live = 0
	}
	return existed
}

// applyBatch applies synced records in order.
func (s *store) applyBatch(batch []*pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range batch {
		p.existed = s.applyRecord(p.rec)
	}
}

func (s *store) liveBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.live
}

// snapshot is a copy of the map (the values are shared: never changed in place).
func (s *store) snapshot() map[string][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return stdmaps.Clone(s.m)
}

// commit makes r durable (with a state file), then applies it.
func (s *store) commit(r record) (existed bool, err error) {
	if s.log != nil {
		return s.log.commit(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, errClosed
	}
	return s.applyRecord(r), nil
}

// Get returns the resource at key.
func (s *store) Get(key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[key]
	return b, ok
}

// Put stores body at key; it reports whether a resource was replaced.
func (s *store) Put(key string, body []byte) (bool, error) {
	return s.commit(record{Op: "put", Key: key, Data: body})
}

// compactCopy returns body as compact JSON in a slice of its own, so a
// stored resource holds neither indentation nor the spare capacity of the
// request's read buffer. A body that is not JSON is copied as it is.
func compactCopy(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body))
	if err := json.Compact(&buf, body); err != nil {
		return bytes.Clone(body)
	}
	return bytes.Clone(buf.Bytes())
}

// storedForm is compactCopy(c.body), with what validation learnt about the
// body: compact JSON of its own is kept as it is, and valid JSON only loses
// its whitespace (what json.Compact removes) without a second syntax check.
func storedForm(c *call) []byte {
	switch c.form {
	case bodyCompact:
		return c.body
	case bodyValid:
		return stripSpace(c.body)
	}
	return compactCopy(c.body)
}

// stripSpace returns b, one valid JSON value, without the whitespace
// outside its strings, in a slice of its own.
func stripSpace(b []byte) []byte {
	n := 0
	scan := func(out []byte) {
		in, esc := false, false
		j := 0
		for _, ch := range b {
			switch {
			case esc:
				esc = false
			case in:
				if ch == '\\' {
					esc = true
				} else if ch == '"' {
					in = false
				}
			case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
				continue
			case ch == '"':
				in = true
			}
			if out != nil {
				out[j] = ch
			}
			j++
		}
		n = j
	}
	scan(nil)
	out := make([]byte, n)
	scan(out)
	return out
}

// Delete removes key; it reports whether there was a resource.
func (s *store) Delete(key string) (bool, error) {
	if _, ok := s.Get(key); !ok {
		return false, nil
	}
	return s.commit(record{Op: "delete", Key: key})
}

// Reset removes everything.
func (s *store) Reset() error {
	_, err := s.commit(record{Op: "reset"})
	return err
}

// Len is the number of resources.
func (s *store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// Children returns the keys directly under parent, sorted.
func (s *store) Children(parent string) []string {
	s.mu.RLock()
	kids := slices.Clone(s.children[parent])
	s.mu.RUnlock()
	slices.Sort(kids)
	return kids
}

// Close syncs and closes the state file; later writes fail.
func (s *store) Close() error {
	if s.log != nil {
		return s.log.close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Status is the state file's status; ok is false in memory.
func (s *store) Status() (StateStatus, bool) {
	if s.log == nil {
		return StateStatus{}, false
	}
	return s.log.Status(), true
}

// serve is the last layer: the operation's computed answer (a profile's
// OpRule.Handle), else the resource semantics every operation shares
// (serveResource in resource.go).
func (s *Server) serve(c *call) *response {
	if c.op.rule != nil && c.op.rule.Handle != nil {
		if a := c.op.rule.Handle(Call{s, c}); a.resp != nil {
			return a.resp
		}
		return problemResponse(problemFor(http.StatusInternalServerError, "mockfla: the profile's handler of "+c.op.id+" gave no answer"))
	}
	return s.serveResource(c)
}

// storeRetrySec is the retry hint of a 503 whose write the store refused.
const storeRetrySec = 1

func (s *Server) storeFailed(c *call, err error) *response {
	s.log.Error("mockfla: store write failed", "path", c.r.URL.Path, "err", err)
	c.layer("store", false, err.Error())
	return retryLater(problemFor(http.StatusServiceUnavailable, "The mock could not store the change durably: "+err.Error()), storeRetrySec, s.cfg.Now())
}

// list answers a Belgif collection of the resources directly under key.
func (s *Server) list(c *call, key string) *response {
	var items []json.RawMessage
	for _, k := range s.store.Children(key) {
		if b, ok := s.store.Get(k); ok && json.Valid(b) {
			items = append(items, b)
		}
	}
	page, size := pageParams(c.r, s.cfg.PageSize)
	pageItems := pageOf(items, page, size)
	out := map[string]any{"items": pageItems}
	for k, v := range map[string]any{"page": page, "pageSize": size, "total": len(items), "totalItems": len(items)} {
		if slices.Contains(c.op.listProps, k) {
			out[k] = v
		}
	}
	addLinks(out, c.r.URL.Path, page, size, len(items), c.op.listProps)
	body, _ := json.Marshal(out)
	c.layer("store", true, strconv.Itoa(len(pageItems))+" of "+strconv.Itoa(len(items))+" under "+key)
	return &response{status: http.StatusOK, ctype: "application/json", body: body}
}
