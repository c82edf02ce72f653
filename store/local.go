package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Local is the embedded resource store: a map in memory and, when opened
// with a file, the durable append log (one CRC-checked record a line,
// group commit: a write is acknowledged once the fsync that covers it has
// returned; compaction while running; a failed write undone at once). It
// satisfies Resources; its methods never fail for reads.
type Local struct{ s *mem }

// FileConfig configures OpenFile. Path is required.
type FileConfig struct {
	// Path is the state file; it is created if missing.
	Path string
	// Logger receives what happened to the file (damage, failed writes).
	// Nil means discard.
	Logger *slog.Logger
	// Now is the clock that names a damaged file's kept copy. Nil means
	// time.Now.
	Now func() time.Time
}

// NewMemory returns an empty Local held in memory only.
func NewMemory() *Local {
	s, _ := openStore(logConfig{}) // without a path nothing can fail
	return &Local{s}
}

// OpenFile opens the state file at cfg.Path: replays it (skipping and
// reporting damaged records, keeping a copy of a damaged original),
// rewrites it compact and returns a Local that appends every write to it.
func OpenFile(cfg FileConfig) (*Local, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("state file: no path")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := openStore(logConfig{path: cfg.Path, log: cfg.Logger, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	return &Local{s}, nil
}

// Get implements Resources.
func (l *Local) Get(_ context.Context, key string) ([]byte, bool, error) {
	b, ok := l.s.Get(key)
	return b, ok, nil
}

// Put implements Resources.
func (l *Local) Put(_ context.Context, key string, body []byte) (bool, error) {
	return l.s.Put(key, body)
}

// Delete implements Resources.
func (l *Local) Delete(_ context.Context, key string) (bool, error) { return l.s.Delete(key) }

// Children implements Resources.
func (l *Local) Children(_ context.Context, parent string) ([]string, error) {
	return l.s.Children(parent), nil
}

// Reset implements Resources.
func (l *Local) Reset(context.Context) error { return l.s.Reset() }

// Len implements Resources.
func (l *Local) Len(context.Context) (int, error) { return l.s.Len(), nil }

// Close syncs and closes the state file (leaving it compact); later
// writes fail with ErrClosed.
func (l *Local) Close() error { return l.s.Close() }

// FileStatus is the state file's status; ok is false in memory.
func (l *Local) FileStatus() (st StateStatus, ok bool) { return l.s.Status() }

// Status implements Resources: "memory", or "file" with the file's status
// as Detail and, as Problems, damaged records skipped at start and a
// write that failed (until one succeeds).
func (l *Local) Status() Status {
	st, ok := l.s.Status()
	if !ok {
		return Status{Backend: "memory"}
	}
	out := Status{Backend: "file", Detail: st}
	if st.DamagedRecords > 0 {
		out.Problems = append(out.Problems, fmt.Sprintf("state file: %d damaged records skipped at start; the original is kept as %s", st.DamagedRecords, st.DamagedCopy))
	}
	if st.WriteError != "" {
		out.Problems = append(out.Problems, "state file: the last write failed: "+st.WriteError)
	}
	return out
}
