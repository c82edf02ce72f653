package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/jackc/pgx/v5"
)

// journalStore is store.Journal on the flamock_journal table.
//
// Append queues the event and waits for the writer, which stores what is
// queued as one batch: one pipeline (advisory lock, INSERT ... RETURNING
// seq, NOTIFY) in one implicit transaction, so the lock that orders
// batches across replicas is held only while the database runs the batch,
// never across a network round trip. Sequence numbers are therefore in
// commit order across replicas: a reader that remembers the last number
// it saw never misses an event committed later. Batches commit without
// waiting for their WAL flush (a journal event is no acknowledged write:
// a PostgreSQL crash may lose the last fraction of a second of events,
// never a resource).
//
// Append never fails a request and waits at most appendWait: while the
// database is unavailable it returns at once, the event stays queued (up
// to maxPending) and is stored, in order, when the database is back; the
// event it returns then has Seq 0.
//
// Every replica follows the table (woken by NOTIFY, and every second
// anyway) and hands the events of every replica to its subscribers: the
// inspector's live view shows the whole sandbox.
type journalStore struct {
	b  *Backend
	id string // this replica's writer: its notifications' payload

	mu        sync.Mutex
	pending   []*queuedEvent // not yet stored, oldest first
	lost      uint64         // dropped because the queue was full
	werr      error          // the last batch failed with this
	rerr      error          // the last read failed with this
	dropped   uint64         // pruned by retention since the last Reset
	closed    bool
	subs      map[chan journal.Event]struct{}
	last      uint64 // the follower's last seen sequence number
	wake      chan struct{}
	followNow chan struct{}
	flushed   chan struct{} // closed and replaced whenever the queue empties

	buf []byte // the writer's: the last batch's encoded events
}

type queuedEvent struct {
	e    journal.Event
	done chan struct{} // closed once stored
}

// Journal bounds: events waiting for the database (beyond, new ones are
// lost and counted), events per batch, events one Events call returns
// (a reader pages with since), rows kept (older ones are pruned), and how
// long Append waits for its batch.
const (
	maxPending   = 100_000
	journalBatch = 1000
	journalPage  = 10_000
	journalKeep  = 500_000
	journalLock  = migrationLock + 1
	appendWait   = time.Second
)

const chanJournal = "flamock_journal"

func newJournal(b *Backend) *journalStore {
	return &journalStore{b: b, id: randomHex(8), subs: map[chan journal.Event]struct{}{},
		wake: make(chan struct{}, 1), followNow: make(chan struct{}, 1), flushed: make(chan struct{})}
}

func clientOf(e journal.Event) string {
	switch {
	case e.API != nil:
		return e.API.ClientID
	case e.Token != nil:
		return e.Token.ClientID
	}
	return ""
}

// Append stores e and returns it with its sequence number; while the
// database is unavailable it queues e and returns it with Seq 0.
func (j *journalStore) Append(e journal.Event) journal.Event {
	e.Settle() // bodies handed to SetBodies: the event is serialized
	if e.Time.IsZero() {
		e.Time = j.b.opts.Now()
	}
	e.Time = e.Time.UTC()
	e.Seq = 0
	q := &queuedEvent{e: e, done: make(chan struct{})}
	j.mu.Lock()
	if len(j.pending) >= maxPending || j.closed {
		j.lost++
		j.mu.Unlock()
		return e
	}
	j.pending = append(j.pending, q)
	failing := j.werr != nil
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	if failing {
		return e
	}
	t := time.NewTimer(appendWait)
	defer t.Stop()
	select {
	case <-q.done:
		return q.e
	case <-t.C:
		return e
	}
}

// writeLoop stores the queue in batches; after a failure it tries again
// every half second, keeping the events.
func (j *journalStore) writeLoop(ctx context.Context) {
	retry := time.NewTicker(500 * time.Millisecond)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-j.wake:
		case <-retry.C:
		}
		for j.writeBatch(ctx) {
		}
	}
}

const sqlJournalInsert = `INSERT INTO flamock_journal (client, event)
	SELECT c, e FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS u(c, e, o) ORDER BY o
	RETURNING seq`

