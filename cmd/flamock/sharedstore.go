package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/store"
	_ "github.com/flamock/flamock/store/postgres" // postgres:// and postgresql:// store URLs
)

// openSharedStore opens the store a shared sandbox's replicas use (serve
// --store, verify --store): a URL such as postgres://user@host/db.
func openSharedStore(ctx context.Context, url string, logger *slog.Logger) (store.Backend, error) {
	b, err := store.Open(ctx, url, store.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--store: %w", err)
	}
	return b, nil
}

// maxJournalPages bounds what verify reads from a shared journal: pages of
// the backend's size (10,000 events for PostgreSQL), far beyond any run.
const maxJournalPages = 1000

// readSharedJournal reads every event of the shared journal at url, every
// replica's, in sequence order.
func readSharedJournal(ctx context.Context, url string) ([]journal.Event, error) {
	b, err := openSharedStore(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	j := b.Journal()
	var all []journal.Event
	var since uint64
	for range maxJournalPages {
		evs := j.Events(since)
		if err := j.Err(); err != nil {
			return nil, fmt.Errorf("--store: reading the journal: %w", err)
		}
		if len(evs) == 0 {
			return all, nil
		}
		all = append(all, evs...)
		since = evs[len(evs)-1].Seq
	}
	return nil, fmt.Errorf("--store: the journal holds more than %d pages of events; reset it between runs (POST /__admin/reset)", maxJournalPages)
}
