package postgres

import (
	"context"
	"strings"
	"sync"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// resources is store.Resources on the flamock_resources table.
//
// Writes are group-committed: Put, Delete and Reset queue their write and
// wait; committers (several, so one batch's commit overlaps the next
// one's gathering) send everything queued as one pipeline of statements
// followed by one Sync, which PostgreSQL runs as one implicit transaction,
// and wake the writers only after its commit (with synchronous_commit on:
// flushed to disk). A batch that fails failed as a whole: none of its
// writes happened, every writer gets the error.
type resources struct {
	b *Backend

	mu     sync.Mutex
	queue  []*write
	closed bool
	wake   chan struct{}
	idle   sync.WaitGroup // writes queued or being committed
}

type writeOp int

const (
	opPut writeOp = iota
	opDelete
	opReset
)

type write struct {
	op      writeOp
	key     string
	data    []byte
	existed bool
	err     error
	done    chan struct{}
}

// Batch bounds: a batch holds at most maxBatch writes or about
// maxBatchBytes of data (the rest waits for the next one).
const (
	committers    = 4
	maxBatch      = 256
	maxBatchBytes = 4 << 20
)

func newResources(b *Backend) *resources {
	return &resources{b: b, wake: make(chan struct{}, committers)}
}

func parentOf(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return ""
}

func (r *resources) commit(w *write) (bool, error) {
	w.done = make(chan struct{})
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false, store.ErrClosed
	}
	r.idle.Add(1)
	r.queue = append(r.queue, w)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	<-w.done
	return w.existed, w.err
}

// run starts the committers and waits for them.
func (r *resources) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range committers {
		wg.Go(func() { r.committer(ctx) })
	}
	wg.Wait()
}

func (r *resources) committer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			r.failQueued()
			return
		case <-r.wake:
		}
		for {
			batch := r.take()
			if len(batch) == 0 {
				break
			}
			r.commitBatch(batch)
		}
	}
}

// take removes the next batch from the queue.
func (r *resources) take() []*write {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, size := 0, 0
	for n < len(r.queue) && n < maxBatch && (n == 0 || size+len(r.queue[n].data) <= maxBatchBytes) {
		size += len(r.queue[n].data)
		n++
	}
	batch := r.queue[:n:n]
	r.queue = r.queue[n:]
	if len(r.queue) > 0 {
		select { // let another committer gather the rest meanwhile
		case r.wake <- struct{}{}:
		default:
		}
	}
	return batch
}

// One statement per segment of a batch: consecutive puts (or deletes)
// of distinct keys go as arrays in one statement; a reset alone.
const (
	sqlPut = `INSERT INTO flamock_resources (key, parent, data)
		SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[])
		ON CONFLICT (parent, key) DO UPDATE SET data = excluded.data RETURNING key, xmax <> 0`
	sqlDelete = `DELETE FROM flamock_resources AS r USING unnest($1::bytea[], $2::bytea[]) AS d(k, p)
		WHERE r.parent = d.p AND r.key = d.k RETURNING r.key, true`
	sqlReset = `TRUNCATE flamock_resources`
)

// segments cuts a batch into runs of one op and distinct keys, in order
// (ON CONFLICT cannot touch a row twice in one statement, and a put then
// a delete of one key must run in that order).
func segments(batch []*write) [][]*write {
	var out [][]*write
	keys := map[string]bool{}
	from := 0
	for i, w := range batch {
		if i > from && (w.op == opReset || batch[from].op == opReset || w.op != batch[from].op || keys[w.key]) {
			out = append(out, batch[from:i:i])
			from = i
			clear(keys)
		}
		keys[w.key] = true
	}
	if from < len(batch) {
		out = append(out, batch[from:])
	}
	return out
}

func (r *resources) commitBatch(batch []*write) {
	ctx, cancel := r.b.ctx(context.Background())
	defer cancel()
	segs := segments(batch)
	var pb pgx.Batch
	for _, seg := range segs {
		keys := make([][]byte, len(seg))
		parents := make([][]byte, len(seg))
		for i, w := range seg {
			keys[i], parents[i] = []byte(w.key), []byte(parentOf(w.key))
		}
		switch seg[0].op {
		case opPut:
			data := make([][]byte, len(seg))
			for i, w := range seg {
				data[i] = w.data
			}
			pb.Queue(sqlPut, keys, parents, data)
		case opDelete:
			pb.Queue(sqlDelete, keys, parents)
		case opReset:
			pb.Queue(sqlReset)
		}
	}
	err := r.sendBatch(ctx, &pb, segs)
	err = r.b.failed("store the resources", err)
	for _, w := range batch {
		w.err = err
		if err != nil {
			w.existed = false
		}
		close(w.done)
		r.idle.Done()
	}
}

