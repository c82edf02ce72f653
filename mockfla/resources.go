package mockfla

import (
	"context"
	"fmt"

	"github.com/flamock/flamock/store"
)

// StateStatus is what /__admin/health reports about the state file.
type StateStatus = store.StateStatus

// Damage is one stretch of a state file that is not a record.
type Damage = store.Damage

// StateFileReport is what CheckStateFile found in a state file.
type StateFileReport = store.StateFileReport

// CheckStateFile reads a state file the way a Server opening it would,
// without changing it, and reports what it holds. The error is about
// reading the file; damage is in the report.
func CheckStateFile(name string) (StateFileReport, error) {
	rep, err := store.CheckStateFile(name)
	if err != nil {
		return rep, fmt.Errorf("mockfla: %w", err)
	}
	return rep, nil
}

func parentOf(key string) string { return store.Parent(key) }

// openResources opens the embedded store: the state file when cfg has
// one, else memory.
func openResources(cfg Config) (resources, error) {
	if cfg.StateFile == "" {
		return resources{store.NewMemory()}, nil
	}
	l, err := store.OpenFile(store.FileConfig{Path: cfg.StateFile, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return resources{}, fmt.Errorf("mockfla: %w", err)
	}
	return resources{l}, nil
}

// resources is the server's store with the signatures the layers use.
// The embedded store's reads never fail.
type resources struct{ l *store.Local }

func (r resources) Get(key string) ([]byte, bool) {
	b, ok, _ := r.l.Get(context.Background(), key)
	return b, ok
}

func (r resources) Put(key string, body []byte) (bool, error) {
	return r.l.Put(context.Background(), key, body)
}

func (r resources) Delete(key string) (bool, error) { return r.l.Delete(context.Background(), key) }

func (r resources) Children(parent string) []string {
	kids, _ := r.l.Children(context.Background(), parent)
	return kids
}

func (r resources) Len() int {
	n, _ := r.l.Len(context.Background())
	return n
}

func (r resources) Reset() error         { return r.l.Reset(context.Background()) }
func (r resources) Close() error         { return r.l.Close() }
func (r resources) Status() store.Status { return r.l.Status() }
