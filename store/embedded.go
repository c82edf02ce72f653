package store

import (
	"log/slog"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// EmbeddedConfig configures NewEmbedded. The zero value is ready: every
// part in memory, no bounds.
type EmbeddedConfig struct {
	// StateFile makes Resources durable (OpenFile). Empty means memory.
	StateFile string
	// Journal is the journal handed out. Nil means a new in-memory one.
	Journal *journal.Journal
	// MaxReplayEntries and MaxRevocations bound the replay cache and the
	// single-token revocation records. Zero means no bound.
	MaxReplayEntries int
	MaxRevocations   int
	// Logger and Now are used as OpenFile uses them. Nil: discard, time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// Embedded is the embedded Backend: what a flamock process keeps to
// itself (memory, the state file, the journal). Each mock left without a
// store part in its Config makes the same parts for itself.
type Embedded struct {
	res     *Local
	replay  *ReplayCache
	revoked *RevocationList
	faults  *FaultQueues
	state   *StateMap
	journal *journal.Journal
}

// NewEmbedded returns an embedded backend.
func NewEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	e := &Embedded{
		replay:  NewReplay(cfg.MaxReplayEntries),
		revoked: NewRevocations(cfg.MaxRevocations),
		faults:  NewFaults(),
		state:   NewState(),
		journal: cfg.Journal,
	}
	if e.journal == nil {
		e.journal = journal.New(journal.Config{Now: cfg.Now, Logger: cfg.Logger})
	}
	if cfg.StateFile == "" {
		e.res = NewMemory()
		return e, nil
	}
	res, err := OpenFile(FileConfig{Path: cfg.StateFile, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	e.res = res
	return e, nil
}

// Resources implements Backend.
func (e *Embedded) Resources() Resources { return e.res }

// Replay implements Backend.
func (e *Embedded) Replay() Replay { return e.replay }

// Revocations implements Backend.
func (e *Embedded) Revocations() Revocations { return e.revoked }

// Faults implements Backend.
func (e *Embedded) Faults() Faults { return e.faults }

// State implements Backend.
func (e *Embedded) State() State { return e.state }

// Journal implements Backend.
func (e *Embedded) Journal() Journal { return e.journal }

// Close implements Backend: it syncs and closes the state file.
func (e *Embedded) Close() error { return e.res.Close() }

var (
	_ Backend     = (*Embedded)(nil)
	_ Resources   = (*Local)(nil)
	_ Replay      = (*ReplayCache)(nil)
	_ Revocations = (*RevocationList)(nil)
	_ Faults      = (*FaultQueues)(nil)
	_ State       = (*StateMap)(nil)
	_ Journal     = (*journal.Journal)(nil)
)
