package store

import (
	stdmaps "maps"
	"slices"
	"strings"
	"sync"
)

// mem keeps resources keyed by their canonical path. With a state file,
// every change is appended to it and synced before it is applied and
// acknowledged (see statelog.go and the package documentation).
type mem struct {
	mu       sync.RWMutex
	m        map[string][]byte   // values are never changed in place
	children map[string][]string // parent path -> child keys (a slice: most parents have one child)
	live     int64               // estimated size of a compact log of m
	closed   bool                // in memory only; the log has its own

	log *stateLog // nil: in memory
}

func openStore(cfg logConfig) (*mem, error) {
	s := &mem{m: map[string][]byte{}, children: map[string][]string{}}
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

// Parent is the parent of key in the tree of Resources: key up to its
// last "/" ("" when there is none).
func Parent(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return ""
}

// applyRecord changes memory; the caller holds mu (or is opening the store).
func (s *mem) applyRecord(r record) (existed bool) {
	switch r.Op {
	case "put":
		var old []byte
		old, existed = s.m[r.Key]
		s.m[r.Key] = r.Data
		s.live += recordSize(r.Key, r.Data)
		if existed {
			s.live -= recordSize(r.Key, old)
		} else {
			p := Parent(r.Key)
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
		p := Parent(r.Key)
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
func (s *mem) applyBatch(batch []*pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range batch {
		p.existed = s.applyRecord(p.rec)
	}
}

func (s *mem) liveBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.live
}

// snapshot is a copy of the map (the values are shared: never changed in place).
func (s *mem) snapshot() map[string][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return stdmaps.Clone(s.m)
}

// commit makes r durable (with a state file), then applies it.
func (s *mem) commit(r record) (existed bool, err error) {
	if s.log != nil {
		return s.log.commit(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, ErrClosed
	}
	return s.applyRecord(r), nil
}

// Get returns the resource at key.
func (s *mem) Get(key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[key]
	return b, ok
}

// Put stores body at key; it reports whether a resource was replaced.
func (s *mem) Put(key string, body []byte) (bool, error) {
	return s.commit(record{Op: "put", Key: key, Data: body})
}

// Delete removes key; it reports whether there was a resource.
func (s *mem) Delete(key string) (bool, error) {
	if _, ok := s.Get(key); !ok {
		return false, nil
	}
	return s.commit(record{Op: "delete", Key: key})
}

// Reset removes everything.
func (s *mem) Reset() error {
	_, err := s.commit(record{Op: "reset"})
	return err
}

// Len is the number of resources.
func (s *mem) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// Children returns the keys directly under parent, sorted.
func (s *mem) Children(parent string) []string {
	s.mu.RLock()
	kids := slices.Clone(s.children[parent])
	s.mu.RUnlock()
	slices.Sort(kids)
	return kids
}

// Close syncs and closes the state file; later writes fail.
func (s *mem) Close() error {
	if s.log != nil {
		return s.log.close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Status is the state file's status; ok is false in memory.
func (s *mem) Status() (StateStatus, bool) {
	if s.log == nil {
		return StateStatus{}, false
	}
	return s.log.Status(), true
}