// writeBatch stores up to journalBatch queued events; it reports whether
// it stored some (more may be queued).
func (j *journalStore) writeBatch(ctx context.Context) bool {
	j.mu.Lock()
	n := min(len(j.pending), journalBatch)
	batch := j.pending[:n:n]
	if n == 0 {
		close(j.flushed)
		j.flushed = make(chan struct{})
	}
	j.mu.Unlock()
	if n == 0 {
		return false
	}
	var ok bool
	clients := make([]string, n)
	bodies := make([][]byte, n)
	buf := j.buf[:0]
	for i, q := range batch {
		clients[i] = clientOf(q.e)
		start := len(buf)
		if buf, ok = appendEvent(buf, q.e); ok { // else nil: an event holds nothing json cannot encode
			bodies[i] = buf[start:len(buf):len(buf)] // kept if buf moves on growing
		}
	}
	j.buf = buf
	seqs, err := j.insert(ctx, clients, bodies)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil {
		if j.werr == nil {
			j.b.opts.Logger.Error("postgres store: cannot write the journal; events are queued until it can", "queued", len(j.pending), "err", err)
		}
		j.werr = j.b.failed("write the journal", err)
		return false
	}
	if j.werr != nil {
		j.b.opts.Logger.Warn("postgres store: journal writing resumes")
		j.werr = nil
	}
	j.b.health.ok()
	j.pending = j.pending[n:]
	for i, q := range batch {
		q.e.Seq = seqs[i]
		close(q.done)
	}
	j.handOwn(batch)
	return true
}

// handOwn hands this replica's batch, just stored, to the subscribers
// without reading it back (the follower's read and decoding of every
// event cost more than the insert), when its numbers follow on the
// follower's last event: then nothing else was stored in between, since
// appends are serialised by the journal lock. Otherwise the follower
// reads, in order, whatever came in between and the batch. j.mu is held.
func (j *journalStore) handOwn(batch []*queuedEvent) {
	first, last := batch[0].e.Seq, batch[len(batch)-1].e.Seq
	if len(j.subs) == 0 || last <= j.last {
		return
	}
	if first != j.last+1 || last-first != uint64(len(batch)-1) {
		select {
		case j.followNow <- struct{}{}:
		default:
		}
		return
	}
	for _, q := range batch {
		j.last = q.e.Seq
		for ch := range j.subs {
			select {
			case ch <- q.e:
			default: // a slow subscriber misses events rather than holding up the others
			}
		}
	}
}

// insert runs one batch as one pipeline: an implicit transaction holding
// the journal lock from the lock to the commit.
func (j *journalStore) insert(ctx context.Context, clients []string, bodies [][]byte) ([]uint64, error) {
	c, cancel := j.b.ctx(ctx)
	defer cancel()
	var pb pgx.Batch
	pb.Queue(`SELECT pg_advisory_xact_lock($1)`, int64(journalLock))
	pb.Queue(sqlJournalInsert, clients, bodies)
	pb.Queue(`SELECT pg_notify($1, $2)`, chanJournal, j.id)
	br := j.b.fast.SendBatch(c, &pb)
	_, err := br.Exec()
	var seqs []uint64
	if err == nil {
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			seqs, err = pgx.CollectRows(rows, pgx.RowTo[uint64])
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && len(seqs) != len(clients) {
		err = fmt.Errorf("the journal insert returned %d sequence numbers for %d events", len(seqs), len(clients))
	}
	slices.Sort(seqs) // drawn in insertion order: the events' order
	return seqs, err
}

// notified wakes the follower, unless the notification is of this
// replica's own batch (handOwn handed it over or woke the follower).
func (j *journalStore) notified(payload string) {
	if payload == j.id {
		return
	}
	select {
	case j.followNow <- struct{}{}:
	default:
	}
}

// followLoop hands every replica's new events to the subscribers.
func (j *journalStore) followLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		j.follow(ctx)
		select {
		case <-ctx.Done():
			return
		case <-j.followNow:
		case <-tick.C:
		}
	}
}

// position is the sequence number of the newest stored event.
func (j *journalStore) position(ctx context.Context) (uint64, error) {
	c, cancel := j.b.ctx(ctx)
	defer cancel()
	var last int64
	err := j.b.pool.QueryRow(c, `SELECT coalesce(max(seq), 0) FROM flamock_journal`).Scan(&last)
	return uint64(last), err
}

// follow reads what was stored since the last event it saw and hands it
// to the subscribers; with none it reads nothing (Subscribe moves the
// position to the newest event first).
func (j *journalStore) follow(ctx context.Context) {
	for {
		j.mu.Lock()
		since, nsubs := j.last, len(j.subs)
		j.mu.Unlock()
		if nsubs == 0 {
			return
		}
		evs, err := j.read(ctx, since, journalBatch)
		if err != nil {
			return
		}
		j.mu.Lock()
		for _, e := range evs {
			if e.Seq <= j.last {
				continue
			}
			j.last = e.Seq
			for ch := range j.subs {
				select {
				case ch <- e:
				default: // a slow subscriber misses events rather than holding up the others
				}
			}
		}
		j.mu.Unlock()
		if len(evs) < journalBatch {
			return
		}
	}
}

