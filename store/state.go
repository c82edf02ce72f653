package store

import (
	"bytes"
	"context"
	"sync"
)

// StateMap is the embedded State: values in memory, by namespace. Its
// Version is exact: every write changes it before returning.
type StateMap struct {
	mu  sync.RWMutex
	m   map[string]map[string][]byte
	ver map[string]uint64 // by namespace; never reset, so it only grows
}

// NewState returns an empty StateMap.
func NewState() *StateMap {
	return &StateMap{m: map[string]map[string][]byte{}, ver: map[string]uint64{}}
}

// Load implements State; the values are copies.
func (s *StateMap) Load(_ context.Context, ns string) (map[string][]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]byte, len(s.m[ns]))
	for k, v := range s.m[ns] {
		out[k] = bytes.Clone(v)
	}
	return out, nil
}

// Save implements State; it keeps a copy of value.
func (s *StateMap) Save(_ context.Context, ns, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[ns] == nil {
		s.m[ns] = map[string][]byte{}
	}
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.m[ns][key] = v
	s.ver[ns]++
	return nil
}

// Remove implements State.
func (s *StateMap) Remove(_ context.Context, ns, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[ns][key]
	delete(s.m[ns], key)
	s.ver[ns]++
	return ok, nil
}

// Clear implements State.
func (s *StateMap) Clear(_ context.Context, ns string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, ns)
	s.ver[ns]++
	return nil
}

// Version implements State: the number of writes of ns so far.
func (s *StateMap) Version(ns string) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ver[ns], true
}
