package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// The state file is a log of records, one a line (see the package
// documentation). This file holds everything that touches it: replay on
// open, group commit, undoing a failed write, and compaction.
//
// A failed write is undone at once: the file is truncated back to the end
// of the last record that was synced, so nothing a reader would take as a
// record is left behind (the alternative, refusing every write until an
// operator repairs the file, turns a moment of full disk into an outage).
// When even the truncation fails, the log refuses writes (503) and tries
// the truncation again before each new write, so it resumes by itself as
// soon as the disk lets it.

// logFile is the part of *os.File the log uses; tests inject failures.
type logFile interface {
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	Close() error
}

// Compaction defaults: the log is rewritten from the live resources when
// it is more than compactRatio times their size and at least
// compactMinBytes long.
const (
	compactRatio    = 4
	compactMinBytes = 1 << 20
)

// logConfig configures a stateLog; tests shrink the compaction threshold
// and inject files.
type logConfig struct {
	path     string
	log      *slog.Logger
	now      func() time.Time
	openFile func(name string, flag int, perm os.FileMode) (logFile, error) // nil: os.OpenFile
	ratio    int                                                            // 0: compactRatio
	minBytes int64                                                          // 0: compactMinBytes
}

// pending is one write waiting for the fsync that covers it. Its writer
// takes it from pendings and puts it back once done has answered: the
// committer never touches it after the send on done.
type pending struct {
	rec     record
	line    []byte
	existed bool
	err     error
	done    chan struct{} // one value: the write is synced and applied, or failed
}

var pendings = sync.Pool{New: func() any { return &pending{done: make(chan struct{}, 1)} }}

// maxPooledLine is the largest line buffer kept for reuse: larger ones
// (large resources) are left to the garbage collector.
const maxPooledLine = 64 << 10

// stateLog appends records with group commit: writers queue their record
// and wait; one goroutine writes everything queued in one write, syncs
// once, applies the records in order and only then wakes their writers.
type stateLog struct {
	cfg   logConfig
	apply func([]*pending) // applies a synced batch to memory, in order
	yield func()           // runtime.Gosched; tests count the yields
	live  func() int64     // estimated size of a compact log of the live resources
	snap  func() map[string][]byte

	// Owned by the committer goroutine.
	f      logFile
	size   int64 // end of the last synced record
	broken error // a failed write could not be undone yet
	buf    []byte
	tail   *bytes.Buffer // records synced since a running compaction's snapshot
	noMore int64         // after a failed compaction, no new one before size passes this

	qmu     sync.Mutex
	queue   []*pending
	spare   []*pending
	closed  bool
	wake    chan struct{}
	compact chan compactResult
	done    chan struct{}

	stmu   sync.Mutex
	status StateStatus
}

// StateStatus is what /__admin/health reports about the state file.
type StateStatus struct {
	File string `json:"file"`
	// Records and Resources are what the last start replayed and kept.
	Records   int `json:"records"`
	Resources int `json:"resources"`
	// DamagedRecords counts the records skipped at start because their
	// checksum or form was wrong; DamagedCopy is the original file, kept
	// as it was before the start rewrote it.
	DamagedRecords int    `json:"damagedRecords"`
	DamagedCopy    string `json:"damagedCopy,omitempty"`
	// TornTailBytes is the length of an unfinished last record found at
	// start (a write cut short by a crash; never acknowledged).
	TornTailBytes int `json:"tornTailBytes,omitempty"`
	// WriteError is the error of the last write when it failed; it is
	// cleared by the next write that succeeds.
	WriteError  string `json:"writeError,omitempty"`
	LogBytes    int64  `json:"logBytes"`
	Compactions int    `json:"compactions"`
}

type compactResult struct {
	f    logFile
	tmp  string
	size int64
	err  error
}

func (c *logConfig) open(name string, flag int, perm os.FileMode) (logFile, error) {
	if c.openFile != nil {
		return c.openFile(name, flag, perm)
	}
	return os.OpenFile(name, flag, perm)
}

