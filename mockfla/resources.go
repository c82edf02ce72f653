package mockfla

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"

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

// openResources returns Config.Resources, or opens the embedded store:
// the state file when cfg has one, else memory.
func openResources(cfg Config) (resources, error) {
	switch {
	case cfg.Resources != nil && cfg.StateFile != "":
		return resources{}, errors.New("mockfla: Resources and StateFile are both set; a state file is the embedded store's")
	case cfg.Resources != nil:
		return resources{r: cfg.Resources}, nil
	case cfg.StateFile == "":
		l := store.NewMemory()
		return resources{r: l, own: l}, nil
	}
	l, err := store.OpenFile(store.FileConfig{Path: cfg.StateFile, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return resources{}, fmt.Errorf("mockfla: %w", err)
	}
	return resources{r: l, own: l}, nil
}

// resources is the server's store.Resources as the layers use it. Reads
// take the call: a read that fails is kept in the call (the first one
// wins), and serve answers 503 for it instead of whatever the layer made
// of a missing resource. Writes return their error, answered by
// storeFailed.
type resources struct {
	r   store.Resources
	own *store.Local // the embedded store the server opened, closed by Close
}

func (x resources) get(c *call, key string) ([]byte, bool) {
	b, ok, err := x.r.Get(c.r.Context(), key)
	if err != nil {
		c.readFailed(err)
		return nil, false
	}
	return b, ok
}

func (x resources) children(c *call, parent string) []string {
	kids, err := x.r.Children(c.r.Context(), parent)
	if err != nil {
		c.readFailed(err)
	}
	return kids
}

func (x resources) put(c *call, key string, body []byte) (bool, error) {
	return x.r.Put(c.r.Context(), key, body)
}

func (x resources) delete(c *call, key string) (bool, error) {
	return x.r.Delete(c.r.Context(), key)
}

// Close closes the embedded store the server opened.
func (x resources) Close() error {
	if x.own == nil {
		return nil
	}
	return x.own.Close()
}

// readFailed keeps the first store read error of the call.
func (c *call) readFailed(err error) {
	if c.storeErr == nil {
		c.storeErr = err
	}
}

// storeRetrySec is the retry hint, in seconds, of a 503 whose write the
// store refused when the store gives none.
const storeRetrySec = 1

// storeFailed answers 503 with Retry-After for a store that could not
// read or durably write: the store's retry hint when it gives one.
func (s *Server) storeFailed(c *call, err error) *response {
	s.log.Error("mockfla: store failed", "path", c.r.URL.Path, "err", err)
	c.layer("store", false, err.Error())
	sec := storeRetrySec
	if d, ok := store.RetryAfter(err); ok {
		sec = max(1, int(math.Ceil(d.Seconds())))
	}
	what := "The mock could not store the change durably: "
	if c.storeErr != nil || c.r.Method == http.MethodGet || c.r.Method == http.MethodHead {
		what = "The mock could not read its store: "
	}
	return retryLater(problemFor(http.StatusServiceUnavailable, what+err.Error()), sec, s.cfg.Now())
}

// storeLen is the number of resources for the health report; -1 when the
// store cannot say.
func (s *Server) storeLen(ctx context.Context) (int, error) {
	return s.store.r.Len(ctx)
}

// verifierUnavailable answers 503 with Retry-After when the token
// verifier's store (revocations) cannot be reached: the token may be
// good, so it is not refused as invalid.
func (s *Server) verifierUnavailable(c *call, err error) *response {
	s.log.Error("mockfla: token verifier's store failed", "path", c.r.URL.Path, "err", err)
	c.layer("auth", false, err.Error())
	sec, _ := store.RetryAfter(err)
	return retryLater(problemFor(http.StatusServiceUnavailable, "The mock could not check the access token: "+err.Error()), max(1, int(math.Ceil(sec.Seconds()))), s.cfg.Now())
}