// sendBatch sends the statements as one pipeline with one Sync: one
// implicit transaction, committed once Close has read its end.
func (r *resources) sendBatch(ctx context.Context, pb *pgx.Batch, segs [][]*write) error {
	br := r.b.pool.SendBatch(ctx, pb)
	var err error
	for _, seg := range segs {
		if seg[0].op == opReset {
			if _, err = br.Exec(); err != nil {
				break
			}
			continue
		}
		byKey := make(map[string]*write, len(seg))
		for _, w := range seg {
			byKey[w.key] = w
		}
		var rows pgx.Rows
		if rows, err = br.Query(); err != nil {
			break
		}
		var (
			key  []byte
			flag bool
		)
		_, err = pgx.ForEachRow(rows, []any{&key, &flag}, func() error {
			if w := byKey[string(key)]; w != nil {
				w.existed = flag
			}
			return nil
		})
		if err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// failQueued answers the writes still queued when the backend stops.
func (r *resources) failQueued() {
	r.mu.Lock()
	q := r.queue
	r.queue = nil
	r.mu.Unlock()
	for _, w := range q {
		w.err = store.ErrClosed
		close(w.done)
		r.idle.Done()
	}
}

// close refuses new writes and waits for the queued ones.
func (r *resources) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.idle.Wait()
}

// Get returns the bytes stored at key.
func (r *resources) Get(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var data []byte
	err := r.b.pool.QueryRow(ctx, `SELECT data FROM flamock_resources WHERE parent = $1 AND key = $2`, []byte(parentOf(key)), []byte(key)).Scan(&data)
	if err == pgx.ErrNoRows {
		return nil, false, r.b.failed("", nil)
	}
	if err != nil {
		return nil, false, r.b.failed("read a resource", err)
	}
	r.b.health.ok()
	return data, true, nil
}

// Put stores body at key once committed.
func (r *resources) Put(_ context.Context, key string, body []byte) (bool, error) {
	return r.commit(&write{op: opPut, key: key, data: body})
}

// Delete removes key once committed.
func (r *resources) Delete(_ context.Context, key string) (bool, error) {
	return r.commit(&write{op: opDelete, key: key})
}

// Reset removes every resource once committed.
func (r *resources) Reset(context.Context) error {
	_, err := r.commit(&write{op: opReset})
	return err
}

// Children returns the keys directly under parent, sorted byte-wise (the
// column is bytea, so the database sorts as Go does).
func (r *resources) Children(ctx context.Context, parent string) ([]string, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	rows, err := r.b.pool.Query(ctx, `SELECT key FROM flamock_resources WHERE parent = $1 ORDER BY key`, []byte(parent))
	if err != nil {
		return nil, r.b.failed("list resources", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (string, error) {
		var k []byte
		err := row.Scan(&k)
		return string(k), err
	})
	if err != nil {
		return nil, r.b.failed("list resources", err)
	}
	return keys, r.b.failed("", nil)
}

// Len counts the resources.
func (r *resources) Len(ctx context.Context) (int, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var n int
	if err := r.b.pool.QueryRow(ctx, `SELECT count(*) FROM flamock_resources`).Scan(&n); err != nil {
		return 0, r.b.failed("count resources", err)
	}
	return n, r.b.failed("", nil)
}

// Status is the health report's view: the backend and, during an outage,
// the problem. It makes no round trip.
func (r *resources) Status() store.Status {
	st := store.Status{Backend: "postgres", Detail: map[string]any{"backend": "postgres", "schemaVersion": SchemaVersion()}}
	if p := r.b.health.problem(); p != "" {
		st.Problems = append(st.Problems, p)
	}
	if p := r.b.journal.problem(); p != "" {
		st.Problems = append(st.Problems, p)
	}
	return st
}