// openLog replays the file at cfg.path into the store (through
// applyRecord), keeps a copy of a damaged original, rewrites the file
// compact and starts the committer.
func openLog(cfg logConfig, s *mem) (*stateLog, error) {
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.ratio <= 0 {
		cfg.ratio = compactRatio
	}
	if cfg.minBytes <= 0 {
		cfg.minBytes = compactMinBytes
	}
	l := &stateLog{cfg: cfg, apply: s.applyBatch, yield: runtime.Gosched, live: s.liveBytes, snap: s.snapshot,
		wake: make(chan struct{}, 1), compact: make(chan compactResult, 1), done: make(chan struct{})}
	l.status.File = cfg.path

	f, err := os.OpenFile(cfg.path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("state file: %w", err)
	default:
		fi, err := f.Stat()
		if err == nil && fi.Mode().Perm()&0o200 == 0 {
			err = fmt.Errorf("%s is read-only", cfg.path)
		} else if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", cfg.path)
		}
		var rep StateFileReport
		if err == nil {
			rep, err = replay(f, func(r record) { s.applyRecord(r) })
		}
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("state file: %w", err)
		}
		l.status.Records, l.status.DamagedRecords, l.status.TornTailBytes = rep.Records, len(rep.Damaged), rep.TornTail
		if rep.TornTail > 0 {
			cfg.log.Warn("mockfla: state file ends with an unfinished record (a write cut short by a crash, never acknowledged); dropping it",
				"file", cfg.path, "bytes", rep.TornTail)
		}
		if len(rep.Damaged) > 0 {
			// Keep the original, damage included, before the rewrite below.
			cp, err := keepCopy(cfg.path, cfg.path+".damaged-"+cfg.now().UTC().Format("20060102T150405Z"))
			if err != nil {
				return nil, fmt.Errorf("state file has %d damaged records and the original could not be kept: %w", len(rep.Damaged), err)
			}
			l.status.DamagedCopy = cp
			cfg.log.Error("mockfla: STATE FILE DAMAGED: records skipped, the intact ones before and after them kept; the original is kept as it was",
				"file", cfg.path, "damagedRecords", len(rep.Damaged), "firstDamageAt", rep.Damaged[0].Offset,
				"intactRecords", rep.Records, "original", cp)
		}
	}
	// Start from a compact file: the live resources, synced, renamed over
	// the old file, the folder synced. A crash at any point leaves either
	// the old file or the new one, both complete.
	tmp := cfg.path + ".tmp"
	nf, size, err := l.writeSnapshot(tmp, s.snapshot())
	if err == nil {
		err = l.install(nf, tmp)
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	l.f, l.size = nf, size
	l.status.Resources = s.Len()
	l.status.LogBytes = size
	l.noMore = 0
	go l.run()
	return l, nil
}

// writeSnapshot writes one put record per resource of snap, sorted by
// key, to a new file tmp and syncs it; it returns the open file and its size.
func (l *stateLog) writeSnapshot(tmp string, snap map[string][]byte) (logFile, int64, error) {
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	f, err := l.cfg.open(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return nil, 0, err
	}
	var (
		off  int64
		buf  []byte
		werr error
	)
	flush := func() {
		if werr == nil && len(buf) > 0 {
			_, werr = f.WriteAt(buf, off)
			off += int64(len(buf))
		}
		buf = buf[:0]
	}
	for _, k := range keys {
		buf = appendRecord(buf, record{Op: "put", Key: k, Data: snap[k]})
		if len(buf) >= 256<<10 {
			flush()
		}
	}
	flush()
	if werr == nil {
		werr = f.Sync()
	}
	if werr != nil {
		f.Close()
		os.Remove(tmp)
		return nil, 0, werr
	}
	return f, off, nil
}

