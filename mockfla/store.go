package mockfla

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// store keeps resources keyed by their canonical path. With a state file,
// every change is appended to it and synced before it is applied and
// acknowledged (see the package documentation for the file format).
type store struct {
	mu       sync.RWMutex
	m        map[string][]byte
	children map[string][]string // parent path -> child keys (a slice: most parents have one child)

	wmu    sync.Mutex // orders writes to the file and their application
	f      *os.File
	path   string
	log    *slog.Logger
	closed bool
}

// record is one line of the state file, after its checksum.
type record struct {
	Op   string `json:"op"` // put, delete or reset
	Key  string `json:"key,omitempty"`
	Data []byte `json:"data,omitempty"` // base64 in JSON
}

var errClosed = errors.New("mockfla: store is closed")

func openStore(path string, log *slog.Logger) (*store, error) {
	s := &store{m: map[string][]byte{}, children: map[string][]string{}, path: path, log: log}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("mockfla: state file: %w", err)
	}
	n, good := 0, 0
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			log.Warn("mockfla: state file ends with a truncated record; ignoring it (it was never acknowledged)",
				"file", path, "offset", off, "bytes", len(data)-off)
			break
		}
		rec, ok := decodeRecord(data[off : off+nl])
		if !ok {
			log.Warn("mockfla: state file has a damaged record; ignoring it and everything after it",
				"file", path, "offset", off, "bytes", len(data)-off)
			break
		}
		s.apply(rec)
		off += nl + 1
		good = off
		n++
	}
	_ = good
	// Compact: write the live resources to a new file, sync it, rename it
	// over the old one and sync the directory. A crash at any point leaves
	// either the old file or the new one, both complete.
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	s.log.Info("mockfla: state loaded", "file", path, "records", n, "resources", len(s.m))
	return s, nil
}

func encodeRecord(r record) []byte {
	j, _ := json.Marshal(r) // only strings and bytes: cannot fail
	line := make([]byte, 0, len(j)+10)
	line = hex.AppendEncode(line, crc(j))
	line = append(line, ' ')
	line = append(line, j...)
	return append(line, '\n')
}

func crc(b []byte) []byte {
	v := crc32.ChecksumIEEE(b)
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func decodeRecord(line []byte) (record, bool) {
	var r record
	if len(line) < 10 || line[8] != ' ' {
		return r, false
	}
	sum, err := hex.DecodeString(string(line[:8]))
	if err != nil || !bytes.Equal(sum, crc(line[9:])) {
		return r, false
	}
	if json.Unmarshal(line[9:], &r) != nil {
		return r, false
	}
	switch r.Op {
	case "put", "delete":
		return r, r.Key != ""
	case "reset":
		return r, true
	}
	return r, false
}

func (s *store) rewrite() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("mockfla: state file: %w", err)
	}
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	for _, k := range keys {
		buf.Write(encodeRecord(record{Op: "put", Key: k, Data: s.m[k]}))
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(s.path))
	}
	if err != nil {
		return fmt.Errorf("mockfla: state file: %w", err)
	}
	s.f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("mockfla: state file: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func parentOf(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return ""
}

// apply changes memory; the caller holds wmu (or is opening the store).
func (s *store) apply(r record) (existed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Op {
	case "put":
		_, existed = s.m[r.Key]
		s.m[r.Key] = r.Data
		if !existed {
			p := parentOf(r.Key)
			s.children[p] = append(s.children[p], r.Key)
		}
	case "delete":
		_, existed = s.m[r.Key]
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
	}
	return existed
}

// commit makes r durable (with a state file), then applies it.
func (s *store) commit(r record) (existed bool, err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return false, errClosed
	}
	if s.f != nil {
		if _, err := s.f.Write(encodeRecord(r)); err != nil {
			return false, fmt.Errorf("mockfla: state file: %w", err)
		}
		if err := s.f.Sync(); err != nil {
			return false, fmt.Errorf("mockfla: state file: %w", err)
		}
	}
	return s.apply(r), nil
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
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// serve is the last layer: the operation's own handler (profile rules), or
// the generic store behaviour: PUT replaces, GET reads or lists, DELETE
// removes; other methods answer the spec's example.
func (s *Server) serve(c *call) *response {
	if c.op.rule != nil && c.op.rule.Handle != nil {
		if a := c.op.rule.Handle(Call{s, c}); a.resp != nil {
			return a.resp
		}
		return problemResponse(problemFor(http.StatusInternalServerError, "mockfla: the profile's handler of "+c.op.id+" gave no answer"))
	}
	if c.op.generic != nil {
		return s.serveGeneric(c)
	}
	key := c.op.key(c.canon)
	suc := c.op.success
	switch c.r.Method {
	case http.MethodPut:
		stored := storedForm(c)
		replaced, err := s.store.Put(key, stored)
		if err != nil {
			return s.storeFailed(c, err)
		}
		verb := "created "
		if replaced {
			verb = "replaced "
		}
		c.layer("store", true, verb+key)
		if !replaced && suc.created != 0 {
			suc.status = suc.created
		}
		return bodyResponse(suc, stored)
	case http.MethodGet:
		if c.op.list {
			if _, ok := s.store.Get(key); !ok {
				return s.list(c, key)
			}
		}
		b, ok := s.store.Get(key)
		if !ok && suc.static && suc.example != nil {
			c.layer("store", true, "example answer")
			return &response{status: suc.status, ctype: suc.ctype, body: suc.example}
		}
		if !ok {
			c.layer("store", false, "nothing at "+key)
			return notFound(c, key, "")
		}
		c.layer("store", true, "read "+key)
		return bodyResponse(suc, b)
	case http.MethodDelete:
		found, err := s.store.Delete(key)
		if err != nil {
			return s.storeFailed(c, err)
		}
		if !found {
			c.layer("store", false, "nothing at "+key)
			return notFound(c, key, "")
		}
		c.layer("store", true, "deleted "+key)
		return &response{status: suc.status}
	}
	c.layer("store", true, "example answer")
	if suc.example != nil {
		return &response{status: suc.status, ctype: suc.ctype, body: suc.example}
	}
	return &response{status: suc.status}
}

func bodyResponse(suc success, body []byte) *response {
	if suc.ctype == "" || suc.status == http.StatusNoContent {
		return &response{status: suc.status}
	}
	return &response{status: suc.status, ctype: suc.ctype, body: body}
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
