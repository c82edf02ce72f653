package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Reading a state file: replay on open, and CheckStateFile for
// `flamock state check`. The file's form is in statelog.go.

// Damage is one stretch of a state file that is not a record.
type Damage struct {
	Offset int64 `json:"offset"`
	Bytes  int   `json:"bytes"`
}

// StateFileReport is what ReadStateFile found in a state file.
type StateFileReport struct {
	Records   int      // intact records
	Resources int      // resources after replaying them
	Damaged   []Damage // lines that are not intact records, skipped
	// TornTail is the length of an unfinished last line (a write cut
	// short by a crash, never acknowledged); it is not damage.
	TornTail int
	Bytes    int64
}

// replay reads a state file line by line and hands each intact record to
// apply. A line that is not an intact record is skipped and reported; the
// records after it are kept.
func replay(r io.Reader, apply func(record)) (StateFileReport, error) {
	var rep StateFileReport
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		line = line[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			line = append(line, chunk...)
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err == io.EOF {
			rep.TornTail = len(line)
			rep.Bytes += int64(len(line))
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		if rec, ok := decodeRecord(line[:len(line)-1]); ok {
			apply(rec)
			rep.Records++
		} else {
			rep.Damaged = append(rep.Damaged, Damage{Offset: rep.Bytes, Bytes: len(line)})
		}
		rep.Bytes += int64(len(line))
	}
}

// CheckStateFile reads a state file the way a Server opening it would,
// without changing it, and reports what it holds. The error is about
// reading the file; damage is in the report.
func CheckStateFile(name string) (StateFileReport, error) {
	f, err := os.Open(name)
	if err != nil {
		return StateFileReport{}, fmt.Errorf("state file: %w", err)
	}
	defer f.Close()
	keys := map[string]bool{}
	rep, err := replay(f, func(r record) {
		switch r.Op {
		case "put":
			keys[r.Key] = true
		case "delete":
			delete(keys, r.Key)
		case "reset":
			clear(keys)
		}
	})
	rep.Resources = len(keys)
	if err != nil {
		return rep, fmt.Errorf("state file: %w", err)
	}
	return rep, nil
}

// keepCopy makes a copy of src named name (or name-2, name-3, ... when
// that exists): a hard link when the file system allows one, else a
// synced copy. It returns the copy's name.
func keepCopy(src, name string) (string, error) {
	dst := name
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s-%d", name, i)
	}
	if os.Link(src, dst) == nil {
		return dst, syncDir(filepath.Dir(dst))
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return dst, err
}