// install renames tmp (open as f, complete and synced) over the state
// file and syncs the folder.
func (l *stateLog) install(f logFile, tmp string) error {
	err := os.Rename(tmp, l.cfg.path)
	if err == nil {
		err = syncDir(filepath.Dir(l.cfg.path))
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
	}
	return err
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

// commit queues r and waits until it is synced and applied, or failed.
func (l *stateLog) commit(r record) (bool, error) {
	p := pendings.Get().(*pending)
	p.rec, p.line = r, appendRecord(p.line[:0], r)
	l.qmu.Lock()
	if l.closed {
		l.qmu.Unlock()
		p.recycle()
		return false, ErrClosed
	}
	l.queue = append(l.queue, p)
	l.qmu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-p.done
	existed, err := p.existed, p.err
	p.recycle()
	return existed, err
}

// recycle puts p back in pendings, holding on to nothing of its write.
func (p *pending) recycle() {
	p.rec, p.existed, p.err = record{}, false, nil
	if cap(p.line) > maxPooledLine {
		p.line = nil
	}
	pendings.Put(p)
}

// run is the committer.
func (l *stateLog) run() {
	defer close(l.done)
	compacting := false
	for {
		select {
		case <-l.wake:
		case res := <-l.compact:
			compacting = false
			l.finishCompaction(res)
		}
		for {
			l.gather()
			l.qmu.Lock()
			batch := l.queue
			l.queue, l.spare = l.spare[:0], nil
			closed := l.closed
			l.qmu.Unlock()
			if len(batch) == 0 {
				if closed {
					if compacting {
						l.finishCompaction(<-l.compact)
					}
					return
				}
				break
			}
			l.commitBatch(batch)
			clear(batch)
			l.spare = batch[:0]
			if !compacting && l.needsCompaction() {
				compacting = true
				l.startCompaction()
			}
		}
		// Writes made during a compaction may have left the new log
		// too long already.
		if !compacting && l.needsCompaction() {
			compacting = true
			l.startCompaction()
		}
	}
}

// gatherRounds bounds how many times gather yields.
var gatherRounds = 4

// gather lets writers that are running (between their request and
// their commit) join the next batch: while the queue grows, the
// committer yields (runtime.Gosched returns at once when no other
// goroutine is runnable, so a lone writer waits for nothing), at most
// gatherRounds times. Fewer, larger batches: an fsync costs the kernel
// about 200 µs of CPU whatever it covers.
// It returns how many times it yielded.
func (l *stateLog) gather() int {
	n := l.queued()
	for i := range gatherRounds {
		l.yield()
		m := l.queued()
		if m == n {
			return i + 1
		}
		n = m
	}
	return gatherRounds
}

func (l *stateLog) queued() int {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	return len(l.queue)
}

// needsCompaction says the log is more than ratio times the live
// resources (and at least minBytes long).
func (l *stateLog) needsCompaction() bool {
	return l.size > l.cfg.minBytes && l.size > l.noMore && l.size > int64(l.cfg.ratio)*l.live()
}

func (l *stateLog) commitBatch(batch []*pending) {
	l.buf = l.buf[:0]
	for _, p := range batch {
		l.buf = append(l.buf, p.line...)
	}
	err := l.write(l.buf)
	if err == nil {
		if l.tail != nil {
			l.tail.Write(l.buf)
		}
		l.apply(batch)
	}
	l.stmu.Lock()
	if err != nil {
		l.status.WriteError = err.Error()
	} else {
		l.status.WriteError = ""
	}
	l.status.LogBytes = l.size
	l.stmu.Unlock()
	for _, p := range batch {
		p.err = err
		p.done <- struct{}{}
	}
}

// write appends b at the end of the last synced record and syncs. On
// failure it truncates the file back, so no part of b stays in it.
func (l *stateLog) write(b []byte) error {
	if l.broken != nil {
		if err := l.undo(); err != nil {
			return fmt.Errorf("state file: an earlier failed write (%v) could not be undone yet: %w", l.broken, err)
		}
		l.cfg.log.Warn("mockfla: state file repaired; writes resume", "file", l.cfg.path, "size", l.size)
	}
	_, err := l.f.WriteAt(b, l.size)
	if err == nil {
		err = l.f.Sync()
	}
	if err == nil {
		l.size += int64(len(b))
		return nil
	}
	l.broken = err
	if uerr := l.undo(); uerr != nil {
		l.cfg.log.Error("mockfla: state file write failed and could not be undone; writes are refused until it can",
			"file", l.cfg.path, "err", err, "undo", uerr)
	} else {
		l.cfg.log.Error("mockfla: state file write failed; undone (the file ends at its last synced record)",
			"file", l.cfg.path, "err", err, "size", l.size)
	}
	return fmt.Errorf("state file: %w", err)
}

// undo truncates the file to the end of the last synced record.
func (l *stateLog) undo() error {
	err := l.f.Truncate(l.size)
	if err == nil {
		err = l.f.Sync()
	}
	if err == nil {
		l.broken = nil
	}
	return err
}

// startCompaction takes a snapshot of the live resources (they are never
// changed in place, so the map copy is enough) and writes it in the
// background while writes go on; records synced meanwhile are kept in
// l.tail and appended before the new file replaces the old one.
func (l *stateLog) startCompaction() {
	snap := l.snap()
	l.tail = &bytes.Buffer{}
	tmp := l.cfg.path + ".compact"
	go func() {
		f, size, err := l.writeSnapshot(tmp, snap)
		l.compact <- compactResult{f: f, tmp: tmp, size: size, err: err}
	}()
}

func (l *stateLog) finishCompaction(res compactResult) {
	tail := l.tail
	l.tail = nil
	err := res.err
	if err == nil && l.broken != nil {
		err = fmt.Errorf("the log has an undone failed write")
	}
	if err == nil && tail.Len() > 0 {
		if _, err = res.f.WriteAt(tail.Bytes(), res.size); err == nil {
			err = res.f.Sync()
		}
	}
	if err == nil {
		err = l.install(res.f, res.tmp)
	} else if res.f != nil {
		res.f.Close()
		os.Remove(res.tmp)
	}
	if err != nil {
		// Try again once the log has grown by half again.
		l.noMore = l.size + l.size/2
		l.cfg.log.Warn("mockfla: state file compaction failed; the log is kept as it is", "file", l.cfg.path, "err", err)
		return
	}
	before := l.size
	l.f.Close()
	l.f, l.size = res.f, res.size+int64(tail.Len())
	l.noMore = 0
	l.stmu.Lock()
	l.status.Compactions++
	l.status.LogBytes = l.size
	l.stmu.Unlock()
	l.cfg.log.Debug("mockfla: state file compacted", "file", l.cfg.path, "before", before, "after", l.size)
}

// Status returns a copy of the log's status.
func (l *stateLog) Status() StateStatus {
	l.stmu.Lock()
	defer l.stmu.Unlock()
	return l.status
}

// close stops the committer after the queued writes, syncs and closes the file.
func (l *stateLog) close() error {
	l.qmu.Lock()
	if l.closed {
		l.qmu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	l.qmu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-l.done
	// Leave the file compact for the next start.
	if l.broken == nil && l.needsCompaction() {
		l.startCompaction()
		l.finishCompaction(<-l.compact)
	}
	err := l.f.Sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
