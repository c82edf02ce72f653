package postgres

import (
	"context"
	"sync"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// reads are the Gets waiting for a reader. Concurrent Gets are read
// together: a reader takes every Get queued and reads their keys with one
// statement, so a GET under load costs PostgreSQL a share of a statement
// rather than a statement (and a transaction) of its own. Two readers, so
// that one batch gathers while the other is read.
//
// A Get still sees every write acknowledged before it was called: its
// batch's statement is sent after it was queued, so after that write's
// commit.
type reads struct {
	mu     sync.Mutex
	queue  []*read
	closed bool
	wake   chan struct{}
	taken  int // Gets taken by readers so far
}

type read struct {
	key   string
	data  []byte
	found bool
	err   error
	done  chan struct{}
}

// Read bounds: a batch holds at most maxReads Gets (the rest waits for
// the next one).
const (
	readers  = 2
	maxReads = 256
)

// sqlGet reads the rows of the batch's keys, one index lookup each (the
// lateral join keeps the planner from scanning the table for an unnest of
// unknown length).
const sqlGet = `SELECT q.k, r.data FROM unnest($1::bytea[], $2::bytea[]) AS q(k, p)
	CROSS JOIN LATERAL (SELECT data FROM flamock_resources WHERE parent = q.p AND key = q.k) AS r`

// Get returns the bytes stored at key.
func (r *resources) Get(ctx context.Context, key string) ([]byte, bool, error) {
	rd := &read{key: key, done: make(chan struct{})}
	q := &r.reads
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, false, store.ErrClosed
	}
	q.queue = append(q.queue, rd)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	select {
	case <-rd.done:
		return rd.data, rd.found, rd.err
	case <-ctx.Done():
		return nil, false, r.b.failed("read a resource", ctx.Err())
	}
}

// readLoop is a reader: it reads what is queued, batch after batch, until
// ctx ends; then it answers the Gets still queued with ErrClosed.
func (r *resources) readLoop(ctx context.Context) {
	q := &r.reads
	for {
		select {
		case <-ctx.Done():
			q.mu.Lock()
			q.closed = true
			batch := q.queue
			q.queue = nil
			q.mu.Unlock()
			for _, rd := range batch {
				rd.err = store.ErrClosed
				close(rd.done)
			}
			return
		case <-q.wake:
		}
		for {
			q.mu.Lock()
			n := min(len(q.queue), maxReads)
			batch := q.queue[:n:n]
			q.queue = q.queue[n:]
			q.taken += n
			more := len(q.queue) > 0
			q.mu.Unlock()
			if n == 0 {
				break
			}
			if more { // the other reader takes the rest meanwhile
				select {
				case q.wake <- struct{}{}:
				default:
				}
			}
			r.readBatch(batch)
		}
	}
}

// readBatch reads the batch's keys with one statement and answers its
// Gets; a failure is every Get's.
func (r *resources) readBatch(batch []*read) {
	ctx, cancel := r.b.ctx(context.Background())
	defer cancel()
	byKey := make(map[string][]*read, len(batch))
	keys := make([][]byte, 0, len(batch))
	parents := make([][]byte, 0, len(batch))
	for _, rd := range batch {
		if byKey[rd.key] == nil {
			keys = append(keys, []byte(rd.key))
			parents = append(parents, []byte(parentOf(rd.key)))
		}
		byKey[rd.key] = append(byKey[rd.key], rd)
	}
	rows, err := r.b.pool.Query(ctx, sqlGet, keys, parents)
	if err == nil {
		var (
			key  []byte
			data []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&key, &data}, func() error {
			for _, rd := range byKey[string(key)] {
				rd.data, rd.found = data, true
			}
			return nil
		})
	}
	err = r.b.failed("read a resource", err)
	for _, rd := range batch {
		if err != nil {
			rd.data, rd.found, rd.err = nil, false, err
		}
		close(rd.done)
	}
}