// read returns up to limit stored events after since, oldest first.
func (j *journalStore) read(ctx context.Context, since uint64, limit int) ([]journal.Event, error) {
	c, cancel := j.b.ctx(ctx)
	defer cancel()
	rows, err := j.b.pool.Query(c, `SELECT seq, event FROM flamock_journal WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(since), limit)
	var out []journal.Event
	if err == nil {
		var (
			seq int64
			raw []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&seq, &raw}, func() error {
			var e journal.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("journal event %d: %w", seq, err)
			}
			e.Seq = uint64(seq)
			out = append(out, e)
			return nil
		})
	}
	err = j.b.failed("read the journal", err)
	j.mu.Lock()
	j.rerr = err
	j.mu.Unlock()
	return out, err
}

// Events returns up to journalPage stored events after since, oldest
// first (a reader pages on with the last one's Seq); on a read error what
// it has (nothing) and Err says why.
func (j *journalStore) Events(since uint64) []journal.Event {
	evs, _ := j.read(context.Background(), since, journalPage)
	if evs == nil {
		evs = []journal.Event{}
	}
	return evs
}

// Subscribe follows every replica's events from now on: those stored
// after it returns (when the database cannot tell where the journal ends,
// it may also hand over a few stored just before).
func (j *journalStore) Subscribe(buffer int) (<-chan journal.Event, func()) {
	ch := make(chan journal.Event, buffer)
	j.mu.Lock()
	first := len(j.subs) == 0
	j.mu.Unlock()
	var pos uint64
	var err error
	if first {
		pos, err = j.position(context.Background())
	}
	j.mu.Lock()
	if first && err == nil && len(j.subs) == 0 && pos > j.last {
		j.last = pos
	}
	j.subs[ch] = struct{}{}
	j.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			j.mu.Lock()
			delete(j.subs, ch)
			j.mu.Unlock()
			close(ch)
		})
	}
}

// Reset deletes the stored events (of every replica); sequence numbers
// keep growing.
func (j *journalStore) Reset() {
	c, cancel := j.b.ctx(context.Background())
	defer cancel()
	_, err := j.b.pool.Exec(c, `TRUNCATE flamock_journal`)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil {
		j.rerr = j.b.failed("reset the journal", err)
		j.b.opts.Logger.Error("postgres store: journal reset failed", "err", err)
		return
	}
	j.dropped = 0
}

// Dropped is how many events retention pruned since the last Reset.
func (j *journalStore) Dropped() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped
}

// Unwritten is how many events are not stored: lost because the queue was
// full, and queued while writing fails.
func (j *journalStore) Unwritten() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.lost
	if j.werr != nil {
		n += uint64(len(j.pending))
	}
	return n
}

// Err is the last write or read error; nil once both work again.
func (j *journalStore) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.werr != nil {
		return j.werr
	}
	return j.rerr
}

func (j *journalStore) problem() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.werr != nil:
		return fmt.Sprintf("journal: %d events queued, not yet in PostgreSQL (%v)", len(j.pending), j.werr)
	case j.lost > 0:
		return fmt.Sprintf("journal: %d events lost while PostgreSQL was unavailable (the queue holds %d)", j.lost, maxPending)
	}
	return ""
}

// prune deletes the events beyond the newest journalKeep.
func (j *journalStore) prune(ctx context.Context) {
	c, cancel := j.b.ctx(ctx)
	defer cancel()
	tag, err := j.b.fast.Exec(c, `DELETE FROM flamock_journal WHERE seq <= (SELECT max(seq) FROM flamock_journal) - $1`, journalKeep)
	if err != nil {
		j.b.opts.Logger.Warn("postgres store: pruning the journal failed", "err", err)
		return
	}
	j.mu.Lock()
	j.dropped += uint64(tag.RowsAffected())
	j.mu.Unlock()
}

// close stops queuing and waits (up to opTimeout) for the queue to be stored.
func (j *journalStore) close() {
	j.mu.Lock()
	j.closed = true
	done := j.flushed
	empty := len(j.pending) == 0
	j.mu.Unlock()
	if empty {
		return
	}
	select {
	case j.wake <- struct{}{}:
	default:
	}
	select {
	case <-done:
	case <-time.After(opTimeout):
	}
}
